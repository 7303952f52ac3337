"""The job and company catalogue: generated from a seed, then alive on the simulated clock.

Start-up must stay well under a second for tens of thousands of jobs, so a job is a small
``__slots__`` record of the facts search and feed filter on; the heavy, rendered-only text
(HTML description, qualifications, responsibilities, benefits) is derived on demand from the
job's own seed (:mod:`.content`). The same seed gives the same catalogue.

Life on the clock (:meth:`Catalogue.advance`): jobs are discovered, updated and expired at
fixed simulated intervals (rates per hour are settings), each event drawing from its own seeded
random source. The state at a time ``t`` therefore depends only on the seed and ``t``, never on
when or how often clients looked.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import vocab
from .errors import InvalidParameter, NotFound

DAY = 86400.0
City = tuple[
    str, str, str, str, str, str, float, float
]  # vocab.CITIES: name, region, code, country, cc, continent, lat, lon


def _uuid_from(bits: int) -> str:
    """A version-4-shaped UUID string from 128 random bits (faster than ``uuid.UUID`` in the hot loop)."""
    bits = (bits & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _uuid(rng: random.Random) -> str:
    return _uuid_from(rng.getrandbits(128))


def _cumulative(weights: tuple[float, ...]) -> list[float]:
    total = sum(weights)
    out, acc = [], 0.0
    for w in weights[:-1]:
        acc += w / total
        out.append(acc)
    return out


_LEVEL_CUM = _cumulative((3, 14, 30, 32, 14, 7))
_MODEL_CUM = _cumulative((35, 30, 35))
_EMPLOYMENT_CUM = _cumulative((70, 6, 12, 4, 4, 4))


class Company:
    """A company: the facts jobs embed and filters use; the full profile is derived on demand."""

    __slots__ = (
        "seq", "id", "name", "domain", "industries", "categories", "size", "hq", "founded", "funding_stage",
        "summary", "is_agency", "sandbox", "extra",
    )  # fmt: skip
    # The slots' types (set from keyword arguments, so the type checker reads them here).
    seq: int
    id: str
    name: str
    domain: str
    industries: tuple[str, ...]
    categories: tuple[str, ...]
    size: str
    hq: City
    founded: str
    funding_stage: str
    summary: str
    is_agency: bool
    sandbox: bool
    extra: dict[str, Any]

    def __init__(self, **fields: Any) -> None:
        self.extra: dict[str, Any] = {}
        for key, value in fields.items():
            setattr(self, key, value)

    @property
    def website(self) -> str:
        return f"https://{self.domain}"


class Job:
    """One job posting. Times are Unix seconds on the simulated clock."""

    __slots__ = (
        "seq", "id", "title", "normalized_title", "alt_titles", "role", "company", "source", "locations",
        "work_model", "employment_type", "experience_level", "skills", "soft_skills", "compensation",
        "salary_usd", "created_at", "updated_at", "date_posted", "valid_through", "expired_at", "version",
        "flags", "has_summary", "title_text", "full_text", "overrides", "slug", "rendered",
    )  # fmt: skip
    # The slots' types (set from keyword arguments, so the type checker reads them here).
    seq: int
    id: str
    title: str
    normalized_title: str
    alt_titles: tuple[str, ...]
    role: int
    company: Company
    source: str
    locations: tuple[City, ...]
    work_model: str
    employment_type: str
    experience_level: str
    skills: tuple[str, ...]
    soft_skills: tuple[str, ...]
    compensation: tuple[float, float, str, str] | None
    salary_usd: tuple[float, float] | None
    created_at: float
    updated_at: float
    date_posted: float | None
    valid_through: float
    expired_at: float | None
    version: int
    flags: tuple[bool, bool, bool]
    has_summary: bool
    title_text: str
    full_text: str
    overrides: dict[str, Any]
    slug: str

    def __init__(self, **fields: Any) -> None:
        self.overrides: dict[str, Any] = {}
        self.expired_at: float | None = None
        self.version = 0
        # What a renderer keeps of the job as it is now (opaque here); every change below clears it.
        self.rendered: Any = None
        for key, value in fields.items():
            setattr(self, key, value)
        self.title_text = self.full_text = ""

    @property
    def active(self) -> bool:
        return self.expired_at is None

    def texts(self) -> tuple[str, str]:
        """The search haystacks, built on first use (start-up stays fast)."""
        if not self.title_text:
            self.index_text()
        return self.title_text, self.full_text

    def index_text(self) -> None:
        """Lowercased haystacks for ``q``: titles only, and everything ``search_description`` covers."""
        titles = " \n ".join((self.title, *self.alt_titles)).lower()
        self.title_text = titles
        summary = self.overrides.get("summary") or ""
        self.full_text = " \n ".join(
            (titles, self.company.name.lower(), " \n ".join(self.skills).lower(), summary.lower())
        )

    @property
    def posted_or_created(self) -> float:
        return self.date_posted if self.date_posted is not None else self.created_at


@dataclass
class LifeRates:
    """Events per simulated hour (0 switches a kind off)."""

    discovered: float = 120.0
    updated: float = 60.0
    expired: float = 60.0


class Catalogue:
    """Every job (active and expired) in creation order, its indexes, and its life on the clock."""

    def __init__(
        self,
        seed: int,
        *,
        jobs: int,
        companies: int,
        start: float,
        sandbox: bool = False,
        rates: LifeRates | None = None,
    ) -> None:
        self.seed = seed
        self.sandbox = sandbox
        self.start = start
        self.rates = rates or LifeRates()
        self.companies: list[Company] = []
        self.companies_by_id: dict[str, Company] = {}
        self.jobs: list[Job] = []
        self.jobs_by_id: dict[str, Job] = {}
        self.by_company: dict[str, list[Job]] = {}
        self._active: list[Job] = []  # for O(1) random picks; order is irrelevant
        self._active_pos: dict[int, int] = {}
        self.expired_log: list[tuple[float, int]] = []  # (expired_at, seq), ascending
        self._next_event = {"discovered": 0, "updated": 0, "expired": 0}
        # One random stream per event kind, consumed in event order: the state at time t depends
        # only on the seed and t, never on when clients looked. Seeded by text, so no stream can be
        # the generation's own (``Random(seed)``): with integer seeds derived from the seed, seed 0
        # (the default world's) made the discovered stream replay the first jobs' ids.
        kind_of = "sandbox" if sandbox else "live"
        self._streams = {kind: random.Random(f"jobo:{seed}:{kind_of}:{kind}") for kind in self._next_event}
        self.now = start
        self.version = 0  # bumped by every change to a job or company: what cached search results are keyed by
        rng = random.Random(seed)
        for index in range(companies):
            self._add_company(self._generate_company(rng, index))
        self._generate_initial_jobs(rng, jobs)

    # ── generation ──────────────────────────────────────────────────────────

    def _generate_company(self, rng: random.Random, index: int) -> Company:
        if self.sandbox:
            name = f"Sandbox {vocab.NAME_HEADS[index % len(vocab.NAME_HEADS)]} {index + 1}"
        else:
            head = vocab.NAME_HEADS[index % len(vocab.NAME_HEADS)]
            tail = vocab.NAME_TAILS[(index // len(vocab.NAME_HEADS) + index) % len(vocab.NAME_TAILS)]
            suffix = "" if index < len(vocab.NAME_HEADS) * len(vocab.NAME_TAILS) else f" {index}"
            name = f"{head} {tail}{suffix}"
        domain = name.lower().replace(" ", "") + (".example" if not self.sandbox else ".sandbox.example")
        industries = tuple(rng.sample(vocab.INDUSTRIES, rng.choice((1, 1, 2))))
        return Company(
            seq=index,
            id=_uuid(rng),
            name=name,
            domain=domain,
            industries=industries,
            categories=tuple(sorted(rng.sample(vocab.CATEGORIES, rng.choice((1, 2))))),
            size=rng.choice(vocab.COMPANY_SIZES),
            hq=rng.choice(vocab.CITIES),
            founded=str(rng.randint(1950, 2023)),
            funding_stage=rng.choice(vocab.FUNDING_STAGES),
            summary=f"{name} builds {industries[0].lower()} products for customers worldwide.",
            is_agency=rng.random() < 0.05,
            sandbox=self.sandbox,
        )

    def _add_company(self, company: Company) -> None:
        self.version += 1
        self.companies.append(company)
        self.companies_by_id[company.id] = company
        self.by_company.setdefault(company.id, [])

    def _job_fields(self, rng: random.Random, created_at: float) -> dict[str, Any]:
        r = rng.random
        role = int(r() * len(vocab.ROLES))
        title, normalized, alts, core = vocab.ROLES[role]
        level = vocab.EXPERIENCE_LEVELS[bisect.bisect(_LEVEL_CUM, r())]
        prefix = vocab.LEVEL_PREFIX[level]
        full_title = f"{prefix} {title}" if prefix else title
        companies = self.companies
        company = companies[int(rng.paretovariate(1.2) * 7) % len(companies)]
        work_model = vocab.WORK_MODELS[bisect.bisect(_MODEL_CUM, r())]
        employment = vocab.EMPLOYMENT_TYPES[bisect.bisect(_EMPLOYMENT_CUM, r())]
        cities = vocab.CITIES
        if work_model == "remote" and r() < 0.3:
            locations: tuple[City, ...] = ()
        else:
            home = company.hq if r() < 0.6 else cities[int(r() * len(cities))]
            locations = (home,) if r() < 0.85 else (home, cities[int(r() * len(cities))])
        start = int(r() * 4)
        picked = [core[(start + i) % 4] for i in range(2 + int(r() * 3))]
        if r() < 0.5:
            extra = vocab.EXTRA_SKILLS[int(r() * len(vocab.EXTRA_SKILLS))]
            if extra not in picked:
                picked.append(extra)
        compensation = None
        salary_usd = None
        if r() < 0.6:
            country = locations[0][4] if locations else "US"
            currency = vocab.CURRENCY_BY_COUNTRY.get(country, "USD")
            period = "hourly" if employment in ("contract", "freelance", "temporary") else "yearly"
            base_usd = (45000 + 25000 * vocab.EXPERIENCE_LEVELS.index(level)) * (0.8 + 0.6 * r())
            factor = vocab.YEARLY_FACTOR[period] * vocab.USD_PER_UNIT[currency]
            digits = -3 if period == "yearly" else 0
            low = round(base_usd / factor, digits)
            high = round(low * (1.1 + 0.3 * r()), digits)
            compensation = (low, high, currency, period)
            salary_usd = (low * factor, high * factor)
        if self.sandbox:
            source = vocab.SANDBOX_SOURCE
        elif r() < 0.7:
            source = vocab.POPULAR_SOURCES[int(r() * len(vocab.POPULAR_SOURCES))]
        else:
            source = vocab.SOURCES[int(r() * len(vocab.SOURCES))]
        posted = created_at - r() * 3 * DAY
        posted -= posted % DAY
        bits = rng.getrandbits(128)
        return {
            "id": _uuid_from(bits),
            "title": full_title,
            "normalized_title": normalized,
            "alt_titles": alts,
            "role": role,
            "company": company,
            "source": source,
            "locations": locations,
            "work_model": work_model,
            "employment_type": employment,
            "experience_level": level,
            "skills": tuple(picked),
            "soft_skills": (vocab.SOFT_SKILLS[role % 6], vocab.SOFT_SKILLS[(role + 1 + bits % 5) % 6]),
            "compensation": compensation,
            "salary_usd": salary_usd,
            "created_at": created_at,
            "updated_at": created_at,
            "date_posted": posted if r() < 0.9 else None,
            "valid_through": posted + 60 * DAY,
            "flags": (bits & 1 == 1, bits & 0x30 == 0, bits & 0xF00 == 0),
            "has_summary": True,
            "slug": f"{normalized}-{bits >> 96:08x}",
        }

    def _generate_initial_jobs(self, rng: random.Random, count: int) -> None:
        """``count`` jobs discovered over the 60 days before start, a few of them already expired."""
        span = 60 * DAY
        step = span / max(count, 1)
        for index in range(count):
            created = self.start - span + index * step + rng.uniform(0, step * 0.5)
            fields = self._job_fields(rng, created)
            if rng.random() < 0.3:
                fields["updated_at"] = created + rng.uniform(0, self.start - created)
            job = self._append(Job(seq=len(self.jobs), **fields))
            if rng.random() < 0.03:
                self._expire(job, self.start - rng.uniform(0, min(7 * DAY, self.start - created)))
        self.expired_log.sort()

    def _append(self, job: Job) -> Job:
        self.version += 1
        self.jobs.append(job)
        self.jobs_by_id[job.id] = job
        self.by_company.setdefault(job.company.id, []).append(job)
        self._active_pos[job.seq] = len(self._active)
        self._active.append(job)
        return job

    def _expire(self, job: Job, at: float) -> None:
        if job.expired_at is not None:
            return
        self.version += 1
        job.rendered = None
        job.expired_at = at
        job.valid_through = at
        pos = self._active_pos.pop(job.seq)
        last = self._active.pop()
        if last is not job:
            self._active[pos] = last
            self._active_pos[last.seq] = pos
        self.expired_log.append((at, job.seq))

    # ── life on the clock ───────────────────────────────────────────────────

    def _event_time(self, kind: str, index: int) -> float | None:
        rate = getattr(self.rates, kind)
        if rate <= 0:
            return None
        return self.start + (index + 1) * 3600.0 / rate

    def advance(self, now: float) -> None:
        """Apply every discovery, update and expiry due at or before ``now``, in time order."""
        if now <= self.now:
            return
        while True:
            due = []
            for kind, index in self._next_event.items():
                at = self._event_time(kind, index)
                if at is not None and at <= now:
                    due.append((at, kind, index))
            if not due:
                break
            at, kind, index = min(due)
            self._next_event[kind] = index + 1
            rng = self._streams[kind]
            if kind == "discovered":
                fields = self._job_fields(rng, at)
                fields["has_summary"] = False  # "null for recently indexed jobs" until the first update
                self._append(Job(seq=len(self.jobs), **fields))
            elif self._active:
                job = self._active[rng.randrange(len(self._active))]
                if kind == "updated":
                    self._update(job, at, rng)
                else:
                    self._expire(job, at)
        self.now = now

    def _update(self, job: Job, at: float, rng: random.Random | None = None) -> None:
        self.version += 1
        job.rendered = None
        job.updated_at = max(at, job.updated_at)
        job.version += 1
        job.has_summary = True
        if rng is not None and job.compensation is not None and rng.random() < 0.5:
            low, high, currency, period = job.compensation
            bump = 1.05
            job.compensation = (round(low * bump), round(high * bump), currency, period)
            factor = vocab.YEARLY_FACTOR[period] * vocab.USD_PER_UNIT[currency]
            job.salary_usd = (job.compensation[0] * factor, job.compensation[1] * factor)

    # ── queries and control ─────────────────────────────────────────────────

    @property
    def active_count(self) -> int:
        return len(self._active)

    def job(self, job_id: str) -> Job:
        job = self.jobs_by_id.get(job_id.lower())
        if job is None:
            raise NotFound("Job", job_id)
        return job

    def company(self, company_id: str) -> Company:
        company = self.companies_by_id.get(company_id.lower())
        if company is None:
            raise NotFound("Company", company_id)
        return company

    def active_jobs(self) -> Iterable[Job]:
        return (job for job in self.jobs if job.expired_at is None)

    def add_company(self, fields: dict[str, Any]) -> Company:
        """A company from a world file or the control API (unknown fields go to the profile)."""
        rng = random.Random(f"{self.seed}:company:{fields.get('id') or fields.get('name')}")
        company = self._generate_company(rng, len(self.companies))
        for key in ("id", "name", "domain", "summary"):
            if key in fields:
                setattr(company, key, str(fields[key]).lower() if key == "id" else fields[key])
        for key in ("industries", "categories"):
            if key in fields:
                setattr(company, key, tuple(fields[key]))
        company.extra = {
            k: v for k, v in fields.items() if k not in {"id", "name", "domain", "summary", "industries", "categories"}
        }
        if company.id in self.companies_by_id:
            raise InvalidParameter(f"Company '{company.id}' already exists.", "id")
        self._add_company(company)
        return company

    def add_job(self, fields: dict[str, Any], now: float) -> Job:
        """A job discovered now (control API, world files): generated, then the given fields pinned."""
        rng = random.Random(f"{self.seed}:added:{fields.get('id') or len(self.jobs)}")
        base = self._job_fields(rng, now)
        if "company_id" in fields:
            base["company"] = self.company(str(fields["company_id"]))
        job = Job(seq=len(self.jobs), **base)
        self._pin(job, fields)
        job.index_text()
        if job.id in self.jobs_by_id:
            raise InvalidParameter(f"Job '{job.id}' already exists.", "id")
        return self._append(job)

    def update_job(self, job_id: str, fields: dict[str, Any], now: float) -> Job:
        job = self.job(job_id)
        self._pin(job, fields)
        self._update(job, now)
        return job

    def expire_job(self, job_id: str, now: float) -> Job:
        job = self.job(job_id)
        self._expire(job, now)
        return job

    def _pin(self, job: Job, fields: dict[str, Any]) -> None:
        self.version += 1
        job.rendered = None
        simple = ("title", "source", "work_model", "employment_type", "experience_level")
        for key in simple:
            if key in fields:
                setattr(job, key, str(fields[key]))
        if "id" in fields:
            job.id = str(fields["id"]).lower()
        if "skills" in fields:
            job.skills = tuple(fields["skills"])
        if "locations" in fields:
            job.locations = tuple(_city(name) for name in fields["locations"])
        if "salary" in fields:
            s = fields["salary"] or None
            if s is None:
                job.compensation = job.salary_usd = None
            else:
                period, currency = s.get("period", "yearly"), s.get("currency", "USD")
                job.compensation = (s.get("min"), s.get("max"), currency, period)
                factor = vocab.YEARLY_FACTOR[period] * vocab.USD_PER_UNIT.get(currency, 1.0)
                job.salary_usd = ((s.get("min") or 0) * factor, (s.get("max") or s.get("min") or 0) * factor)
        if "date_posted" in fields:  # Unix seconds or None (the world parses the ISO text)
            job.date_posted = fields["date_posted"]
        for key in ("description", "summary", "apply_url", "listing_url"):
            if key in fields:
                job.overrides[key] = fields[key]
        if "summary" in fields:
            job.has_summary = fields["summary"] is not None
        job.index_text()


def _city(name: str) -> City:
    wanted = name.split(",")[0].strip().lower()
    for city in vocab.CITIES:
        if city[0].lower() == wanted:
            return city
    raise InvalidParameter(f"Unknown city '{name}'.", "locations")
