"""A deliberately naive UpHunt client, the kind that passes a happy-path test and fails in production.

Three bugs, each caught by the invariants of :mod:`mock_server.testing` with a minimal
counterexample (see test_example_naive_client.py and docs/guide/pytest-plugin.md):

1. it ignores ``Retry-After`` on 429 (it only backs off exponentially);
2. it retries 402 (out of credits), hoping credits come back;
3. it polls every 5 s until a terminal state, forever: no 15 s cadence after the first
   minute, no 5-minute cut-off.

Like the reference client it takes ``sleep`` and ``clock``, so tests drive it on the mock's
manual clock. ``max_polls`` only exists so that a test can never hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

TERMINAL = {"applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out"}


class NaiveError(Exception):
    def __init__(self, status: int | None, text: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status}: {text}")


@dataclass
class NaiveClient:
    base_url: str
    api_key: str
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    max_polls: int = 500  # a safety net for tests, not a design decision

    http: httpx.Client | None = None  # bring your own (tests pass mock.client()); else one is made

    def __post_init__(self) -> None:
        if self.http is not None:
            self.http.headers["x-api-key"] = self.api_key
            return
        self.http = httpx.Client(base_url=self.base_url, headers={"x-api-key": self.api_key}, timeout=10.0)

    def close(self) -> None:
        self.http.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(1, 5):
            try:
                res = self.http.request(method, path, **kwargs)
            except httpx.TransportError:
                self.sleep(2**attempt * 0.5)
                continue
            if res.is_success:
                return res.json()
            # Bug 2: 402 is retried ("credits might come back"). Bug 1: Retry-After is never read.
            if (res.status_code in (402, 429) or res.status_code >= 500) and attempt < 4:
                self.sleep(2**attempt * 0.5)
                continue
            raise NaiveError(res.status_code, res.text)
        raise NaiveError(None, "gave up")

    def apply_and_wait(self, job_id: str, cover_letter: str) -> dict[str, Any]:
        queued = self.call("POST", "/api/auto-apply-v2/apply", json={"jobId": job_id, "coverLetter": cover_letter})
        # Bug 3: every 5 s until terminal, however long that takes.
        for _ in range(self.max_polls):
            self.sleep(5)
            record = self.call("GET", "/api/auto-apply-v2/status", params={"queueId": queued["queueId"]})
            if record["applicationStatus"] in TERMINAL:
                return record
        raise RuntimeError("safety net: polled max_polls times")
