"""The jobs feed and the expired-ids sweep: cursor scans over the catalogue.

Stable scan (the default): jobs are visited in creation order, which never changes, and the
cursor remembers the last job served. A job that stays active during the whole scan is
therefore served exactly once, whatever is added, updated or expired between pages; new jobs
come after the position, so they are served too. Legacy scan (``stable_scan: false``): pages
by offset in update-recency order, so updates between pages can move jobs (duplicates and
gaps, as on the real service); past the depth boundary it demands a restart (409).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from .catalogue import Catalogue, Job
from .cursor import CursorSigner, key_tag
from .errors import CursorRestartRequired, InvalidParameter
from .search import JobQuery, build_query, matches, parse_time, whole

FEED_FILTERS = ("locations", "sources", "work_models", "employment_types", "experience_levels", "posted_after",
                "updated_after")  # fmt: skip
MANAGED_FILTERS = ("sources", "work_models", "posted_after", "updated_after")
DEFAULT_BATCH = 1000
EXPIRED_DEFAULT_LOOKBACK = 24 * 3600.0
EXPIRED_MAX_LOOKBACK = 7 * 24 * 3600.0


@dataclass
class FeedPage:
    jobs: list[Job]
    next_cursor: str | None
    has_more: bool
    estimated_total: int | None
    batch_size: int


@dataclass
class ExpiredPage:
    job_ids: list[str]
    next_cursor: str | None
    has_more: bool


@dataclass
class Scan:
    """A decoded scan: the original filters, batch size, mode and position."""

    filters: dict[str, Any]
    batch_size: int
    stable: bool
    position: int
    first: bool
    scan_id: int = 0  # which scan of the world this is: cursors of two scans never coincide


def _check_batch(value: Any, high: int) -> int:
    number = whole(value)
    if number is None or not 1 <= number <= high:
        raise InvalidParameter.out_of_range("batch_size", 1, high)
    return number


def open_scan(body: dict[str, Any], *, operation: str, api_key: str, signer: CursorSigner, managed: bool) -> Scan:
    """A new scan from the request body, or the one its cursor carries (anything beside a cursor is ignored)."""
    cursor = body.get("cursor")
    if cursor:
        payload = signer.decode(cursor, operation=operation, api_key=api_key)
        return Scan(payload["f"], payload["b"], payload["s"], payload["p"], first=False, scan_id=payload.get("i", 0))
    names = MANAGED_FILTERS if managed else FEED_FILTERS
    filters = {name: body[name] for name in names if body.get(name) is not None}
    for name in ("posted_after", "updated_after"):
        parse_time(filters.get(name), name)  # 400 now, not on a later page
    batch = _check_batch(body.get("batch_size", DEFAULT_BATCH), 1000)
    stable = True if managed else body.get("stable_scan", True) is not False
    return Scan(filters, batch, stable, -1 if stable else 0, first=True)


def query_for(scan: Scan, *, strict_enums: bool, company_ids: frozenset[str] | None = None) -> JobQuery:
    query = build_query({k: v for k, v in scan.filters.items() if k != "locations"}, strict_enums=strict_enums)
    if scan.filters.get("locations"):
        query.structured_locations = [dict(loc) for loc in scan.filters["locations"]]
    if company_ids is not None:
        query.companies_in = company_ids
    return query


def run_scan(
    catalogue: Catalogue,
    scan: Scan,
    query: JobQuery,
    *,
    operation: str,
    api_key: str,
    signer: CursorSigner,
    legacy_depth_limit: int,
) -> FeedPage:
    """One page of ``scan``; the next cursor (if any) is signed for ``operation`` and ``api_key``."""
    if scan.stable:
        jobs, last, has_more = _stable_page(catalogue, scan, query)
        position = last
    else:
        if scan.position >= legacy_depth_limit:
            raise CursorRestartRequired({**scan.filters, "stable_scan": True, "batch_size": scan.batch_size})
        ordered = sorted(
            (job for job in catalogue.jobs if job.expired_at is None and matches(job, query)),
            key=lambda job: (job.updated_at, job.seq),
        )
        jobs = ordered[scan.position : scan.position + scan.batch_size]
        position = scan.position + len(jobs)
        has_more = position < len(ordered)
    estimated = None
    if scan.first:
        if query.has_filters:
            estimated = sum(1 for job in catalogue.jobs if job.expired_at is None and matches(job, query))
        else:
            estimated = catalogue.active_count
    cursor = None
    if has_more:
        payload = {"op": operation, "k": key_tag(api_key), "f": scan.filters, "b": scan.batch_size,
                   "s": scan.stable, "p": position, "i": scan.scan_id}  # fmt: skip
        cursor = signer.encode(payload)
    return FeedPage(jobs, cursor, has_more, estimated, scan.batch_size)


def _stable_page(catalogue: Catalogue, scan: Scan, query: JobQuery) -> tuple[list[Job], int, bool]:
    jobs: list[Job] = []
    all_jobs = catalogue.jobs
    index = scan.position + 1
    last = scan.position
    count = len(all_jobs)
    filtered = query.has_filters
    while index < count and len(jobs) < scan.batch_size:
        job = all_jobs[index]
        if job.expired_at is None and (not filtered or matches(job, query)):
            jobs.append(job)
            last = index
        index += 1
    if len(jobs) < scan.batch_size:
        return jobs, last, False
    # Look ahead for one more match, so that has_more is exact.
    while index < count:
        job = all_jobs[index]
        if job.expired_at is None and (not filtered or matches(job, query)):
            return jobs, last, True
        index += 1
    return jobs, last, False


def expired_page(
    catalogue: Catalogue,
    params: dict[str, Any],
    *,
    now: float,
    api_key: str,
    signer: CursorSigner,
    operation: str = "expired",
) -> ExpiredPage:
    """Ids of jobs expired since ``expired_since`` (default 24 h ago, clamped to 7 days), oldest first."""
    if params.get("cursor"):
        payload = signer.decode(params["cursor"], operation=operation, api_key=api_key)
        start, batch = payload["p"], payload["b"]
    else:
        size = params.get("batch_size") if params.get("batch_size") is not None else params.get("limit")
        batch = _check_batch(DEFAULT_BATCH if size is None else size, 10000)
        since = parse_time(params.get("expired_since"), "expired_since")
        if since is None:
            since = now - EXPIRED_DEFAULT_LOOKBACK
        since = max(since, now - EXPIRED_MAX_LOOKBACK)
        start = bisect.bisect_left(catalogue.expired_log, (since, -1))
    log = catalogue.expired_log
    rows = log[start : start + batch]
    ids = [catalogue.jobs[seq].id for _, seq in rows]
    end = start + len(rows)
    has_more = end < len(log)
    cursor = None
    if has_more:
        cursor = signer.encode({"op": operation, "k": key_tag(api_key), "b": batch, "p": end})
    return ExpiredPage(ids, cursor, has_more)
