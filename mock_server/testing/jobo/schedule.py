"""Jobo fault schedules: what goes wrong on the Nth feed page, expired sweep or search (:class:`JoboFaultSchedule`).

The faults are the same :class:`~mock_server.testing.schedule.Respond` / ``Drop`` / ``Delay`` as
UpHunt's; a schedule turns them into a scenario document whose injected errors the Jobo vendor
renders like its real ones (the Status Codes page's bodies, ``Retry-After``, a 409's ``replacement_request``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..journal import Request
from ..schedule import Fault, Respond, _request_rule

FEED = "getJobsFeed"
EXPIRED = "getExpiredJobIds"
SEARCH = "searchJobs"

# The Status Codes page's retry table, by status: never retried, retried (with the wait the table gives), restart.
TERMINAL_STATUSES = frozenset({400, 401, 402, 403, 404})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RESTART_STATUS = 409  # feed_cursor_restart_required: never the same cursor, start a new scan
INJECTED_429_RETRY_AFTER = (
    60.0  # what an injected 429 without its own retryAfter says (the Status Codes page's example)
)


@dataclass(frozen=True)
class JoboFaultSchedule:
    """The Nth feed request gets ``feed[N-1]``, the Nth expired-ids request ``expired[N-1]``, the Nth
    search ``search[N-1]`` (``None``: served normally). Counted from when the schedule is loaded;
    the legacy ``/api/feed/...`` paths count with the current ones.

    Its repr is what hypothesis prints as a falsifying example, so it is kept short.
    """

    feed: tuple[Fault | None, ...] = ()
    expired: tuple[Fault | None, ...] = ()
    search: tuple[Fault | None, ...] = ()
    name: str = field(default="jobo-fault-schedule", compare=False)

    def __repr__(self) -> str:
        parts = [f"{k}={list(getattr(self, k))!r}" for k in ("feed", "expired", "search") if getattr(self, k)]
        return f"JoboFaultSchedule({', '.join(parts)})"

    @property
    def is_empty(self) -> bool:
        return not any(f is not None for f in (*self.feed, *self.expired, *self.search))

    def _rules(self) -> list[tuple[dict[str, Any], Fault]]:
        """(scenario rule, fault) in document order. The engine stops at the first rule that answers, so the
        rules of one counter go from the highest ``nth`` down: each then counts every request before its own."""
        out: list[tuple[dict[str, Any], Fault]] = []
        for op, faults in ((FEED, self.feed), (EXPIRED, self.expired), (SEARCH, self.search)):
            for n in range(len(faults), 0, -1):
                fault = faults[n - 1]
                if fault is not None:
                    out.append((_request_rule(op, n, fault), fault))
        return out

    def to_scenario(self) -> dict[str, Any]:
        """The scenario document that injects this schedule (``mock.load_scenario(schedule)`` loads it)."""
        rules = [rule for rule, _ in self._rules()]
        if not rules:  # a scenario needs a rule: one that never matches
            rules = [
                {"name": "no faults", "match": {"operationId": FEED, "probability": 0}, "respond": {"status": 500}}
            ]
        return {"name": self.name, "description": repr(self), "rules": rules}

    def fault_for(self, request: Request) -> Fault | None:
        """The fault that acted on a journal entry (its ``matchedRule`` is ``<scenario>/<index>``)."""
        prefix, _, index = (request.matched_rule or "").rpartition("/")
        rules = self._rules()
        if prefix == self.name and index.isdigit() and int(index) < len(rules):
            return rules[int(index)][1]
        return None

    def retry_after_for(self, request: Request) -> float | None:
        """The ``Retry-After`` the schedule made the mock send with this answer (None: none, or not injected)."""
        fault = self.fault_for(request)
        if not isinstance(fault, Respond):
            return None
        if fault.retry_after is None:
            return INJECTED_429_RETRY_AFTER if fault.status == 429 else None
        return float(fault.retry_after)
