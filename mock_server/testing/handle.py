"""The handle a test drives the mock with (:class:`UpHuntMock`): every call is one control-API request."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from ..vendors.uphunt.world import DEMO_API_KEY
from .common import _MAX_STATE_PAGES, STATE_PAGE_LIMIT, MockError, merge_state_page, settle_step

__all__ = ["MockError", "UpHuntMock"]
from .journal import Request, RequestLog
from .schedule import FaultSchedule
from .shapes import Account, Application, Delivery, State

if TYPE_CHECKING:
    from .aio import AsyncUpHuntMock
    from .server import MockServer
    from .timepatch import TimePatch


class UpHuntMock:
    """What a test holds: the mock's address, the demo key, and control over time, scenarios and state.

    Every method is a call to the control API (``/_mock/...``) of the server at
    ``base_url``, so a handle works against any running mock.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str = DEMO_API_KEY,
        server: MockServer | None = None,
        control_token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.server = server
        self.default_scenarios: list[str | Path | dict[str, Any]] = []
        # A mock started with --control-token: the handle's control calls carry it (the server's, or
        # UPHUNT_MOCK_CONTROL_TOKEN for a mock started elsewhere).
        token = control_token or getattr(server, "control_token", None) or os.environ.get("UPHUNT_MOCK_CONTROL_TOKEN")
        headers = {"X-Mock-Control-Token": token} if token else {}
        # verify=False: plain http on localhost; building the default SSL context costs ~0.2 s per client.
        self._http = httpx.Client(base_url=self.base_url, timeout=30.0, verify=False, headers=headers)
        self._now: float | None = None  # the clock as of this handle's last clock operation

    @classmethod
    def connect(cls, base_url: str, api_key: str = DEMO_API_KEY, control_token: str | None = None) -> UpHuntMock:
        """A handle on a mock started elsewhere (``uphunt-mock serve --clock manual [--control-token T]``)."""
        return cls(base_url, api_key, control_token=control_token)

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"<UpHuntMock {self.base_url} api_key={self.api_key!r}>"

    # ── plumbing ──

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        res = self._http.request(method, path, **kwargs)
        try:
            body = res.json()
        except ValueError:
            body = res.text
        if res.status_code >= 400:
            raise MockError(res.status_code, body, what)
        return body

    @property
    def headers(self) -> dict[str, str]:
        """Headers that authenticate as :attr:`api_key`."""
        return {"x-api-key": self.api_key}

    def client(self, api_key: str | None = None, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the mock, authenticated with ``api_key`` (default: the handle's)."""
        headers = {"x-api-key": api_key or self.api_key, **kwargs.pop("headers", {})}
        kwargs.setdefault("verify", False)  # plain http: skip building an SSL context (~0.2 s)
        return httpx.Client(base_url=self.base_url, headers=headers, **kwargs)

    # ── time ──

    def time(self) -> float:
        """The simulated clock, Unix seconds (read from the mock)."""
        self._now = self._call("GET", "/_mock/clock", "read the clock")["now"] / 1000
        return self._now

    def monotonic(self) -> float:
        """The simulated clock as of this handle's last clock operation, without a request.

        Pass it with :meth:`sleep` to a client under test (``clock=mock.monotonic, sleep=mock.sleep``):
        with the manual clock, time moves only through this handle, so this is exact and saves a
        request per poll. Use :meth:`time` if something else moves the clock.
        """
        return self._now if self._now is not None else self.time()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the manual clock ``seconds`` forward, running every event that falls due."""
        result = self._call("POST", "/_mock/clock/advance", "advance the clock", json={"seconds": seconds})
        self._now = result["now"] / 1000
        return result

    def sleep(self, seconds: float) -> None:
        """A ``time.sleep`` replacement for the client under test: advances the mock's clock instead."""
        if seconds > 0:
            self.advance(seconds)

    def settle(self, max_seconds: float = 3600.0) -> float:
        """Advance until no application is processing (at most ``max_seconds``). Returns seconds advanced."""
        advanced = 0.0
        for _ in range(10_000):  # bounded: one step per pending pickup or outcome
            step = settle_step(self.state(), advanced, max_seconds)
            if step <= 0:
                break
            self.advance(step)
            advanced += step
        return advanced

    # ── world ──

    def reset(self) -> None:
        """Back to the world as loaded: state, clock, journal; then only the default scenarios are loaded."""
        self.clear_scenarios()  # first: a reset re-runs the start rules (e.g. latency) of loaded scenarios
        self._now = self._call("POST", "/_mock/reset", "reset")["clock"]["now"] / 1000
        for scenario in self.default_scenarios:
            self.load_scenario(scenario)

    def state(self) -> State:
        """The whole state: every page of ``GET /_mock/state`` (a big world answers in pages), keys masked."""
        state = self._call("GET", "/_mock/state", "read the state", params={"limit": STATE_PAGE_LIMIT})
        for _ in range(_MAX_STATE_PAGES):
            if not state.get("nextCursor"):
                break
            params = {"limit": STATE_PAGE_LIMIT, "cursor": state["nextCursor"]}
            merge_state_page(state, self._call("GET", "/_mock/state", "read the state", params=params))
        return state

    def applications(self) -> list[Application]:
        """Every application (status record plus createdAt, pickupAt, completesAt), in creation order."""
        return self.state()["applications"]

    def account(self, api_key: str | None = None) -> Account:
        """``{"apiKey", "agencyId", "credits": {"available", "reserved", "spent", "granted"}, "connects", ...}``."""
        key = api_key or self.api_key
        return self._call("GET", f"/_mock/accounts/{key}", f"read account {key}")

    def put_account(self, api_key: str | None = None, **changes: Any) -> Account:
        """Create or update an account: ``credits``, ``connects``, ``agencyId``, ``freelancers``, ``webhookUrl``."""
        key = api_key or self.api_key
        return self._call("PUT", f"/_mock/accounts/{key}", f"update account {key}", json=changes)

    # ── scenarios ──

    def load_scenario(self, scenario: str | Path | dict[str, Any] | FaultSchedule) -> list[dict[str, Any]]:
        """Load a scenario: a file path, a library name (``"rate-limited"``), YAML text, or a document (dict).

        Returns the loaded scenarios."""
        if isinstance(scenario, FaultSchedule):
            scenario = scenario.to_scenario()
        if isinstance(scenario, dict):
            body = self._call("POST", "/_mock/scenarios", "load scenario", json=scenario)
        else:
            text = str(scenario)
            if isinstance(scenario, Path) or ("\n" not in text and text.endswith((".yaml", ".yml", ".json"))):
                text = Path(scenario).read_text()
            else:
                from ..core.scenarios import library  # the engine, imported only when a test loads a name

                if library.is_name(text) and not Path(text).exists():  # a ready-made one: "rate-limited"
                    text = library.find(text).read_text()
            body = self._call(
                "POST",
                "/_mock/scenarios",
                f"load scenario {scenario}",
                content=text.encode(),
                headers={"content-type": "application/yaml"},
            )
        return body["scenarios"]

    def scenarios(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_mock/scenarios", "list scenarios")["scenarios"]

    def clear_scenarios(self) -> None:
        res = self._http.delete("/_mock/scenarios")
        if res.status_code not in (200, 501):  # 501: scenario engine not built into this mock
            raise MockError(res.status_code, res.text, "clear scenarios")

    # ── observations ──

    @property
    def requests(self) -> RequestLog:
        """The request journal, oldest first (a fresh copy on every access)."""
        return RequestLog(
            Request.from_dict(e) for e in self._call("GET", "/_mock/requests", "read the journal")["requests"]
        )

    def clear_requests(self) -> None:
        self._call("DELETE", "/_mock/requests", "clear the journal")

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery with its attempts, oldest first: a **list** (the HTTP endpoint,
        ``GET /_mock/webhooks/deliveries``, wraps it as ``{"deliveries": [...], "dropped", "capacity"}``).

        Each is ``{"deliveryId", "eventId", "eventType", "url", "queueId", "state": pending|delivered|failed,
        "attempts": [{"attempt", "at", "status", "latencyMs", "error"}], "nextAttemptAt", "copy", "held"}``
        (:class:`~mock_server.testing.shapes.Delivery`)."""
        return self._call("GET", "/_mock/webhooks/deliveries", "read webhook deliveries")["deliveries"]

    # ── snapshot / restore ──

    def snapshot(self) -> dict[str, Any]:
        """The whole world (``POST /_mock/snapshot``): give it to :meth:`restore`, here or on another mock."""
        return self._call("POST", "/_mock/snapshot", "take a snapshot")

    def restore(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        """Bring a :meth:`snapshot` back exactly (``POST /_mock/restore``)."""
        result = self._call("POST", "/_mock/restore", "restore a snapshot", json=snapshot)
        self._now = result["clock"]["now"] / 1000
        return result

    # ── clients that cannot be handed a clock ──

    def patch_time(self, monkeypatch: Any = None) -> TimePatch:
        """Make ``time.sleep``/``time.time``/``time.monotonic``/``asyncio.sleep`` of this thread use this
        mock's clock (:func:`mock_server.testing.patch_time`): for pytest, pass ``monkeypatch``."""
        from .timepatch import patch_time

        return patch_time(self, monkeypatch)

    def aio(self) -> AsyncUpHuntMock:
        """An async handle on the same mock and key (``async with mock.aio() as amock: await amock.advance(5)``)."""
        from .aio import AsyncUpHuntMock

        handle = AsyncUpHuntMock(
            self.base_url, api_key=self.api_key, control_token=self._http.headers.get("X-Mock-Control-Token")
        )
        handle._now = self._now
        return handle
