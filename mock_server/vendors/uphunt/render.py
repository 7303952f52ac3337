"""Domain objects -> the JSON shapes of the spec (jobs, clients, freelancers).

Pure functions; the HTTP handlers call them and the response-conformance
tests check their output against ``openapi/uphunt.yaml``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .domain.agency import Agency, Freelancer
from .domain.catalogue import Catalogue, Company, Job


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def freelancer(f: Freelancer) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.name,
        "title": f.title,
        "hourlyRate": f.hourly_rate,
        "isBusinessDeveloper": f.is_business_developer,
        "profiles": [
            {
                "id": p.id,
                "name": p.name,
                "isDefault": p.is_default,
                "hourlyRate": p.hourly_rate,
                "skills": list(p.skills),
            }
            for p in f.profiles
        ],
    }


def freelancers(agency: Agency) -> dict[str, Any]:
    return {"agencyId": agency.id, "freelancers": [freelancer(f) for f in agency.freelancers]}


def job(job: Job, catalogue: Catalogue, now: float, archived_at_ms: int) -> dict[str, Any]:
    """The archived job record: Upwork's public scrape plus, when held, the authenticated one."""
    company = catalogue.companies.get(job.company_id)
    posted = iso_ms(job.posted_at_ms)
    pub = {
        "opening": {
            "job": {
                "info": {
                    "id": job.id,
                    "ciphertext": job.ciphertext,
                    "title": job.title,
                    "type": job.type,
                    "createdOn": posted,
                    "publishTime": posted,
                    "status": "ACTIVE" if job.is_open(now) else "CLOSED",
                },
                "description": job.description,
                "budget": {"amount": job.budget, "currencyCode": "USD"},
                "extendedBudgetInfo": (
                    {"hourlyBudgetMin": job.hourly_min, "hourlyBudgetMax": job.hourly_max} if job.is_hourly else None
                ),
                "engagementDuration": {"label": job.duration} if job.duration else None,
                "contractorTier": job.contractor_tier,
                "connectsCost": job.connects_cost,
                "skills": [{"name": s} for s in job.skills],
                "qualifications": {
                    "countries": job.requirements.countries,
                    "minJobSuccessScore": job.requirements.min_job_success_score,
                    "risingTalent": job.requirements.rising_talent,
                },
            }
        },
        "buyer": _buyer_summary(job.company_id, company),
    }
    auth = None
    if job.auth_enriched:
        rates = [job.hourly_min, job.hourly_max] if job.is_hourly else [job.budget]
        low = min((r for r in rates if r is not None), default=None)
        high = max((r for r in rates if r is not None), default=None)
        auth = {
            "data": {
                "jobAuthDetails": {
                    "buyer": {"info": {"company": {"companyId": job.company_id}}},
                    "applicantsBidsStats": {
                        "avgRateBid": {"amount": round((low + high) / 2, 2)}
                        if low is not None and high is not None
                        else None,
                        "minRateBid": {"amount": low} if low is not None else None,
                        "maxRateBid": {"amount": high} if high is not None else None,
                    },
                    "clientActivity": {
                        "totalApplicants": job.applicants,
                        "totalHired": job.hired if job.is_open(now) else max(1, job.hired),
                        "totalInvitedToInterview": job.interviewing,
                    },
                }
            }
        }
    return {
        "ciphertext": job.ciphertext,
        "archivedAt": archived_at_ms,
        "jobDetailsResponse": {"data": {"jobPubDetails": pub}},
        "authJobDetailsResponse": auth,
    }


def _buyer_summary(company_id: str, company: Company | None) -> dict[str, Any]:
    if company is None:
        return {
            "company": {"companyId": company_id, "name": "Unknown client"},
            "location": {"city": "", "country": "", "countryTimezone": ""},
            "stats": {
                "totalAssignments": 0,
                "score": 0,
                "feedbackCount": 0,
                "totalJobsWithHires": 0,
                "totalCharges": {"amount": 0},
            },
        }
    return {
        "company": {"companyId": company.company_id, "name": company.name},
        "location": _location(company),
        "stats": _stats(company),
    }


def _location(c: Company) -> dict[str, Any]:
    return {"city": c.city, "country": c.country, "countryTimezone": c.country_timezone}


def _stats(c: Company) -> dict[str, Any]:
    return {
        "totalAssignments": c.total_assignments,
        "score": c.score,
        "totalCharges": {"amount": c.total_charges},
        "feedbackCount": c.feedback_count,
        "totalJobsWithHires": c.total_jobs_with_hires,
    }


def client_jobs(company: Company, catalogue: Catalogue, now: float) -> dict[str, Any]:
    """The shape of the docs' Get Client Jobs page; the archived lists are exactly what the catalogue holds."""
    open_jobs = catalogue.open_jobs_of(company.company_id, now)
    history = company.work_history
    mentioned = [j.ciphertext for j in open_jobs] + [w.ciphertext for w in history if w.ciphertext]
    archived_ciphers = list(dict.fromkeys(c for c in mentioned if catalogue.by_cipher(c) is not None))
    archived_ids = list(dict.fromkeys(w.job_id for w in history if catalogue.by_id(w.job_id) is not None))
    return {
        "companyId": company.company_id,
        "lastSyncedAt": company.last_synced_at_ms,
        "buyer": {
            "company": {
                "name": company.name,
                "companyId": company.company_id,
                "isEDCReplicated": company.is_edc_replicated,
                "contractDate": company.contract_date,
            },
            "location": _location(company),
            "stats": _stats(company),
            "enterprise": company.enterprise,
            "avgHourlyJobsRate": {"amount": company.avg_hourly_rate} if company.avg_hourly_rate is not None else None,
            "postedCount": company.posted_count,
            "topClient": company.top_client,
            "phoneVerificationStatus": (
                {"status": company.phone_verification} if company.phone_verification is not None else None
            ),
        },
        "openJobs": [
            {"id": j.id, "ciphertext": j.ciphertext, "title": j.title, "type": j.type, "isPtcPrivate": False}
            for j in open_jobs
        ],
        "workHistory": [
            {
                "isPtcJob": w.is_ptc_job,
                "status": w.status,
                "startDate": w.start_date,
                "endDate": w.end_date,
                "totalCharge": w.total_charge,
                "totalHours": w.total_hours,
                "jobInfo": {"title": w.title, "id": w.job_id, "ciphertext": w.ciphertext},
                "contractorInfo": {"contractorName": w.contractor_name, "ciphertext": w.contractor_ciphertext},
                "rate": {"amount": w.rate},
                "feedback": w.feedback,
                "feedbackToClient": w.feedback_to_client,
            }
            for w in history
        ],
        "archivedCiphers": archived_ciphers,
        "archivedJobIds": archived_ids,
    }
