"""A reference Jobo sync client: keep a local copy of the active jobs the way Jobo's feed docs recommend.

* Sync (the feed docs): a backfill (a full stable scan), then runs that scan only what changed
  since the last run started, minus an overlap (``updated_after``: a job's discovery counts as an
  update, so new and changed jobs both come), upsert by ``id``, then sweep ``GET /api/jobs/expired``
  from the same watermark and drop those ids. The watermark moves only when a run completes, so a
  failed run is simply covered by the next one. (The docs' ``posted_after`` watermark filters on
  the employer's posting date and misses jobs posted days before Jobo found them.)
* Retries (the Status Codes page's table): 400, 401, 402, 403 and 404 are never retried; 409
  ``feed_cursor_restart_required`` starts a new scan from ``replacement_request`` (never the same
  cursor); 429 waits exactly ``Retry-After`` (repeated 429s add a jittered backoff); 500, 502, 504
  and a dropped connection back off from 1 s, doubling, capped at 30 s, 4 retries; 503 waits
  30-60 s (or ``Retry-After`` when it asks for more), up to 5 retries.

Waiting goes through the injectable ``sleep`` and ``clock``: production code passes nothing
(``time.sleep``/``time.time``); tests pass the mock's ``sleep``/``monotonic`` so waiting advances
the simulated clock and no test really sleeps.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

TERMINAL = frozenset({400, 401, 402, 403, 404})
RESTART = 409


class JoboError(Exception):
    """A request that failed for good: ``status`` (None when no answer came) and the parsed ``body``."""

    def __init__(self, status: int | None, body: Any, retry_after: float | None = None) -> None:
        self.status = status
        self.body = body
        self.retry_after = retry_after
        message = (body.get("message") or body.get("detail") or body.get("error")) if isinstance(body, dict) else body
        super().__init__(f"HTTP {status}: {message}" if status is not None else f"no answer: {message}")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SyncReport:
    received: int  # job records delivered by the feed in this run
    expired: int  # ids the sweep returned
    restarts: int  # scans started over after a 409


@dataclass
class JoboSyncClient:
    base_url: str
    api_key: str
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    batch_size: int = 500
    overlap: float = 900.0  # seconds the watermark reaches back (clock skew; the docs say 15 minutes)
    retries_500: int = 4  # the Status Codes page: 3-5
    retries_503: int = 5  # the Status Codes page: up to 5
    retries_429: int = 8
    max_restarts: int = 3
    timeout: float = 120.0  # the SDK's feed timeout: a page can carry 1,000 full job records

    http: httpx.Client | None = None  # bring your own (tests pass mock.client()); else one is made
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)  # the local copy, by id
    watermark: float | None = None  # when the last complete run started (None: backfill next)

    def __post_init__(self) -> None:
        if self.http is not None:
            self.http.headers["x-api-key"] = self.api_key
            return
        self.http = httpx.Client(base_url=self.base_url, headers={"x-api-key": self.api_key}, timeout=self.timeout)

    def close(self) -> None:
        assert self.http is not None
        self.http.close()

    # ── one call, with the Status Codes page's retries ──

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response | JoboError:
        assert self.http is not None
        try:
            res = self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            return JoboError(None, str(exc) or type(exc).__name__)
        if res.is_success:
            return res
        try:
            body = res.json()
        except ValueError:
            body = res.text
        value = res.headers.get("retry-after", "")
        return JoboError(res.status_code, body, float(value) if value.strip().isdigit() else None)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request, retried as the Status Codes page's table says; raises :class:`JoboError` when it fails for good."""
        tries = {500: 0, 503: 0, 429: 0}
        for _ in range(1 + self.retries_500 + self.retries_503 + self.retries_429):
            res = self._send(method, path, **kwargs)
            if isinstance(res, httpx.Response):
                return res.json()
            status = res.status
            if status in TERMINAL or status == RESTART:
                raise res
            if status == 429:
                tries[429] += 1
                if tries[429] > self.retries_429:
                    raise res
                wait = res.retry_after if res.retry_after is not None else 1.0
                if tries[429] > 1:  # repeated 429s: exponential backoff with jitter on top
                    wait += self.rng.uniform(0, min(2 ** (tries[429] - 1), 30))
            elif status == 503:
                tries[503] += 1
                if tries[503] > self.retries_503:
                    raise res
                asked = res.retry_after or 0.0
                wait = self.rng.uniform(max(30.0, asked), max(60.0, asked))
            elif status is None or status >= 500:
                tries[500] += 1
                if tries[500] > self.retries_500:
                    raise res
                wait = min(2.0 ** (tries[500] - 1), 30.0)
            else:
                raise res
            self.sleep(wait)
        raise AssertionError("unreachable: every branch above raises when its retries run out")

    # ── the sync ──

    def scan(self, body: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
        """Every page of a feed scan: ``(jobs, restarts)``. A 409 starts over from its ``replacement_request``
        (merged over the first request, as a real one may name only what changes, e.g. the batch size)."""
        first = dict(body)
        jobs: list[dict[str, Any]] = []
        restarts = 0
        for _ in range(100_000):  # bounded: one iteration per page
            try:
                page = self.call("POST", "/api/jobs/feed", json=body)
            except JoboError as exc:
                if exc.status != RESTART or restarts >= self.max_restarts:
                    raise
                restarts += 1
                replacement = exc.body.get("replacement_request") if isinstance(exc.body, dict) else None
                first = {**first, **(replacement or {}), "stable_scan": True}
                body, jobs = dict(first), []
                continue
            jobs += page["jobs"]
            if not page["has_more"]:
                return jobs, restarts
            body = {"cursor": page["next_cursor"]}
        raise AssertionError("the feed never ended")

    def sweep(self, since: float) -> list[str]:
        """Ids of the jobs that expired since ``since`` (every page)."""
        ids: list[str] = []
        params: dict[str, Any] = {"expired_since": iso(since), "batch_size": 1000}
        for _ in range(100_000):
            page = self.call("GET", "/api/jobs/expired", params=params)
            ids += page["job_ids"]
            if not page["has_more"]:
                return ids
            params = {"cursor": page["next_cursor"]}
        raise AssertionError("the expired sweep never ended")

    def sync(self) -> SyncReport:
        """One run: the backfill the first time, else what changed since the last complete run; then the sweep."""
        started = self.clock()
        body: dict[str, Any] = {"batch_size": self.batch_size}
        if self.watermark is not None:
            body["updated_after"] = iso(self.watermark - self.overlap)
        received, restarts = self.scan(body)
        if self.watermark is None:  # a backfill replaces the copy: nothing a failed run left behind survives
            self.jobs = {}
        for job in received:
            self.jobs[job["id"]] = job
        expired = self.sweep(started - self.overlap if self.watermark is None else self.watermark - self.overlap)
        for job_id in expired:
            self.jobs.pop(job_id, None)
        self.watermark = started
        return SyncReport(len(received), len(expired), restarts)
