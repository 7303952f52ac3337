"""A reference Jobo Auto Apply client: one application, driven to its end the way the contract asks.

* **Create once.** The ``Idempotency-Key`` is chosen before the first attempt and reused for every
  retry of that create (a transport error, a 5xx, a 429): a retry re-attaches to the application
  the first attempt may have made, it never starts a second one.
* **Retries** honour ``Retry-After`` (else 1 s doubling, capped at 30 s), up to ``attempts``.
  ``auto_apply_coming_soon`` (the launch gate) and every other 4xx are final: raised at once.
* **Answers** are a complete snapshot for the current step and its ``correction_round``, sent
  before ``answers_expire_at``; a correction round (the ATS rejected the snapshot) is answered
  again with the ``command_errors`` in hand. A 409 (stale round, state moved on) re-reads the
  application instead of resending.
* **Waiting** uses the server's holds (``wait_seconds``) or, with ``wait_seconds=0``, polls every
  ``poll_seconds`` through the injectable ``sleep``.
* **Terminal states** (``submitted``, ``failed``, ``canceled``) end the loop: nothing more is sent.

Tests pass the mock's clock (``sleep`` advances it, ``now`` reads it) so nothing really sleeps.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

TERMINAL = frozenset({"submitted", "failed", "canceled"})
FINAL_CODES = frozenset({"auto_apply_coming_soon"})
Answerer = Callable[[dict[str, Any]], list[dict[str, Any]]]


class AutoApplyError(Exception):
    """A request that failed for good: ``status`` (None: no answer came), the body's ``code`` and body."""

    def __init__(self, status: int | None, body: Any) -> None:
        self.status = status
        self.body = body
        self.code = body.get("code") if isinstance(body, dict) else None
        message = body.get("message") or body.get("detail") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status} {self.code}: {message}" if status else f"no answer: {message}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass
class AutoApplyClient:
    base_url: str
    api_key: str
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time  # Unix seconds (the mock's clock in tests)
    wait_seconds: int = 90  # long-poll hold per GET; 0 = poll every poll_seconds instead
    poll_seconds: float = 5.0
    attempts: int = 5
    http: httpx.Client | None = None
    keys: dict[str, str] = field(default_factory=dict)  # target -> Idempotency-Key (persist this in production)

    def _client(self) -> httpx.Client:
        if self.http is None:
            self.http = httpx.Client(base_url=self.base_url, timeout=self.wait_seconds + 30)
        return self.http

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call with retries: transport errors, 429 and 5xx (except the launch gate) are retried."""
        headers = {"X-Api-Key": self.api_key, **kwargs.pop("headers", {})}
        delay = 1.0
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._client().request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                if attempt == self.attempts:
                    raise AutoApplyError(None, str(exc)) from None
                self.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            body = response.json() if response.content else None
            code = body.get("code") if isinstance(body, dict) else None
            retryable = response.status_code == 429 or response.status_code >= 500
            if response.status_code < 400:
                return response
            if not retryable or code in FINAL_CODES or attempt == self.attempts:
                raise AutoApplyError(response.status_code, body)
            self.sleep(_retry_after(response) or delay)
            delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")  # pragma: no cover

    # ── the application loop ────────────────────────────────────────────

    def create(self, target: dict[str, str]) -> dict[str, Any]:
        """Create (or re-attach to) the application for ``target`` (``{"job_id": ...}`` or ``{"apply_url": ...}``)."""
        name = target.get("job_id") or target["apply_url"]
        key = self.keys.setdefault(name, str(uuid.uuid4()))  # chosen once, before the first attempt
        return self._request(
            "POST", "/api/auto-apply/applications", json=target, headers={"Idempotency-Key": key}
        ).json()

    def get(self, app_id: str) -> dict[str, Any]:
        params = {"wait_seconds": self.wait_seconds} if self.wait_seconds else None
        if not self.wait_seconds:
            self.sleep(self.poll_seconds)
        return self._request("GET", f"/api/auto-apply/applications/{app_id}", params=params).json()

    def answer(self, app: dict[str, Any], answers: list[dict[str, Any]]) -> dict[str, Any]:
        step = app["current_step"]
        body = {"answers": answers, "correction_round": step["correction_round"]}
        try:
            return self._request("POST", f"/api/auto-apply/applications/{app['id']}/answers", json=body).json()
        except AutoApplyError as exc:
            if exc.status == 409:  # the round or the state moved on: read where things are
                return self._request("GET", f"/api/auto-apply/applications/{app['id']}").json()
            raise

    def apply(self, target: dict[str, str], answerer: Answerer) -> dict[str, Any]:
        """Drive one application to a terminal state; returns it."""
        app = self.create(target)
        while app["status"] not in TERMINAL:
            if app["status"] == "awaiting_answers":
                step = app["current_step"]
                answers = answerer(step)
                if self.now() >= _seconds(step["answers_expire_at"]):
                    app = self.get(app["id"])  # too late for this round: the server ends it (answers_timeout)
                    continue
                app = self.answer(app, answers)
            else:
                app = self.get(app["id"])
        return app
