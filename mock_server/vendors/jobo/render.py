"""Domain objects to the wire shapes of openapi/jobo.yaml (no HTTP here, so tests can use it too).

A full job record is built once per job version and kept (feed pages of 1,000 jobs are the hot
path); ``include_fields`` then only drops keys from a shallow copy.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

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


_cache: dict[tuple[str, int, float | None, float], dict[str, Any]] = {}
_CACHE_LIMIT = 100_000


def job_record(job: Job) -> dict[str, Any]:
    """The whole JobDto of ``job`` (cached per id, version and expiry)."""
    key = (job.id, job.version, job.expired_at, job.updated_at)
    record = _cache.get(key)
    if record is not None:
        return record
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
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[key] = record
    return record


def job_view(job: Job, include_fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """``include_fields``: None = the whole job; () = core fields only; else those heavy fields kept."""
    record = job_record(job)
    if include_fields is None:
        return record
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
    jobs = [job_view(job, include_fields) for job in page.jobs]
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
        "jobs": [job_record(job) for job in page.jobs],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
    if page.estimated_total is not None:
        body["estimated_total"] = page.estimated_total
    return body


def expired_body(page: ExpiredPage) -> dict[str, Any]:
    return {"job_ids": page.job_ids, "next_cursor": page.next_cursor, "has_more": page.has_more}
