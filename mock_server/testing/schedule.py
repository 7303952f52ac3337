"""Fault schedules: what goes wrong, in what order, as scenario documents (:class:`FaultSchedule`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .journal import APPLY, STATUS, Request

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
TERMINAL_STATUSES = frozenset({400, 401, 402, 404, 409, 422})
RETRYABLE_OUTCOMES = frozenset({"logged_out"})
TERMINAL_OUTCOMES = frozenset({"not_eligible", "not_available"})
OUTCOMES = ("applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out")
NO_RESPONSE = 0  # journal status of a request whose connection the mock dropped


@dataclass(frozen=True)
class Respond:
    """Answer the request with ``status`` (and ``Retry-After: retry_after`` seconds) instead of handling it."""

    status: int
    retry_after: int | None = None

    def __repr__(self) -> str:
        extra = f", retry_after={self.retry_after}" if self.retry_after is not None else ""
        return f"Respond({self.status}{extra})"


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer (the client sees a transport error)."""

    def __repr__(self) -> str:
        return "Drop()"


@dataclass(frozen=True)
class Delay:
    """Handle the request normally but answer ``seconds`` later."""

    seconds: float

    def __repr__(self) -> str:
        return f"Delay({self.seconds:g})"


@dataclass(frozen=True)
class Outcome:
    """Force an application's terminal state (``logged_out``, ``not_enough_connects``, ``applied``...)."""

    status: str

    def __repr__(self) -> str:
        return f"Outcome({self.status!r})"


Fault = Respond | Drop | Delay


@dataclass(frozen=True)
class FaultSchedule:
    """What goes wrong, in order: the Nth apply request gets ``apply[N-1]`` (``None``: served normally),
    the Nth status request ``status[N-1]``, the Nth application ends as ``outcomes[N-1]`` (``None``: the
    world decides); ``submission`` fixes how many seconds every submission takes (the slow tail).

    Its repr is what hypothesis prints as a falsifying example, so it is kept short.
    """

    apply: tuple[Fault | None, ...] = ()
    status: tuple[Fault | None, ...] = ()
    outcomes: tuple[Outcome | None, ...] = ()
    submission: float | None = None
    name: str = field(default="fault-schedule", compare=False)

    def __repr__(self) -> str:
        parts = [f"{k}={list(getattr(self, k))!r}" for k in ("apply", "status", "outcomes") if getattr(self, k)]
        if self.submission is not None:
            parts.append(f"submission={self.submission:g}")
        return f"FaultSchedule({', '.join(parts)})"

    @property
    def is_empty(self) -> bool:
        return self.submission is None and not any(f is not None for f in (*self.apply, *self.status, *self.outcomes))

    def _rules(self) -> list[tuple[dict[str, Any], Fault | Outcome | None]]:
        """(scenario rule, fault) in document order. The engine stops at the first rule that answers,
        so the rules of one counter go from the highest ``nth`` down: each then counts every request
        before its own."""
        out: list[tuple[dict[str, Any], Fault | Outcome | None]] = []
        for op, faults in ((APPLY, self.apply), (STATUS, self.status)):
            for n in range(len(faults), 0, -1):
                fault = faults[n - 1]
                if fault is not None:
                    out.append((_request_rule(op, n, fault), fault))
        for n in range(len(self.outcomes), 0, -1):
            outcome = self.outcomes[n - 1]
            if outcome is not None:
                out.append(({"name": f"outcome #{n}", "match": {"nth": n}, "outcome": outcome.status}, outcome))
        if self.submission is not None:
            s = float(self.submission)
            out.append(
                (
                    {
                        "name": "submission time",
                        "latency": {"submission": {"median": s, "p95": s, "low": s, "high": s}},
                    },
                    None,
                )
            )
        return out

    def to_scenario(self) -> dict[str, Any]:
        """The scenario document that injects this schedule (load it with ``mock.load_scenario``)."""
        rules = [rule for rule, _ in self._rules()]
        if not rules:  # a scenario needs a rule: one that never matches
            rules = [
                {"name": "no faults", "match": {"operationId": APPLY, "probability": 0}, "respond": {"status": 500}}
            ]
        return {"name": self.name, "description": repr(self), "rules": rules}

    def fault_for(self, request: Request) -> Fault | Outcome | None:
        """The fault that acted on a journal entry (its ``matchedRule`` is ``<scenario>/<index>``)."""
        prefix, _, index = (request.matched_rule or "").rpartition("/")
        rules = self._rules()
        if prefix == self.name and index.isdigit() and int(index) < len(rules):
            return rules[int(index)][1]
        return None

    def retry_after_for(self, request: Request) -> float | None:
        fault = self.fault_for(request)
        return float(fault.retry_after) if isinstance(fault, Respond) and fault.retry_after is not None else None


def _request_rule(operation: str, nth: int, fault: Fault) -> dict[str, Any]:
    """One request fault as a scenario rule (format: docs/guide/scenarios.md)."""
    rule: dict[str, Any] = {"name": f"{operation} #{nth}", "match": {"operationId": operation, "nth": nth}}
    if isinstance(fault, Respond):
        rule["respond"] = {"status": fault.status}
        if fault.retry_after is not None:
            rule["respond"]["retryAfter"] = fault.retry_after
    elif isinstance(fault, Drop):
        rule["drop"] = True
    elif isinstance(fault, Delay):
        rule["delay"] = {"seconds": fault.seconds}
    return rule
