"""Jobs and companies the simulated archive holds, and how a job reference resolves.

A job can be named by an Upwork URL, a ciphertext (``~01``/``~02`` forms and
any alias the world lists) or UpHunt's processed-job UUID; all resolve to
the same :class:`Job` (How Auto-Apply Works).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_CIPHER_IN_URL = re.compile(r"(~0[12][0-9a-zA-Z]+)")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(slots=True)
class Requirements:
    """What Upwork checks before it accepts a proposal (eligibility)."""

    countries: list[str] | None = None
    min_job_success_score: float | None = None
    rising_talent: bool | None = None

    def failures(self, country: str, job_success_score: float) -> list[str]:
        """Human reasons a profile does not qualify; empty when it does."""
        reasons = []
        if self.countries and country not in self.countries:
            reasons.append(f"freelancer location {country} is not one of {', '.join(self.countries)}")
        if self.min_job_success_score is not None and job_success_score < self.min_job_success_score:
            reasons.append(
                f"Job Success Score {job_success_score:g} is below the required {self.min_job_success_score:g}"
            )
        return reasons


@dataclass(slots=True)
class Job:
    id: str
    ciphertext: str
    processed_job_id: str
    title: str
    description: str
    type: str  # "HOURLY" | "FIXED"
    company_id: str
    posted_at_ms: int
    connects_cost: int = 16
    budget: float | None = None
    hourly_min: float | None = None
    hourly_max: float | None = None
    duration: str | None = None
    contractor_tier: str = "INTERMEDIATE"
    skills: list[str] = field(default_factory=list)
    requirements: Requirements = field(default_factory=Requirements)
    aliases: list[str] = field(default_factory=list)
    closed_at: float | None = None  # simulated Unix seconds; None = open
    applicants: int = 0
    hired: int = 0
    interviewing: int = 0
    auth_enriched: bool = True

    def is_open(self, now: float) -> bool:
        return self.closed_at is None or now < self.closed_at

    @property
    def is_hourly(self) -> bool:
        return self.type == "HOURLY"


@dataclass(slots=True)
class Contract:
    """One row of a company's work history."""

    job_id: str
    title: str
    ciphertext: str | None  # None for private contracts
    status: str  # "ACTIVE" | "CLOSED"
    start_date: str
    end_date: str | None
    total_charge: float
    total_hours: float
    rate: float
    contractor_name: str
    contractor_ciphertext: str
    is_ptc_job: bool = False
    feedback: dict[str, Any] | None = None
    feedback_to_client: dict[str, Any] | None = None


@dataclass(slots=True)
class Company:
    company_id: str
    name: str
    city: str
    country: str
    country_timezone: str
    contract_date: str
    last_synced_at_ms: int
    total_assignments: int
    score: float
    total_charges: float
    feedback_count: int
    total_jobs_with_hires: int
    posted_count: int
    top_client: bool = False
    # Auth-enriched fields: None when only the public scrape exists.
    enterprise: bool | None = None
    avg_hourly_rate: float | None = None
    phone_verification: str | None = None
    is_edc_replicated: bool | None = None
    work_history: list[Contract] = field(default_factory=list)


class Catalogue:
    """Every job and company in the world, indexed by each name a client may use."""

    def __init__(self, jobs: list[Job], companies: list[Company]) -> None:
        self.jobs: list[Job] = jobs
        self.companies: dict[str, Company] = {c.company_id: c for c in companies}
        self._by_key: dict[str, Job] = {}
        self._by_id: dict[str, Job] = {}
        for job in jobs:
            self._by_id[job.id] = job
            self._by_key[job.ciphertext] = job
            self._by_key[job.processed_job_id.lower()] = job
            for alias in job.aliases:
                self._by_key[alias] = job

    def resolve(self, ref: str) -> Job | None:
        """The job named by a URL, ciphertext, alias or processed UUID; None if unknown."""
        ref = ref.strip()
        if not ref:
            return None
        if _UUID.match(ref):
            return self._by_key.get(ref.lower())
        hit = self._by_key.get(ref)
        if hit is not None:
            return hit
        if "/" in ref or ref.startswith("http"):
            for cipher in _CIPHER_IN_URL.findall(ref):
                hit = self._by_key.get(cipher)
                if hit is not None:
                    return hit
        return None

    def by_cipher(self, cipher: str) -> Job | None:
        """Archive lookup by ciphertext (or alias) only, as the data-read endpoint does."""
        return self._by_key.get(cipher.strip())

    def by_id(self, job_id: str) -> Job | None:
        return self._by_id.get(job_id)

    def open_jobs_of(self, company_id: str, now: float) -> list[Job]:
        return [j for j in self.jobs if j.company_id == company_id and j.is_open(now)]
