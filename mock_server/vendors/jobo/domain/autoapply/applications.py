"""An application and its steps: the state the service moves on the scheduler.

``queued`` → ``running`` → ``awaiting_answers`` (a step waits for answers) → ``running`` (the
ATS reviews them) → the next step, a correction round, or ``submitted``; ``failed`` and
``canceled`` from anywhere that is not terminal. Invariant (checked by the tests): a
non-terminal application always has exactly one pending scheduler event (``pending``), a
terminal one none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .fields import Field
from .forms import Form

STATUSES = ("queued", "running", "awaiting_answers", "submitted", "failed", "canceled")
TERMINAL = frozenset({"submitted", "failed", "canceled"})
ANSWERABLE = TERMINAL | {"awaiting_answers"}
MAX_CORRECTION_ROUND = 3


@dataclass
class Step:
    id: str
    sequence: int  # 1-based
    fields: tuple[Field, ...]
    opened_at: float
    answers_expire_at: float
    correction_round: int = 0
    command_errors: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] | None = None  # the snapshot under review


@dataclass
class Failure:
    code: str
    message: str
    retryable: bool


@dataclass(eq=False)
class Application:
    id: str
    seq: int  # creation order (list cursors)
    api_key: str
    sandbox: bool
    job_id: str | None
    apply_url: str
    provider_id: str
    provider_name: str
    form: Form
    created_at: float
    updated_at: float
    status: str = "queued"
    completed_at: float | None = None
    failure: Failure | None = None
    step: Step | None = None
    steps_done: int = 0
    rejections_used: int = 0  # of the current step
    cancel_requested: bool = False
    charged: int = 0  # milli-credits taken at create
    refunded: int = 0
    pending: Any = None  # the scheduler event that moves it next
    watchers: list[Callable[[], None]] = field(default_factory=list)
    job: Any = None  # the catalogue job of a job_id target (its expiry fails discovery)
    # the older generation
    legacy: bool = False
    profile_id: str | None = None
    autopilot: dict[str, str] | None = None  # facts a one-shot run answers from
    fields_filled: int = 0
    step_log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def answerable(self) -> bool:
        return self.status in ANSWERABLE

    @property
    def current_step(self) -> Step | None:
        return self.step if self.status == "awaiting_answers" else None

    def notify(self) -> None:
        """Wake whoever holds a request on this application (the HTTP layer's long polls)."""
        for watch in list(self.watchers):
            watch()
