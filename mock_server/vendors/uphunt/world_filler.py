"""Deterministic filler for a world: companies with open and filled jobs and a work history.

The same seed always gives the same companies, ids and figures, so a test
can rely on them; a world file asks for it with ``generate: {companies, jobsPerCompany}``.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timezone

from .domain.catalogue import Company, Contract, Job

_COMPANY_WORDS = [
    "Blue",
    "Harbor",
    "Quantum",
    "Maple",
    "Orbit",
    "Cedar",
    "Nova",
    "Summit",
    "Pixel",
    "Atlas",
    "River",
    "Lumen",
]
_COMPANY_KINDS = ["Labs", "Studio", "Analytics", "Health", "Logistics", "Media", "Commerce", "Robotics"]
_PLACES = [
    ("London", "GBR", "Europe/London (UTC+00:00)"),
    ("Berlin", "DEU", "Europe/Berlin (UTC+01:00)"),
    ("New York", "USA", "America/New_York (UTC-05:00)"),
    ("Toronto", "CAN", "America/Toronto (UTC-05:00)"),
    ("Sydney", "AUS", "Australia/Sydney (UTC+11:00)"),
    ("Singapore", "SGP", "Asia/Singapore (UTC+08:00)"),
]
_WORK = [
    ("Django REST API for a marketplace", ["Python", "Django", "PostgreSQL"]),
    ("Shopify theme customisation", ["Shopify", "Liquid", "CSS"]),
    ("Explainer video, 90 seconds", ["Video Editing", "Motion Graphics"]),
    ("Kubernetes cluster hardening", ["Kubernetes", "Security", "Terraform"]),
    ("Data pipeline from Stripe to BigQuery", ["Python", "BigQuery", "Airflow"]),
    ("Mobile app UI in Flutter", ["Flutter", "Dart", "UI Design"]),
    ("SEO audit and content plan", ["SEO", "Content Strategy"]),
    ("React Native bug fixes", ["React Native", "TypeScript"]),
    ("Technical blog posts about LLM tooling", ["Technical Writing", "AI"]),
    ("Power BI sales dashboard", ["Power BI", "SQL"]),
]
_DURATIONS = ["Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months"]
_NAMES = ["Priya S.", "Tomasz W.", "Chen L.", "Fatima B.", "Jonas M.", "Aiko T.", "Lucas P.", "Amara O."]


def generate_filler(
    seed: int, now: float, companies: int, jobs_per_company: int, taken: set[str]
) -> tuple[list[Job], list[Company]]:
    """Companies with open and archived jobs and a work history, the same for the same seed."""
    rng = random.Random(f"world-filler-{seed}")
    jobs: list[Job] = []
    out: list[Company] = []
    for _ in range(companies):
        company_id = str(1_500_000_000_000_000_000 + rng.randrange(10**17))
        city, country, tz = rng.choice(_PLACES)
        enriched = rng.random() < 0.7
        company = Company(
            company_id=company_id,
            name=f"{rng.choice(_COMPANY_WORDS)} {rng.choice(_COMPANY_KINDS)}",
            city=city,
            country=country,
            country_timezone=tz,
            contract_date=_iso(now - rng.randrange(30, 900) * 86400),
            last_synced_at_ms=int((now - rng.randrange(5, 240) * 60) * 1000),
            total_assignments=rng.randrange(0, 80),
            score=round(rng.uniform(3.5, 5.0), 2),
            total_charges=round(rng.uniform(0, 90_000), 2),
            feedback_count=rng.randrange(0, 60),
            total_jobs_with_hires=rng.randrange(0, 50),
            posted_count=rng.randrange(1, 120),
            top_client=rng.random() < 0.2,
            enterprise=(rng.random() < 0.1) if enriched else None,
            avg_hourly_rate=round(rng.uniform(15, 90), 2) if enriched else None,
            phone_verification="VERIFIED" if enriched else None,
            is_edc_replicated=None,
        )
        for ji in range(jobs_per_company):
            job_id = str(2_050_000_000_000_000_000 + rng.randrange(10**16))
            while job_id in taken:
                job_id = str(int(job_id) + 1)
            taken.add(job_id)
            title, skills = rng.choice(_WORK)
            hourly = rng.random() < 0.5
            low = float(rng.randrange(15, 60))
            closed = ji >= jobs_per_company - 2  # the last two are filled: history, not open
            job = Job(
                id=job_id,
                ciphertext=f"~02{job_id}",
                processed_job_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                title=title,
                description=f"{title}. We are looking for someone with {', '.join(skills)} experience.",
                type="HOURLY" if hourly else "FIXED",
                company_id=company_id,
                posted_at_ms=int((now - rng.randrange(10, 20_000) * 60) * 1000),
                connects_cost=rng.choice([4, 8, 12, 16, 20, 24]),
                budget=None if hourly else float(rng.randrange(50, 5000, 50)),
                hourly_min=low if hourly else None,
                hourly_max=low + rng.randrange(10, 60) if hourly else None,
                duration=rng.choice(_DURATIONS),
                contractor_tier=rng.choice(["ENTRY", "INTERMEDIATE", "EXPERT"]),
                skills=list(skills),
                closed_at=now - rng.randrange(1, 300) * 86400 if closed else None,
                applicants=rng.randrange(0, 50),
                auth_enriched=enriched,
            )
            jobs.append(job)
            if closed:
                private = rng.random() < 0.25
                company.work_history.append(
                    Contract(
                        job_id=job.id,
                        title=job.title,
                        ciphertext=None if private else job.ciphertext,
                        status=rng.choice(["ACTIVE", "CLOSED"]),
                        start_date=_iso(job.closed_at or now),
                        end_date=None if rng.random() < 0.4 else _iso((job.closed_at or now) + 20 * 86400),
                        total_charge=round(rng.uniform(50, 8000), 2),
                        total_hours=round(rng.uniform(0, 200), 2) if hourly else 0.0,
                        rate=job.hourly_min or 0.0,
                        contractor_name=rng.choice(_NAMES),
                        contractor_ciphertext=f"~01{rng.getrandbits(72):018x}",
                        feedback={"score": round(rng.uniform(3, 5), 1), "comment": "Good work."}
                        if rng.random() < 0.6
                        else None,
                        feedback_to_client=None,
                    )
                )
        out.append(company)
    return jobs, out


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
