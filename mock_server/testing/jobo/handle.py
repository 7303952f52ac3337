"""The handle a test drives a Jobo mock with (:class:`JoboMock`): every call is one control-API request.

Time, scenarios, the journal, accounts and reset work as on UpHunt's handle (the control API is
the same); Jobo adds its keys, the job catalogue (add, update, expire) and a read of every active
job through a subscription key of its own, the oracle a sync client's copy is compared with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.journal import mask_secret
from ...vendors.jobo.domain.accounts import DEMO_FREE_KEY, DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from ..handle import UpHuntMock
from ..journal import RequestLog

if TYPE_CHECKING:
    from ..server import MockServer


class JoboMock(UpHuntMock):
    """A Jobo mock's address, a key (the paid, pay-as-you-go demo key by default), and control over it."""

    DEMO_KEY = DEMO_LIVE_KEY  # paid plan, pay-as-you-go feed (0.5 credit per job), 100,000 credits
    SANDBOX_KEY = DEMO_SANDBOX_KEY  # the sandbox catalogue, never charged
    FREE_KEY = DEMO_FREE_KEY  # free plan: no feed (403), 60 requests a minute
    ORACLE_KEY = "jbe_live_UphuntMockOracleKey0000000_ReadsTheWholeFeedWithASubscriptionNeverCharged0"

    def __init__(
        self,
        base_url: str,
        api_key: str = DEMO_LIVE_KEY,
        server: MockServer | None = None,
        control_token: str | None = None,
    ) -> None:
        super().__init__(base_url, api_key=api_key, server=server, control_token=control_token)

    @classmethod
    def connect(cls, base_url: str, api_key: str = DEMO_LIVE_KEY, control_token: str | None = None) -> JoboMock:
        """A handle on a Jobo mock started elsewhere (``uphunt-mock serve --vendor jobo --clock manual``)."""
        return cls(base_url, api_key, control_token=control_token)

    def __repr__(self) -> str:
        return f"<JoboMock {self.base_url} api_key={self.api_key!r}>"

    # ── scenarios: a JoboFaultSchedule loads like a document ──

    def load_scenario(self, scenario: Any) -> list[dict[str, Any]]:
        """Load a scenario: a file path, YAML text, a document (dict) or a :class:`JoboFaultSchedule`."""
        if hasattr(scenario, "to_scenario"):
            scenario = scenario.to_scenario()
        loaded: list[dict[str, Any]] = super().load_scenario(scenario)
        return loaded

    def load_library(self, name: str) -> list[dict[str, Any]]:
        """Load a ready-made Jobo scenario by name (``maintenance``, ``rate-limited``...: ``scenarios/jobo/``)."""
        from ...core.scenarios import library

        return self.load_scenario(library.find(name, "jobo"))  # ValueError naming the library's files

    @property
    def requests(self) -> RequestLog:
        """The request journal, oldest first, without the oracle reads of :meth:`active_jobs`."""
        oracle = mask_secret(self.ORACLE_KEY)
        return RequestLog(r for r in super().requests if r.api_key != oracle)

    # ── the job catalogue ──

    def job(self, job_id: str) -> dict[str, Any]:
        """``{"id", "catalogue", "state", "discoveredAt", "updatedAt", "expiredAt", "job": <record>}``."""
        result: dict[str, Any] = self._call("GET", f"/_mock/jobs/{job_id}", f"read job {job_id}")
        return result

    def put_job(self, job_id: str, **fields: Any) -> dict[str, Any]:
        """Add a job discovered now (unknown id) or update one (updated now): a world file's ``jobs`` fields."""
        result: dict[str, Any] = self._call("PUT", f"/_mock/jobs/{job_id}", f"put job {job_id}", json=fields)
        return result

    def expire_job(self, job_id: str) -> dict[str, Any]:
        """Expire a job now (the expired sweep lists it from now on)."""
        result: dict[str, Any] = self._call("DELETE", f"/_mock/jobs/{job_id}", f"expire job {job_id}")
        return result

    def catalogue(self) -> dict[str, Any]:
        """``{"live": {"jobs", "active", "companies"}, "sandbox": {...}}``."""
        state: dict[str, Any] = self._call("GET", "/_mock/state", "read the state")  # Jobo's state has a catalogue
        return state["catalogue"]

    def active_jobs(self, sandbox: bool = False, batch_size: int = 1000) -> dict[str, dict[str, Any]]:
        """Every active job as the feed serves it now, by id: the oracle to compare a client's copy with.

        Read with a key of its own (:attr:`ORACLE_KEY`, created on first use with a Jobs Feed
        subscription: never charged, its own rate-limit windows), so the client's account is untouched;
        :attr:`requests` leaves its reads out. For the sandbox catalogue, the demo sandbox key reads it
        (the sandbox is free)."""
        key = self.SANDBOX_KEY if sandbox else self.ORACLE_KEY
        if not sandbox:
            self.put_account(key, plan="paid", feed="subscription")
        jobs: dict[str, dict[str, Any]] = {}
        body: dict[str, Any] = {"batch_size": batch_size}
        for _ in range(10_000):  # bounded: one page per batch of the catalogue
            page = self._call("POST", "/api/jobs/feed", "read the feed", json=body, headers={"x-api-key": key})
            jobs.update((job["id"], job) for job in page["jobs"])
            if not page["has_more"]:
                return jobs
            body = {"cursor": page["next_cursor"]}
        raise AssertionError("the feed never ended")
