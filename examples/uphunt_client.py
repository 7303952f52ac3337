"""A reference UpHunt client: apply to a job and wait for its outcome the way the docs recommend.

* Retries (the docs' Error Reference, https://uphunt.io/docs/errors, and its retry helper): up to 4 attempts; retry when the status is 429
  or >= 500, or when no answer came (connection dropped); wait the larger of ``Retry-After``
  and ``2^attempt x 500 ms + random(0-500 ms)``. 400, 401, 402, 404, 409 and 422 are terminal.
* Polling (Check Status and How Auto-Apply Works): every 5 s during the first minute after the apply, then every 15 s;
  give up after 5 minutes (the application is then treated as failed).
* Outcomes (Error Reference): ``logged_out`` is transient, so the job is applied to again after a
  pause (up to 4 applications); every other terminal state is final.

Waiting goes through the injectable ``sleep`` and ``clock``: production code passes nothing
(``time.sleep``/``time.monotonic``); tests pass the mock's ``sleep``/``time`` so waiting
advances the simulated clock and no test really sleeps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

TERMINAL = frozenset({"applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out"})
RETRY_OUTCOMES = frozenset({"logged_out"})


class UpHuntError(Exception):
    """A request that failed for good: ``status`` (None when no answer came) and the parsed ``body``."""

    def __init__(self, status: int | None, body: Any, retry_after: float | None = None) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        message = body.get("error") if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}" if status is not None else f"no answer: {message}")

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


class PollTimeout(Exception):
    """The application was still processing 5 minutes after the apply: treat it as failed."""


def retry_after_of(res: httpx.Response) -> float | None:
    value = res.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


@dataclass
class UpHuntClient:
    base_url: str
    api_key: str
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    max_attempts: int = 4
    poll_fast: float = 5.0  # first minute
    poll_slow: float = 15.0  # after it
    poll_limit: float = 300.0  # give up after 5 minutes
    logged_out_pause: float = 30.0  # UpHunt reconnects the business developer by itself
    timeout: float = 10.0

    http: httpx.Client | None = None  # bring your own (tests pass mock.client()); else one is made

    def __post_init__(self) -> None:
        if self.http is not None:
            self.http.headers["x-api-key"] = self.api_key
            return
        self.http = httpx.Client(base_url=self.base_url, headers={"x-api-key": self.api_key}, timeout=self.timeout)

    def close(self) -> None:
        self.http.close()

    # ── one call, with the documented retries ──

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response | UpHuntError:
        try:
            res = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            return UpHuntError(None, str(exc) or type(exc).__name__)
        if res.is_success:
            return res
        try:
            body = res.json()
        except ValueError:
            body = res.text
        return UpHuntError(res.status_code, body, retry_after_of(res))

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """The docs' retry helper: up to ``max_attempts``; backoff ``max(Retry-After, 2^n x 0.5 s + jitter)``."""
        for attempt in range(1, self.max_attempts + 1):
            res = self._send(method, path, **kwargs)
            if isinstance(res, httpx.Response):
                return res.json()
            if not res.retryable or attempt == self.max_attempts:
                raise res
            backoff = 2**attempt * 0.5 + self.rng.uniform(0, 0.5)
            self.sleep(max(res.retry_after or 0.0, backoff))
        raise AssertionError("unreachable")

    # ── the API ──

    def apply(self, job_id: str, cover_letter: str, **fields: Any) -> dict[str, Any]:
        return self.call(
            "POST", "/api/auto-apply-v2/apply", json={"jobId": job_id, "coverLetter": cover_letter, **fields}
        )

    def status(self, queue_id: str) -> dict[str, Any]:
        """One status read, no retry: the polling loop is the retry."""
        res = self._send("GET", "/api/auto-apply-v2/status", params={"queueId": queue_id})
        if isinstance(res, UpHuntError):
            raise res
        return res.json()

    def wait(self, queue_id: str) -> dict[str, Any]:
        """Poll until a terminal state: every 5 s in the first minute, then every 15 s, for at most 5 minutes."""
        start = self.clock()
        pause = 0.0  # extra wait a 429 asked for
        while True:
            elapsed = self.clock() - start
            interval = max(self.poll_fast if elapsed < 60 else self.poll_slow, pause)
            if elapsed + interval > self.poll_limit:
                raise PollTimeout(f"{queue_id} still processing after {elapsed:g} s")
            self.sleep(interval)
            try:
                record = self.status(queue_id)
            except UpHuntError as exc:
                if not exc.retryable:
                    raise
                pause = exc.retry_after or 0.0
                continue
            pause = 0.0
            if record["applicationStatus"] in TERMINAL:
                return record

    def apply_and_wait(self, job_id: str, cover_letter: str, **fields: Any) -> dict[str, Any]:
        """Apply and return the final status record; re-apply after ``logged_out`` (up to ``max_attempts`` times).

        Raises :class:`UpHuntError` for a terminal HTTP error (or retries exhausted) and
        :class:`PollTimeout` when the outcome did not come within 5 minutes.
        """
        finished: set[str] = set()  # applications of this call already seen in a terminal state
        for round_ in range(1, self.max_attempts + 1):
            try:
                queued = self.apply(job_id, cover_letter, **fields)
            except UpHuntError as exc:
                # 409: already applied or processing. Not retried: follow the existing application
                # instead, unless it is one this call already saw finish (nothing new to wait for).
                existing = exc.body.get("queueId") if exc.status == 409 and isinstance(exc.body, dict) else None
                if existing and existing not in finished:
                    return self.wait(existing)
                raise
            record = self.wait(queued["queueId"])
            finished.add(queued["queueId"])
            if record["applicationStatus"] not in RETRY_OUTCOMES or round_ == self.max_attempts:
                return record
            self.sleep(self.logged_out_pause)
        raise AssertionError("unreachable")
