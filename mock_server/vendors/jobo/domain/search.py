"""Job search: filters, free-text relevance, facets, include_fields, pagination.

One :class:`JobQuery` describes the quick search (``GET /api/jobs``), the advanced search
(``POST /api/jobs/search``), a company's jobs and the feed filters; :func:`matches` and
:func:`score` are the only places that decide whether and how well a job matches.
Values are compared case-insensitively; values inside one filter are OR'd, filters AND'd; an
unrecognised enum value matches nothing (decision J11).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import chain
from operator import attrgetter
from typing import Any

from . import vocab
from .catalogue import Job
from .errors import InvalidParameter

MAX_POSITIVE_QUERIES = 10
FACETS = ("work_model", "experience_level", "employment_type", "sources", "industries", "skills", "countries",
          "company_categories")  # fmt: skip
DEFAULT_FACETS = ("work_model", "employment_type", "experience_level")
HEAVY_FIELDS = ("description", "summary", "qualifications", "responsibilities", "benefits")
FACET_SIZE = 20


def parse_time(value: str | None, name: str) -> float | None:
    """ISO-8601 date or date-time (no offset = UTC) to Unix seconds; 400 with the parameter's name otherwise."""
    if value is None:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidParameter(f"Parameter '{name}' must be an ISO-8601 date-time.", name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def whole(value: object) -> int | None:
    """``value`` as an int when it is a whole number (JSON Schema's ``integer`` includes ``58.0``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def split_csv(value: str | None) -> list[str] | None:
    """A comma-joined query parameter as a list (None when absent or blank)."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


def tri_state(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """``include_facets``/``include_fields``: None = default, ``""``/``[]`` = none, else exactly those."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(v.strip().lower() for v in items if v and v.strip())


def _lower_set(values: Iterable[str] | None) -> frozenset[str] | None:
    if values is None:
        return None
    out = frozenset(v.strip().lower() for v in values if v and v.strip())
    return out or None


@dataclass
class TextQuery:
    """One free-text term: a quoted phrase (exact, contiguous, title only) or words that must all match."""

    phrase: str | None = None
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: str) -> TextQuery | None:
        text = raw.strip()
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            inner = " ".join(text[1:-1].lower().split())
            return cls(phrase=inner) if inner else None
        words = tuple(w for w in text.lower().replace('"', " ").split() if w)
        return cls(words=words) if words else None

    def score(self, job: Job, titles_only: bool) -> int:
        """0 when the job does not match; else higher for title hits than for other fields."""
        title_text, full_text = job.texts()
        if self.phrase is not None:
            return 10 if self.phrase in " ".join(title_text.split()) else 0
        haystack = title_text if titles_only else full_text
        title = job.title.lower()
        total = 0
        for word in self.words:
            if word in title:
                total += 3
            elif word in title_text:
                total += 2
            elif word in haystack:
                total += 1
            else:
                return 0
        return total


@dataclass
class JobQuery:
    """Every search filter, already parsed. ``None`` means "no filter"."""

    include: list[TextQuery] = field(default_factory=list)
    exclude: list[TextQuery] = field(default_factory=list)
    titles_only: bool = False
    locations: list[str] | None = None
    structured_locations: list[dict[str, str | None]] | None = None
    sources: frozenset[str] | None = None
    work_models: frozenset[str] | None = None
    employment_types: frozenset[str] | None = None
    experience_levels: frozenset[str] | None = None
    skills_in: frozenset[str] | None = None
    skills_out: frozenset[str] | None = None
    industries_in: frozenset[str] | None = None
    industries_out: frozenset[str] | None = None
    companies_in: frozenset[str] | None = None
    companies_out: frozenset[str] | None = None
    categories_in: frozenset[str] | None = None
    categories_out: frozenset[str] | None = None
    company_id: str | None = None
    salary_min: float | None = None
    salary_max: float | None = None
    posted_after: float | None = None
    posted_before: float | None = None
    discovered_after: float | None = None
    discovered_before: float | None = None
    updated_after: float | None = None

    @property
    def has_text(self) -> bool:
        return bool(self.include)

    @property
    def has_filters(self) -> bool:
        """Any filter :func:`matches` checks (without one, every active job matches: skip the per-job call)."""
        return any(getattr(self, name) is not None for name in _FILTER_FIELDS)


# JobQuery's fields that :func:`matches` reads (free text is scored apart).
_FILTER_FIELDS = (
    "locations", "structured_locations", "sources", "work_models", "employment_types", "experience_levels",
    "skills_in", "skills_out", "industries_in", "industries_out", "companies_in", "companies_out", "categories_in",
    "categories_out", "company_id", "salary_min", "salary_max", "posted_after", "posted_before", "discovered_after",
    "discovered_before", "updated_after",
)  # fmt: skip
_SINGLE_VALUED_FACETS = {"work_model": "work_model", "experience_level": "experience_level",
                         "employment_type": "employment_type", "sources": "source"}  # fmt: skip


def _enum_set(values: Iterable[str] | None, allowed: tuple[str, ...], name: str, strict: bool) -> frozenset[str] | None:
    chosen = _lower_set(values)
    if chosen and strict:
        for value in sorted(chosen):
            if value not in allowed:
                raise InvalidParameter(f"Unknown {name} '{value}'.", name)
    return chosen


def build_query(params: dict[str, Any], *, strict_enums: bool = False) -> JobQuery:
    """A :class:`JobQuery` from the advanced-search body shape (GET parameters are converted to it first)."""
    query = JobQuery()
    positives = 0
    for raw in params.get("queries") or ():
        text = raw.strip()
        if text.startswith("-"):
            parsed = TextQuery.parse(text[1:])
            if parsed:
                query.exclude.append(parsed)
        else:
            parsed = TextQuery.parse(text)
            if parsed:
                positives += 1
                query.include.append(parsed)
    if positives > MAX_POSITIVE_QUERIES:
        raise InvalidParameter(f"Parameter 'queries' accepts at most {MAX_POSITIVE_QUERIES} positive terms.", "queries")
    query.titles_only = params.get("search_description") is False
    locations = [v.strip() for v in params.get("locations") or () if v and v.strip()]
    query.locations = locations or None
    query.sources = _lower_set(params.get("sources"))
    query.work_models = _enum_set(params.get("work_models"), vocab.WORK_MODELS, "work_model", strict_enums)
    query.employment_types = _enum_set(
        params.get("employment_types"), vocab.EMPLOYMENT_TYPES, "employment_type", strict_enums
    )
    query.experience_levels = _enum_set(
        params.get("experience_levels"), vocab.EXPERIENCE_LEVELS, "experience_level", strict_enums
    )
    for name in ("skills", "industries", "companies", "company_categories"):
        spec = params.get(name) or {}
        attr = "categories" if name == "company_categories" else name
        setattr(query, f"{attr}_in", _lower_set(spec.get("include")))
        setattr(query, f"{attr}_out", _lower_set(spec.get("exclude")))
    salary = params.get("salary_usd") or {}
    query.salary_min = salary.get("min")
    query.salary_max = salary.get("max")
    # A minimum above the maximum is an empty range: it matches nothing (no 400, like unknown enum values).
    for name in ("posted_after", "posted_before", "discovered_after", "discovered_before", "updated_after"):
        setattr(query, name, parse_time(params.get(name), name))
    return query


def query_from_get(params: dict[str, Any], *, strict_enums: bool = False) -> JobQuery:
    """``GET /api/jobs`` parameters (comma-joined lists) to the same :class:`JobQuery`."""
    body: dict[str, Any] = {
        "queries": [params["q"]] if params.get("q") else None,
        "search_description": params.get("search_description"),
        "locations": [params["location"]] if params.get("location") else None,
        "sources": split_csv(params.get("sources")),
        "work_models": split_csv(params.get("work_model")),
        "employment_types": split_csv(params.get("employment_type")),
        "experience_levels": split_csv(params.get("experience_level")),
        "skills": {"include": split_csv(params.get("skills"))},
        "industries": {"include": split_csv(params.get("industries"))},
        "salary_usd": {"min": params.get("min_salary_usd"), "max": params.get("max_salary_usd")},
    }
    for name in ("posted_after", "posted_before", "discovered_after", "discovered_before"):
        body[name] = params.get(name)
    if params.get("q") and params["q"].strip().startswith("-"):
        # A single GET q is a search term, never an exclusion.
        body["queries"] = [params["q"].strip().lstrip("-")]
    return build_query(body, strict_enums=strict_enums)


def _location_matches(job: Job, wanted: str) -> bool:
    text = wanted.lower()
    if text in vocab.REMOTE_KEYWORDS:
        return job.work_model == "remote"
    parts = [p.strip() for p in text.split(",") if p.strip()]
    for city in job.locations:
        names = (city[0].lower(), city[1].lower(), city[2].lower(), city[3].lower(), city[4].lower())
        if all(part in names for part in parts):
            return True
    return False


def _structured_location_matches(job: Job, wanted: dict[str, str | None]) -> bool:
    """A feed location ``{country?, region?, city?}``: every given part must match one of the job's places."""
    city_name, region, country = (wanted.get(k) for k in ("city", "region", "country"))
    for city in job.locations:
        if city_name and city_name.lower() != city[0].lower():
            continue
        if region and region.lower() not in (city[1].lower(), city[2].lower()):
            continue
        if country and country.lower() not in (city[3].lower(), city[4].lower()):
            continue
        return True
    return False


def matches(job: Job, q: JobQuery) -> bool:
    """Every filter but free text (see :func:`score`)."""
    if q.company_id is not None and job.company.id != q.company_id:
        return False
    if q.sources is not None and job.source not in q.sources:
        return False
    if q.work_models is not None and job.work_model not in q.work_models:
        return False
    if q.employment_types is not None and job.employment_type not in q.employment_types:
        return False
    if q.experience_levels is not None and job.experience_level not in q.experience_levels:
        return False
    if q.posted_after is not None and job.posted_or_created < q.posted_after:
        return False
    if q.posted_before is not None and job.posted_or_created > q.posted_before:
        return False
    if q.discovered_after is not None and job.created_at < q.discovered_after:
        return False
    if q.discovered_before is not None and job.created_at > q.discovered_before:
        return False
    if q.updated_after is not None and job.updated_at < q.updated_after:
        return False
    if q.salary_min is not None or q.salary_max is not None:
        if job.salary_usd is None:
            return False
        low, high = job.salary_usd
        if q.salary_min is not None and high < q.salary_min:
            return False
        if q.salary_max is not None and low > q.salary_max:
            return False
    if q.skills_in is not None or q.skills_out is not None:
        skills = {s.lower() for s in job.skills}
        if q.skills_in is not None and not skills & q.skills_in:
            return False
        if q.skills_out is not None and skills & q.skills_out:
            return False
    company = job.company
    if q.industries_in is not None or q.industries_out is not None:
        industries = {i.lower() for i in company.industries}
        if q.industries_in is not None and not industries & q.industries_in:
            return False
        if q.industries_out is not None and industries & q.industries_out:
            return False
    if q.categories_in is not None and not set(company.categories) & q.categories_in:
        return False
    if q.categories_out is not None and set(company.categories) & q.categories_out:
        return False
    if q.companies_in is not None or q.companies_out is not None:
        names = {company.name.lower(), company.domain.lower(), company.id}
        if q.companies_in is not None and not names & q.companies_in:
            return False
        if q.companies_out is not None and names & q.companies_out:
            return False
    if q.locations is not None and not any(_location_matches(job, loc) for loc in q.locations):
        return False
    return not (
        q.structured_locations is not None
        and not any(_structured_location_matches(job, loc) for loc in q.structured_locations)
    )


def score(job: Job, q: JobQuery) -> int:
    """Relevance: the best positive term's score (0 = no match); any matching exclusion gives 0."""
    for term in q.exclude:
        if term.score(job, q.titles_only):
            return 0
    if not q.include:
        return 1
    return max(term.score(job, q.titles_only) for term in q.include)


def facet_keys(job: Job, name: str) -> Iterable[str]:
    if name == "work_model":
        return (job.work_model,)
    if name == "experience_level":
        return (job.experience_level,)
    if name == "employment_type":
        return (job.employment_type,)
    if name == "sources":
        return (job.source,)
    if name == "industries":
        return tuple(i.lower() for i in job.company.industries)
    if name == "skills":
        return tuple(s.lower() for s in job.skills)
    if name == "countries":
        return tuple(dict.fromkeys(city[3].lower() for city in job.locations))
    if name == "company_categories":
        return job.company.categories
    return ()


def facets(jobs: Sequence[Job], names: tuple[str, ...]) -> dict[str, list[dict[str, int | str]]]:
    """Counts over every matching job (not only the page): most jobs first, then by key; top 20."""
    out: dict[str, list[dict[str, int | str]]] = {}
    for name in names:
        if name not in FACETS:
            continue  # an unknown facet name (e.g. include_facets=true) asks for nothing
        # Counted in C (Counter over an iterator): a default search facets every active job.
        if name in _SINGLE_VALUED_FACETS:
            counts: Counter[str] = Counter(map(attrgetter(_SINGLE_VALUED_FACETS[name]), jobs))
        else:
            counts = Counter(chain.from_iterable(facet_keys(job, name) for job in jobs))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_SIZE]
        out[name] = [{"key": key, "count": count} for key, count in ranked]
    return out


@dataclass
class SearchPage:
    jobs: list[Job]
    total: int
    page: int
    page_size: int
    total_pages: int
    facets: dict[str, list[dict[str, int | str]]]


def rank(jobs: Iterable[Job], q: JobQuery, *, newest_first: bool = False) -> list[Job]:
    """Every active job ``q`` matches, ranked: score desc, then newest discovery, then seq."""
    filtered = q.has_filters
    if q.include or q.exclude:
        scored: list[tuple[int, Job]] = []
        for job in jobs:
            if job.expired_at is None and (not filtered or matches(job, q)):
                s = score(job, q)
                if s:
                    scored.append((s, job))
        if newest_first or not q.has_text:
            scored.sort(key=lambda sj: (-sj[1].created_at, -sj[1].seq))
        else:
            scored.sort(key=lambda sj: (-sj[0], -sj[1].created_at, -sj[1].seq))
        return [job for _, job in scored]
    # No text: every match scores the same, so the order is the newest discovery first. A catalogue lists
    # its jobs in discovery order (created_at never decreases along it), so reversing the list sorts it.
    hits = [job for job in jobs if job.expired_at is None and (not filtered or matches(job, q))]
    hits.reverse()
    return hits


def page_of(hits: list[Job], counts: dict[str, list[dict[str, int | str]]], *, page: int, page_size: int) -> SearchPage:
    """One page of ranked ``hits`` (their ``counts`` facets cover them all, not only the page)."""
    start = (page - 1) * page_size
    return SearchPage(
        jobs=hits[start : start + page_size],
        total=len(hits),
        page=page,
        page_size=page_size,
        total_pages=math.ceil(len(hits) / page_size),
        facets=counts,
    )


def run_search(
    jobs: Iterable[Job],
    q: JobQuery,
    *,
    page: int,
    page_size: int,
    include_facets: tuple[str, ...] | None,
    newest_first: bool = False,
) -> SearchPage:
    """Filter, rank (score desc, then newest discovery, then seq) and cut one page."""
    hits = rank(jobs, q, newest_first=newest_first)
    names = DEFAULT_FACETS if include_facets is None else include_facets
    return page_of(hits, facets(hits, names) if names else {}, page=page, page_size=page_size)
