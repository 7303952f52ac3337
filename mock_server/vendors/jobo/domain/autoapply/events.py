"""Callback events (decision J34): what the engine's webhook dispatcher delivers to the account's URL.

Each event has an id (``evt_…``, stable across retries: ``x-jobo-webhook-id``), a type, the
account's key, a frozen payload (``attempt`` is rewritten per delivery attempt by the vendor),
and the retry delays of its type: ``fields_requested`` is retried on transport errors at 0, 5
and 20 s; terminal events at 0, 60, 300, 900, 3600, 14400, 43200 and 86400 s.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

API_VERSION = "2026-07-21"
FIELDS_REQUESTED = "application.fields_requested"
TYPES = (FIELDS_REQUESTED, "application.submitted", "application.failed", "application.canceled")
# Seconds between attempts (attempt n+1 comes delays[n-1] after attempt n).
FIELDS_REQUESTED_DELAYS = (5.0, 15.0)  # attempts at 0, 5, 20 s
TERMINAL_DELAYS = (
    60.0,
    240.0,
    600.0,
    2700.0,
    10800.0,
    28800.0,
    43200.0,
)  # 0, 60, 300, 900, 3600, 14400, 43200, 86400 s
CALLBACK_DEADLINE_SECONDS = 120.0


@dataclass(eq=False)
class CallbackEvent:
    event_id: str
    type: str
    api_key: str
    created_at: float
    body: dict[str, Any]  # the payload with attempt 1
    application_id: str
    job_id: str | None = None
    apply_url: str | None = None
    step_id: str | None = None
    correction_round: int | None = None
    account: Any = None  # the key's account: its callback secrets are read at each attempt (rotation)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> dict[str, str | None]:
        return {"applicationId": self.application_id, "jobId": self.job_id, "applyUrl": self.apply_url}

    @property
    def retry_delays(self) -> tuple[float, ...]:
        return FIELDS_REQUESTED_DELAYS if self.type == FIELDS_REQUESTED else TERMINAL_DELAYS

    def payload(self) -> dict[str, Any]:
        return self.body

    def payload_for_attempt(self, attempt: int) -> dict[str, Any]:
        """The body of delivery attempt ``attempt``: Jobo rewrites ``attempt`` on each retry."""
        return {**self.body, "attempt": attempt}

    def secrets(self) -> list[str]:
        """The ``whsec_`` secrets to sign with now: the current one, and the previous one during a rotation."""
        if self.account is None:
            return []
        previous = self.account.previous_callback_secret
        return [self.account.callback_secret] + ([previous] if previous else [])

    def log_fields(self) -> dict[str, Any]:
        return {"applicationId": self.application_id, "correctionRound": self.correction_round}


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 over ``"<event id>.<timestamp>."`` + the raw body, keyed with the whole secret."""
    message = f"{event_id}.{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], event_id: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex>``, or ``v1=<hex> v1=<hex>`` (space-separated, current secret first) during a rotation."""
    return " ".join(f"v1={sign(secret, event_id, timestamp, body)}" for secret in secrets)
