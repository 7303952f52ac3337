"""The async twin of :class:`~mock_server.testing.UpHuntMock`, for asyncio clients and async tests.

    async with uphunt_mock.aio() as mock:               # or AsyncUpHuntMock(base_url)
        client = MyAsyncClient(base_url=mock.base_url, sleep=mock.sleep, clock=mock.monotonic)
        await client.apply_and_wait("~022053140178050136031")
        assert (await mock.account())["credits"]["spent"] == 2

Every method is one control-API request over ``httpx.AsyncClient``; ``sleep`` advances the manual
clock instead of waiting, so an async client's waits take no real time. :func:`patch_time` covers
clients that call ``asyncio.sleep`` themselves.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from ..vendors.uphunt.world import DEMO_API_KEY
from .common import _MAX_STATE_PAGES, STATE_PAGE_LIMIT, MockError, merge_state_page, settle_step
from .journal import Request, RequestLog
from .schedule import FaultSchedule
from .shapes import Account, Application, Delivery, State


class AsyncUpHuntMock:
    """Time, state, scenarios and observations of a running mock, awaited."""

    def __init__(self, base_url: str, api_key: str = DEMO_API_KEY, control_token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        # A mock started with --control-token: control calls carry it (or UPHUNT_MOCK_CONTROL_TOKEN's).
        token = control_token or os.environ.get("UPHUNT_MOCK_CONTROL_TOKEN")
        headers = {"X-Mock-Control-Token": token} if token else {}
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=30.0, verify=False, headers=headers)
        self._now: float | None = None

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncUpHuntMock:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncUpHuntMock {self.base_url} api_key={self.api_key!r}>"

    async def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        res = await self._http.request(method, path, **kwargs)
        try:
            body = res.json()
        except ValueError:
            body = res.text
        if res.status_code >= 400:
            raise MockError(res.status_code, body, what)
        return body

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}

    def client(self, api_key: str | None = None, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on the mock, authenticated with ``api_key`` (default: the handle's)."""
        headers = {"x-api-key": api_key or self.api_key, **kwargs.pop("headers", {})}
        kwargs.setdefault("verify", False)
        return httpx.AsyncClient(base_url=self.base_url, headers=headers, **kwargs)

    # ── time ──

    async def time(self) -> float:
        self._now = (await self._call("GET", "/_mock/clock", "read the clock"))["now"] / 1000
        return self._now

    def monotonic(self) -> float:
        """The clock as of this handle's last clock operation, without a request (0.0 before the first)."""
        return self._now if self._now is not None else 0.0

    async def advance(self, seconds: float) -> dict[str, Any]:
        result = await self._call("POST", "/_mock/clock/advance", "advance the clock", json={"seconds": seconds})
        self._now = result["now"] / 1000
        return result

    async def sleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` replacement for the client under test: advances the mock's clock instead."""
        if seconds > 0:
            await self.advance(seconds)

    async def settle(self, max_seconds: float = 3600.0) -> float:
        advanced = 0.0
        for _ in range(10_000):  # bounded: one step per pending pickup or outcome
            step = settle_step(await self.state(), advanced, max_seconds)
            if step <= 0:
                break
            await self.advance(step)
            advanced += step
        return advanced

    # ── world ──

    async def reset(self) -> None:
        await self._call("DELETE", "/_mock/scenarios", "clear scenarios")
        self._now = (await self._call("POST", "/_mock/reset", "reset"))["clock"]["now"] / 1000

    async def state(self) -> State:
        """The whole state: every page of ``GET /_mock/state`` (a big world answers in pages), keys masked."""
        state = await self._call("GET", "/_mock/state", "read the state", params={"limit": STATE_PAGE_LIMIT})
        for _ in range(_MAX_STATE_PAGES):
            if not state.get("nextCursor"):
                break
            params = {"limit": STATE_PAGE_LIMIT, "cursor": state["nextCursor"]}
            merge_state_page(state, await self._call("GET", "/_mock/state", "read the state", params=params))
        return state

    async def applications(self) -> list[Application]:
        return (await self.state())["applications"]

    async def account(self, api_key: str | None = None) -> Account:
        key = api_key or self.api_key
        return await self._call("GET", f"/_mock/accounts/{key}", f"read account {key}")

    async def put_account(self, api_key: str | None = None, **changes: Any) -> Account:
        key = api_key or self.api_key
        return await self._call("PUT", f"/_mock/accounts/{key}", f"update account {key}", json=changes)

    async def load_scenario(self, scenario: str | Path | dict[str, Any] | FaultSchedule) -> list[dict[str, Any]]:
        if isinstance(scenario, FaultSchedule):
            scenario = scenario.to_scenario()
        if isinstance(scenario, dict):
            body = await self._call("POST", "/_mock/scenarios", "load scenario", json=scenario)
        else:
            text = str(scenario)
            if isinstance(scenario, Path) or ("\n" not in text and text.endswith((".yaml", ".yml", ".json"))):
                text = Path(scenario).read_text(encoding="utf-8")
            body = await self._call(
                "POST",
                "/_mock/scenarios",
                f"load scenario {json.dumps(str(scenario))[:80]}",
                content=text.encode(),
                headers={"content-type": "application/yaml"},
            )
        return body["scenarios"]

    async def clear_scenarios(self) -> None:
        await self._call("DELETE", "/_mock/scenarios", "clear scenarios")

    # ── observations ──

    async def requests(self) -> RequestLog:
        """The request journal (a method here: properties cannot be awaited)."""
        entries = (await self._call("GET", "/_mock/requests", "read the journal"))["requests"]
        return RequestLog(Request.from_dict(e) for e in entries)

    async def deliveries(self) -> list[Delivery]:
        """Every webhook delivery with its attempts (a list, like :attr:`UpHuntMock.deliveries`)."""
        return (await self._call("GET", "/_mock/webhooks/deliveries", "read webhook deliveries"))["deliveries"]

    async def snapshot(self) -> dict[str, Any]:
        return await self._call("POST", "/_mock/snapshot", "take a snapshot")

    async def restore(self, snapshot: dict[str, Any]) -> dict[str, Any]:
        result = await self._call("POST", "/_mock/restore", "restore a snapshot", json=snapshot)
        self._now = result["clock"]["now"] / 1000
        return result
