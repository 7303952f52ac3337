"""Application records and their state machine.

An application is ``processing`` from the moment it is queued until exactly
one terminal state; a terminal record never changes. The legal transitions
are data (:data:`TRANSITIONS`), checked on every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PROCESSING = "processing"
APPLIED = "applied"
FAILED = "failed"
NOT_AVAILABLE = "not_available"
NOT_ELIGIBLE = "not_eligible"
NOT_ENOUGH_CONNECTS = "not_enough_connects"
LOGGED_OUT = "logged_out"

TERMINAL_STATES = (APPLIED, FAILED, NOT_AVAILABLE, NOT_ELIGIBLE, NOT_ENOUGH_CONNECTS, LOGGED_OUT)
ALL_STATES = (PROCESSING, *TERMINAL_STATES)
TRANSITIONS: dict[str, frozenset[str]] = {
    PROCESSING: frozenset(TERMINAL_STATES),
    **{state: frozenset() for state in TERMINAL_STATES},
}

STATUS_MESSAGES = {
    PROCESSING: "Application is being submitted to Upwork",
    APPLIED: "Successfully applied via auto-apply",
    FAILED: "Application failed",
    NOT_AVAILABLE: "Job is no longer available on Upwork",
    NOT_ELIGIBLE: "Your agency profile does not meet the job requirements",
    NOT_ENOUGH_CONNECTS: "Your agency does not have enough Connects",
    LOGGED_OUT: "Business developer session temporarily invalidated; UpHunt reconnects automatically",
}


class IllegalTransition(RuntimeError):
    pass


@dataclass(slots=True)
class Application:
    """One queued proposal submission, as the status endpoint and the journal see it."""

    queue_id: str
    api_key: str
    agency_id: str
    job_id: str  # the job's canonical ciphertext
    job_title: str
    job_type: str
    processed_job_id: str
    profile_id: str
    freelancer_id: str
    cover_letter: str
    bid_kind: str  # "hourlyRate" | "fixedBid"
    bid_amount: float
    bid_source: str  # "request" | "profileDefault"
    timeline: str | None
    boost_bids: int
    auto_fill_other_questions: bool
    question_answers: list[dict[str, Any]]
    created_at: float
    pickup_at: float
    completes_at: float
    status: str = PROCESSING
    processed_at: float | None = None
    applied_at: float | None = None
    finished_at: float | None = None
    error_message: str | None = None
    connects_spent: int = 0
    seq: int = 0  # creation order, the tie-breaker for stable listings

    @property
    def is_terminal(self) -> bool:
        return self.status != PROCESSING

    def finish(self, status: str, now: float, error_message: str | None = None) -> None:
        if status not in TRANSITIONS[self.status]:
            raise IllegalTransition(f"{self.queue_id}: {self.status} -> {status} is not allowed")
        self.status = status
        self.finished_at = now
        if status == APPLIED:
            self.applied_at = now
            self.error_message = None
        else:
            self.error_message = error_message or STATUS_MESSAGES[status]

    def status_record(self) -> dict[str, Any]:
        """The GET /status body (the Check Status page)."""
        return {
            "jobId": self.job_id,
            "processedJobId": self.processed_job_id,
            "applicationStatus": self.status,
            "applicationStatusMessage": STATUS_MESSAGES[self.status],
            "queueId": self.queue_id,
            "appliedAt": _ms(self.applied_at),
            "processedAt": _ms(self.processed_at),
            "errorMessage": self.error_message,
        }

    def applied_job_record(self) -> dict[str, Any]:
        """An applied-jobs row: the status record plus what was submitted."""
        record = self.status_record()
        record.update(
            createdAt=_ms(self.created_at),
            jobTitle=self.job_title,
            jobType=self.job_type,
            profileId=self.profile_id,
            coverLetter=self.cover_letter,
            bid={"kind": self.bid_kind, "amount": self.bid_amount, "source": self.bid_source},
            timeline=self.timeline,
            boostBids=self.boost_bids,
            connectsSpent=self.connects_spent,
        )
        return record


def _ms(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1000))
