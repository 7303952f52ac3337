"""A deliberately naive Jobo sync client: right on a good day, wrong when the service pushes back.

Its sync is the reference client's (backfill, ``updated_after`` watermark, expired sweep); its
retries are one generic loop ("retry 409, 429 and 5xx with 1, 2, 4 s of backoff"), which breaks
the Status Codes page's retry table three ways, each found by hypothesis with a minimal fault schedule (see
test_example_jobo_naive_client.py and docs/guide/jobo.md):

1. on 429 it backs off 1 s instead of waiting ``Retry-After``;
2. on 503 it backs off 1 s instead of 30-60 s (maintenance lasts minutes, not seconds);
3. on 409 ``feed_cursor_restart_required`` it sends the same cursor again instead of a new scan.

Like the reference client it takes ``sleep`` and ``clock``, so tests drive it on the manual clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx


class NaiveError(Exception):
    def __init__(self, status: int | None, text: str) -> None:
        self.status = status
        super().__init__(f"HTTP {status}: {text}")


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class NaiveJoboClient:
    base_url: str
    api_key: str
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    batch_size: int = 500
    http: httpx.Client | None = None
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    watermark: float | None = None

    def __post_init__(self) -> None:
        if self.http is not None:
            self.http.headers["x-api-key"] = self.api_key
            return
        self.http = httpx.Client(base_url=self.base_url, headers={"x-api-key": self.api_key}, timeout=120.0)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        assert self.http is not None
        for attempt in range(1, 5):
            try:
                res = self.http.request(method, path, **kwargs)
            except httpx.TransportError:
                self.sleep(2 ** (attempt - 1))
                continue
            if res.is_success:
                return res.json()
            # Bugs 1-3: one backoff for everything "temporary"; Retry-After and 409's meaning are ignored.
            if (res.status_code in (409, 429) or res.status_code >= 500) and attempt < 4:
                self.sleep(2 ** (attempt - 1))
                continue
            raise NaiveError(res.status_code, res.text)
        raise NaiveError(None, "gave up")

    def sync(self) -> int:
        started = self.clock()
        body: dict[str, Any] = {"batch_size": self.batch_size}
        if self.watermark is not None:
            body["updated_after"] = iso(self.watermark)
        received = 0
        if self.watermark is None:
            self.jobs = {}
        for _ in range(100_000):
            page = self.call("POST", "/api/jobs/feed", json=body)
            received += len(page["jobs"])
            self.jobs.update((job["id"], job) for job in page["jobs"])
            if not page["has_more"]:
                break
            body = {"cursor": page["next_cursor"]}
        since = started if self.watermark is None else self.watermark
        swept = self.call("GET", "/api/jobs/expired", params={"expired_since": iso(since), "batch_size": 10000})
        for job_id in swept["job_ids"]:
            self.jobs.pop(job_id, None)
        self.watermark = started
        return received
