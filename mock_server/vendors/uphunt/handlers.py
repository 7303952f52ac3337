"""One function per UpHunt operation: read the validated input, call the domain, render.

No business rule lives here (moto's ``responses.py`` pattern). Each handler
gets a :class:`Ctx` and returns ``(status, body)``; domain errors propagate
and are rendered by the pipeline in the endpoint's dialect.
"""

from __future__ import annotations

from collections.abc import Callable

from mock_server.core.clock import now_ms
from mock_server.core.vendor import Ctx, Result

from . import render
from .domain.errors import bad_request, not_found
from .domain.proposals import JobBrief, generate_cover_letter, pick_profile
from .domain.simulator import ApplyRequest


def apply_to_job(ctx: Ctx) -> Result:
    body = ctx.body
    proposal = body.get("proposal") or {}
    req = ApplyRequest(
        job_ref=body["jobId"],
        cover_letter=body["coverLetter"],
        profile_id=body.get("profileId"),
        hourly_rate=proposal.get("hourlyRate"),
        fixed_bid=proposal.get("fixedBid"),
        timeline=proposal.get("timeline"),
        boost_bids=proposal.get("boostBids", 0),
        auto_fill_other_questions=bool(body.get("autoFillOtherQuestions", False)),
        question_answers=tuple(body.get("questionAnswers") or ()),
    )
    app = ctx.runtime.sim.apply(ctx.account, req)
    return 200, {
        "queueId": app.queue_id,
        "jobId": app.job_id,
        "processedJobId": app.processed_job_id,
        "applicationStatus": app.status,
        "creditsRemaining": ctx.account.ledger.available,
    }


def get_application_status(ctx: Ctx) -> Result:
    queue_id, job_id = ctx.params.get("queueId"), ctx.params.get("jobId")
    if (queue_id is None) == (job_id is None):
        raise bad_request(
            "Provide either queueId or jobId, not both" if queue_id else "Provide either queueId or jobId"
        )
    app = ctx.runtime.sim.status(ctx.account, queue_id=queue_id, job_ref=job_id)
    return 200, app.status_record()


def list_applied_jobs(ctx: Ctx) -> Result:
    limit = ctx.params.get("limit", 20)
    offset = ctx.params.get("offset", 0)
    rows, total = ctx.runtime.sim.applied_jobs(ctx.account, limit, offset, ctx.params.get("status"))
    return 200, {
        "jobs": [a.applied_job_record() for a in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
        "hasMore": offset + len(rows) < total,
    }


def generate_proposal(ctx: Ctx) -> Result:
    body = ctx.body or {}
    sim = ctx.runtime.sim
    effort = body.get("reasoningEffort", "medium")
    job_ref = body.get("jobId")
    if job_ref is not None:
        job = sim.catalogue.resolve(job_ref)
        if job is None:
            raise not_found(f"Job not found: {job_ref!r}. Verify the jobId is correct and the job has been scraped.")
        job_id = job.ciphertext
        brief = JobBrief(
            title=job.title,
            description=job.description,
            skills=tuple(job.skills),
            job_type=job.type,
            budget=job.budget,
            hourly_min=job.hourly_min,
            hourly_max=job.hourly_max,
            duration=job.duration,
        )
    elif body.get("jobTitle") and body.get("jobDescription"):
        job_id, brief = None, JobBrief(title=body["jobTitle"], description=body["jobDescription"])
    else:
        raise bad_request("Provide jobId, or both jobTitle and jobDescription")
    agency = sim.agency_of(ctx.account)
    text = generate_cover_letter(brief, effort, pick_profile(agency, brief))
    return 200, {
        "proposal": text,
        "jobId": job_id,
        "jobTitle": brief.title,
        "reasoningEffort": effort,
        "wordCount": len(text.split()),
        "model": "uphunt-mock-template",
    }


def list_freelancers(ctx: Ctx) -> Result:
    return 200, render.freelancers(ctx.runtime.sim.agency_of(ctx.account))


def get_job_by_ciphertext(ctx: Ctx) -> Result:
    cipher = ctx.params.get("cipher") or ctx.params.get("ciphertext")
    if not cipher:
        raise bad_request("Query parameter cipher is required (a job ciphertext such as ~022053140178050136031)")
    sim = ctx.runtime.sim
    job = sim.job(cipher)
    archived_at = min(now_ms(sim.clock), job.posted_at_ms + 3_600_000)
    return 200, render.job(job, sim.catalogue, sim.clock.now(), archived_at)


def get_client_jobs(ctx: Ctx) -> Result:
    sim = ctx.runtime.sim
    company_id = ctx.params["companyId"]
    company = sim.catalogue.companies.get(company_id)
    if company is None:
        raise not_found(f"No archived jobs match companyId {company_id}")
    return 200, render.client_jobs(company, sim.catalogue, sim.clock.now())


# Keyed by handler name = the canonical operationId; aliases reach a handler through
# `x-mock-handler`. The same name is the operation's rate-limit group (its bucket and its
# key in `settings.rateLimits`), so an alias shares the bucket of the operation it forwards to.
HANDLERS: dict[str, Callable[[Ctx], Result]] = {
    "applyToJob": apply_to_job,
    "getApplicationStatus": get_application_status,
    "listAppliedJobs": list_applied_jobs,
    "generateProposal": generate_proposal,
    "listFreelancers": list_freelancers,
    "getJobByCiphertext": get_job_by_ciphertext,
    "getClientJobs": get_client_jobs,
}
