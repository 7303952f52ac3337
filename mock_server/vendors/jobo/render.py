"""Domain objects to the wire shapes of openapi/jobo.yaml (no HTTP here, so tests can use it too).

A full job record is built once per job version and kept, encoded (feed pages of 1,000 jobs are
the hot path); ``include_fields`` then only empties keys of a copy. The bodies built here may embed
``orjson.Fragment`` objects: they are for :func:`mock_server.core.app.encode_json`, which writes them
verbatim (``job_record`` gives a plain dict for everything else).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

try:  # the fast JSON encoder, a dependency of the package (see mock_server.core.app.encode_json)
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

from .domain import content
from .domain.catalogue import Company, Job
from .domain.feed import ExpiredPage, FeedPage
from .domain.search import HEAVY_FIELDS, SearchPage
from .domain.vocab import DISPLAY

BASE_URL = "https://connect.jobo.world"


def iso(ts: float | None) -> str | None:
    """Unix seconds to ISO-8601 UTC with a Z, second precision."""
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _location(city: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "location": f"{city[0]}, {city[1]}, {city[3]}",
        "city": city[0],
        "region": city[1],
        "country": city[3],
        "latitude": city[6],
        "longitude": city[7],
    }


def company_ref(company: Company) -> dict[str, Any]:
    slug = company.domain.split(".")[0]
    return {
        "id": company.id,
        "name": company.name,
        "website": company.website,
        "logo_url": f"https://logos.jobo.world/{slug}.png",
        "summary": company.summary,
        "industries": list(company.industries),
        "categories": list(company.categories),
        "linkedin_url": f"https://www.linkedin.com/company/{slug}",
        "crunchbase_url": f"https://www.crunchbase.com/organization/{slug}",
        "details_url": f"{BASE_URL}/api/companies/{company.id}",
    }


# A job's record is built once per version (and expiry). With orjson installed it is kept encoded on the
# job itself (``Job.rendered``, cleared by the catalogue whenever the job changes, and gone with the world
# on a reset): about 2.8 KB a job, half the memory of the dict, embedded in pages as an orjson.Fragment,
# so a feed page of 1,000 jobs is one copy of cached bytes instead of 1,000 records encoded again.
# Without orjson the dicts are kept in a bounded cache instead.
_Key = tuple[str, int, float | None, float]
_cache: dict[_Key, dict[str, Any]] = {}
_CACHE_LIMIT = 100_000


def job_record(job: Job) -> dict[str, Any]:
    """The whole JobDto of ``job`` (a fresh dict when orjson keeps the encoded form)."""
    if orjson is not None:
        return orjson.loads(_encoded(job)[0])
    key = (job.id, job.version, job.expired_at, job.updated_at)
    record = _cache.get(key)
    if record is None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        record = _cache[key] = _build_record(job)
    return record


def _encoded(job: Job) -> tuple[bytes, Any]:
    """``(bytes, orjson.Fragment)`` of the job's whole record, built once per version."""
    kept: tuple[bytes, Any] | None = job.rendered
    if kept is None:
        # A copy of exact size: orjson's own buffer keeps its spare capacity (8 KB for a 2.7 KB job).
        data = memoryview(orjson.dumps(_build_record(job))).tobytes()
        kept = job.rendered = (data, orjson.Fragment(data))
    return kept


def job_json(job: Job) -> Any:
    """The whole record as a page embeds it: an ``orjson.Fragment`` (encoded once), or the dict without orjson."""
    return _encoded(job)[1] if orjson is not None else job_record(job)


def _page_jobs(jobs: list[Job]) -> list[Any]:
    """``job_json`` of every job of a page, inlined: this loop is the feed's hot path (1,000 jobs a page)."""
    if orjson is None:
        return [job_record(job) for job in jobs]
    out = []
    for job in jobs:
        kept = job.rendered
        out.append(kept[1] if kept is not None else _encoded(job)[1])
    return out


