"""Rendered-only content, derived on demand from a job's or company's own seed.

None of this is filtered on, so it is not built at start-up: a feed page of 1,000 jobs builds
its text here once per job version (the vendor's renderer caches the result).
"""

from __future__ import annotations

import random
from typing import Any

from . import vocab
from .catalogue import Company, Job


def _rng(job: Job) -> random.Random:
    return random.Random(job.seq * 1_000_003 + int(job.id[:8], 16) + job.version)


def summary(job: Job) -> str | None:
    if "summary" in job.overrides:
        return job.overrides["summary"]
    if not job.has_summary:
        return None  # recently indexed: the AI summary is not there yet
    return f"{job.company.name} is hiring a {job.title} to work on {', '.join(job.skills[:2])}."


def responsibilities(job: Job) -> list[str]:
    rng = _rng(job)
    picks = rng.sample(vocab.RESPONSIBILITIES, 3)
    return [p.format(skill=job.skills[0]) for p in picks]


def benefits(job: Job) -> list[str]:
    return _rng(job).sample(vocab.BENEFITS, 3)


def qualifications(job: Job) -> dict[str, Any]:
    rng = _rng(job)
    must = [{"name": s, "type": "hard"} for s in job.skills[:3]] + [{"name": job.soft_skills[0], "type": "soft"}]
    preferred = [{"name": s, "type": "hard"} for s in job.skills[3:]] + [{"name": job.soft_skills[1], "type": "soft"}]
    return {
        "must_have": {"education": [rng.choice(vocab.EDUCATION)], "certifications": [], "skills": must},
        "preferred": {
            "education": [],
            "certifications": [rng.choice(vocab.CERTIFICATIONS)] if rng.random() < 0.3 else [],
            "skills": preferred,
        },
    }


def description(job: Job) -> str:
    if "description" in job.overrides:
        return job.overrides["description"]
    items = "".join(f"<li>{r}</li>" for r in responsibilities(job))
    skills = "".join(f"<li>{s}</li>" for s in job.skills)
    perks = "".join(f"<li>{b}</li>" for b in benefits(job))
    return (
        f"<h2>About {job.company.name}</h2><p>{job.company.summary}</p>"
        f"<h2>The role</h2><p>As a {job.title} you will join a team that ships every week.</p>"
        f"<h3>What you will do</h3><ul>{items}</ul><h3>What you bring</h3><ul>{skills}</ul>"
        f"<h3>Benefits</h3><ul>{perks}</ul>"
    )


def company_profile(company: Company) -> dict[str, Any]:
    """The full enriched profile (the SDK's ``Company`` model)."""
    rng = random.Random(f"company:{company.id}")
    hq = company.hq
    slug = company.domain.split(".")[0]
    stage = company.funding_stage
    raised = rng.choice((5, 12, 25, 40, 64, 120, 300))
    profile: dict[str, Any] = {
        "id": company.id,
        "name": company.name,
        "legal_name": f"{company.name} Inc.",
        "summary": company.summary,
        "description": f"{company.summary} Founded in {company.founded}, headquartered in {hq[0]}.",
        "website": company.website,
        "listing_url": f"https://{company.domain}/careers",
        "logo_url": f"https://logos.jobo.world/{slug}.png",
        "linkedin_url": f"https://www.linkedin.com/company/{slug}",
        "linkedin_company_id": str(rng.randint(10**6, 10**8)),
        "twitter_url": f"https://twitter.com/{slug}",
        "facebook_url": None,
        "instagram_url": None,
        "angellist_url": None,
        "youtube_url": None,
        "github_url": f"https://github.com/{slug}" if "Software" in company.industries else None,
        "g2_url": None,
        "crunchbase_url": f"https://www.crunchbase.com/organization/{slug}",
        "headquarters_location": f"{hq[0]}, {hq[1]}, {hq[3]}",
        "headquarters_region": hq[1],
        "headquarters_regions": [hq[1], hq[3]],
        "country_code": hq[4],
        "continent": hq[5],
        "phone_number": None,
        "email_address": f"hello@{company.domain}",
        "founding_year": company.founded,
        "company_size": company.size,
        "revenue": rng.choice(("$1M-$10M", "$10M-$50M", "$50M-$100M", "$100M-$500M")),
        "is_agency": company.is_agency,
        "industries": list(company.industries),
        "primary_industry": company.industries[0],
        "categories": list(company.categories),
        "naics_codes": [str(rng.randint(511000, 541999))],
        "operating_status": "active",
        "ipo_status": "public" if stage == "ipo" else "private",
        "company_type": "for_profit",
        "stock_symbol": slug[:4].upper() if stage == "ipo" else None,
        "stock_exchange": "NASDAQ" if stage == "ipo" else None,
        "is_acquired": False,
        "acquired_by_company": None,
        "parent_company_url": None,
        "funding_stage": stage,
        "total_funding": str(raised * 1_000_000),
        "funds_total_formatted": f"${raised}M",
        "investors": ["Example Ventures", "Sample Capital"],
        "funding_rounds": [
            {
                "investment_type": stage,
                "announced_on": f"{rng.randint(2018, 2025)}-0{rng.randint(1, 9)}-01",
                "raised_amount": f"${raised}M",
                "post_money_valuation": None,
                "investor_count": 2,
                "lead_investor": "Example Ventures",
            }
        ],  # fmt: skip
        "founders": [f"Founder {rng.randint(1, 99)}"],
        "leadership": [
            {"name": f"Chief Executive {rng.randint(1, 99)}", "title": "CEO", "linkedin_url": None, "avatar_url": None}
        ],
        "leadership_hires": [],
        "layoffs": [],
        "ratings": [
            {
                "source": "glassdoor",
                "rating": f"{rng.uniform(3.2, 4.8):.1f}",
                "url": None,
                "review_count": rng.randint(5, 900),
            }
        ],
        "press_references": [],
        "h1b_annual_job_counts": [{"year": "2025", "count": rng.randint(0, 40)}],
        "h1b_title_distribution": [],
        "technology_list": ["Python", "AWS", "PostgreSQL"],
        "tech_stack": [{"name": "Python", "categories": ["Languages"]}, {"name": "AWS", "categories": ["Cloud"]}],
        "products": [{"name": f"{company.name} Platform", "description": company.summary}],
        "software_used": [{"name": "Slack", "description": None}],
        "research_focus_areas": [],
        "acquisitions": [],
        "exits": [],
        "subsidiary_list": [],
        "sub_organizations": [],
        "featured_lists": [],
        "event_appearances": [],
        "investor_types": [],
        "page_rank": round(rng.uniform(0.1, 0.9), 3),
    }
    profile.update({k: v for k, v in company.extra.items() if k in profile})
    return profile
