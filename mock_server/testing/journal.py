"""The request journal as tests read it: :class:`RequestLog`, with assertion helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

APPLY = "applyToJob"
STATUS = "getApplicationStatus"
# Seconds of slack the timing invariants allow (jitter, rounding to the journal's milliseconds).
TOLERANCE = 0.001


@dataclass(frozen=True)
class Request:
    """One journal entry. ``time`` is simulated Unix seconds; ``status`` what the mock answered."""

    id: int
    time: float
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    status: int
    operation_id: str | None
    matched_rule: str | None
    latency_ms: float = 0.0
    # The answer as the journal kept it ({status, headers, body}; None for a dropped connection).
    response: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_dict(cls, e: dict[str, Any]) -> Request:
        return cls(
            id=e["id"],
            time=e["time"] / 1000,
            method=e["method"],
            path=e["path"],
            query=e["query"],
            headers=e["headers"],
            body=e["body"],
            status=e["status"],
            operation_id=e["operationId"],
            matched_rule=e["matchedRule"],
            latency_ms=e.get("latencyMs", 0.0),
            response=e.get("response"),
        )

    @property
    def job_id(self) -> str | None:
        """The job this request is about: the apply body's ``jobId`` or the status query's."""
        if isinstance(self.body, dict) and isinstance(self.body.get("jobId"), str):
            return self.body["jobId"]
        value = self.query.get("jobId")
        return value if isinstance(value, str) else None

    @property
    def queue_id(self) -> str | None:
        value = self.query.get("queueId")
        return value if isinstance(value, str) else None

    @property
    def api_key(self) -> str | None:
        """The masked API key the request carried."""
        return self.headers.get("x-api-key")

    def __str__(self) -> str:
        what = self.queue_id or self.job_id or ""
        rule = f" [rule {self.matched_rule}]" if self.matched_rule else ""
        return f"#{self.id} t={self.time:.3f} {self.method} {self.path} {what} -> {self.status}{rule}".replace(
            "  ", " "
        )


class RequestLog(list[Request]):
    """The journal as a list of :class:`Request`, with filters and assertions."""

    def for_operation(self, operation_id: str) -> RequestLog:
        return RequestLog(r for r in self if r.operation_id == operation_id)

    def for_job(self, job_id: str) -> RequestLog:
        return RequestLog(r for r in self if r.job_id == job_id)

    def for_queue(self, queue_id: str) -> RequestLog:
        return RequestLog(r for r in self if r.queue_id == queue_id)

    def with_status(self, *statuses: int) -> RequestLog:
        return RequestLog(r for r in self if r.status in statuses)

    def after(self, entry: Request) -> RequestLog:
        return RequestLog(r for r in self if r.id > entry.id)

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self]

    @property
    def times(self) -> list[float]:
        """Simulated seconds since the first request."""
        return [r.time - self[0].time for r in self] if self else []

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests."""
        return [round(b.time - a.time, 3) for a, b in zip(self, self[1:], strict=False)]

    def assert_no_request_within(self, seconds: float, after: Request, operation: str | None = None) -> None:
        """No request (of ``operation``, if given) arrived less than ``seconds`` after ``after`` (e.g. a 429)."""
        early = [
            r
            for r in self.after(after)
            if r.time - after.time < seconds - TOLERANCE and (operation is None or r.operation_id == operation)
        ]
        if early:
            lines = "\n  ".join(f"{r}  ({r.time - after.time:.3f} s after)" for r in early)
            raise AssertionError(f"requests within {seconds} s after {after}:\n  {lines}")

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self)