def _build_record(job: Job) -> dict[str, Any]:
    comp = None
    if job.compensation is not None:
        low, high, currency, period = job.compensation
        comp = {"min": low, "max": high, "currency": currency, "period": period}
    if job.company.sandbox:
        listing = apply = f"https://sandbox.jobo.world/apply/{job.slug}"
    else:
        host = f"https://jobs.{job.source}.example/{job.company.domain.split('.')[0]}"
        listing = f"{host}/{job.slug}"
        apply = f"{listing}/apply"
    work_auth, h1b, clearance = job.flags
    record = {
        "id": job.id,
        "title": job.title,
        "normalized_title": job.normalized_title,
        "company": company_ref(job.company),
        "description": content.description(job),
        "summary": content.summary(job),
        "listing_url": job.overrides.get("listing_url", listing),
        "apply_url": job.overrides.get("apply_url", apply),
        "locations": [_location(c) for c in job.locations],
        "compensation": comp,
        "employment_type": DISPLAY.get(job.employment_type, job.employment_type),
        "workplace_type": DISPLAY.get(job.work_model, job.work_model),
        "experience_level": DISPLAY.get(job.experience_level, job.experience_level),
        "source": job.source,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "date_posted": iso(job.date_posted),
        "valid_through": iso(job.valid_through),
        "qualifications": content.qualifications(job),
        "responsibilities": content.responsibilities(job),
        "benefits": content.benefits(job),
        "is_work_auth_required": work_auth,
        "is_h1b_sponsor": h1b,
        "is_clearance_required": clearance,
    }
    return record


def _ms(ts: float | None) -> int | None:
    return None if ts is None else round(ts * 1000)


def job_control_view(job: Job, sandbox: bool) -> dict[str, Any]:
    """A job as ``/_mock/jobs/{jobId}`` shows it (``CatalogueJob`` in control.yaml): lifecycle plus record."""
    return {
        "id": job.id,
        "catalogue": "sandbox" if sandbox else "live",
        "state": "active" if job.expired_at is None else "expired",
        "discoveredAt": _ms(job.created_at),
        "updatedAt": _ms(job.updated_at),
        "expiredAt": _ms(job.expired_at),
        "job": job_record(job),
    }


def job_view(job: Job, include_fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """``include_fields``: None = the whole job; () = core fields only; else those heavy fields kept."""
    if include_fields is None:
        return job_json(job)
    record = job_record(job)
    # Decision J19: a heavy field not asked for is sent empty, not left out: the SDK's Job model requires
    # `description`, and empty values are what its defaults would give for the others.
    return {k: (v if k not in HEAVY_FIELDS or k in include_fields else _EMPTY[k]) for k, v in record.items()}


_EMPTY: dict[str, Any] = {
    "description": "",
    "summary": None,
    "qualifications": {
        "must_have": {"education": [], "certifications": [], "skills": []},
        "preferred": {"education": [], "certifications": [], "skills": []},
    },
    "responsibilities": [],
    "benefits": [],
}


def search_body(page: SearchPage, include_fields: tuple[str, ...] | None, envelope: str = "jobs") -> dict[str, Any]:
    jobs = _page_jobs(page.jobs) if include_fields is None else [job_view(job, include_fields) for job in page.jobs]
    if envelope == "data":  # decision J1: the Status Codes page's generic example shape
        return {"data": jobs, "total": page.total, "page": page.page, "page_size": page.page_size}
    return {
        "jobs": jobs,
        "total": page.total,
        "page": page.page,
        "page_size": page.page_size,
        "total_pages": page.total_pages,
        "facets": page.facets,
    }


def feed_body(page: FeedPage) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jobs": _page_jobs(page.jobs),
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
    if page.estimated_total is not None:
        body["estimated_total"] = page.estimated_total
    return body


def expired_body(page: ExpiredPage) -> dict[str, Any]:
    return {"job_ids": page.job_ids, "next_cursor": page.next_cursor, "has_more": page.has_more}
