"""The UpHunt world a mock serves: the default one, or a YAML world file merged over it.

A :class:`World` is the *description* (plain data, validated against
``world.schema.yaml`` beside this file); :meth:`World.build` turns it into a fresh
:class:`~mock_server.vendors.uphunt.domain.simulator.Simulator` on a given clock.
Loading, merging and ``FILE:LINE`` errors are the engine's (:mod:`mock_server.core.world`).
Generated filler is deterministic for a seed.
"""

from __future__ import annotations

import uuid
from typing import Any

from mock_server.core import world as core_world
from mock_server.core import yaml_source
from mock_server.core.clock import Clock
from mock_server.core.spec import load_spec
from mock_server.core.webhooks import check_webhook_url

from .domain.accounts import Account
from .domain.agency import Agency, Freelancer, Profile
from .domain.catalogue import Catalogue, Company, Contract, Job, Requirements
from .domain.latency import LatencyModel, Stage
from .domain.ledger import CreditLedger
from .domain.ratelimit import RateLimiter
from .domain.simulator import Settings, Simulator
from .world_filler import generate_filler

DEMO_API_KEY = "sk_uphunt_demo_key"
SPEC_NAME = "uphunt.yaml"


class World(core_world.World):
    """An UpHunt world: agencies, accounts, jobs, companies, preseeded applications, settings."""

    schema_resource = "vendors/uphunt/world.schema.yaml"
    default_resource = "vendors/uphunt/worlds/default.yaml"
    merged_lists = {
        "agencies": "id",
        "accounts": "apiKey",
        "jobs": "id",
        "companies": "companyId",
        "applications": "queueId",
    }

    @classmethod
    def check_references(cls, data: dict[str, Any], located: yaml_source.Located) -> None:
        _check_references(data, located)
        settings = data.get("settings") or {}
        try:  # the settings' own rules, checked now that the file's lines are known
            _settings(settings)
            RateLimiter.from_settings(dict(settings.get("rateLimits") or {}), load_spec(SPEC_NAME))
        except ValueError as exc:
            raise core_world.located_error(located, exc) from None

    def build(self, clock: Clock) -> Simulator:
        now = clock.now()
        data = self.data
        settings = _settings(data.get("settings", {}))
        agencies = [_agency(a, now) for a in data.get("agencies", [])]
        accounts = [
            Account(
                api_key=a["apiKey"],
                agency_id=a["agencyId"],
                ledger=CreditLedger.with_grant(a.get("credits", 0)),
                webhook_url=a.get("webhookUrl"),
                legacy_keys=list(a.get("legacyKeys", [])),
            )
            for a in data.get("accounts", [])
        ]
        jobs = [_job(j, now) for j in data.get("jobs", [])]
        companies = [_company(c, now) for c in data.get("companies", [])]
        gen = data.get("generate") or {}
        extra_jobs, extra_companies = generate_filler(
            self.seed, now, gen.get("companies", 0), gen.get("jobsPerCompany", 0), {j.id for j in jobs}
        )
        sim = Simulator(
            clock=clock,
            accounts=accounts,
            agencies=agencies,
            catalogue=Catalogue(jobs + extra_jobs, companies + extra_companies),
            settings=settings,
            seed=self.seed,
        )
        sim.rate_limiter = RateLimiter.from_settings(self.settings_section("rateLimits"), load_spec(SPEC_NAME))
        for spec in data.get("applications", []):
            _preseed_application(sim, spec, now)
        return sim


def default_world_data() -> dict[str, Any]:
    return World.default_data()


def parse_world_text(text: str, source: str) -> dict[str, Any]:
    """Load and validate an UpHunt world document; errors name ``source`` and the line."""
    return World.parse_text(text, source)


def merge_worlds(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    return World.merge(base, overlay)


def _check_references(data: dict[str, Any], located: yaml_source.Located) -> None:
    """Cross-references the schema cannot check; errors point at the overlay's line (FILE:LINE: reason)."""

    def error(section: str, id_key: str, item: dict[str, Any], field: str, reason: str) -> yaml_source.SourceError:
        items = located.data.get(section) or []
        index = next((i for i, x in enumerate(items) if isinstance(x, dict) and x.get(id_key) == item[id_key]), None)
        line = located.line_of((section, index, field)) if index is not None else None
        return yaml_source.SourceError(located.source, line, reason)

    _check_unique_aliases(data, located)
    companies = {c["companyId"] for c in data.get("companies", [])}
    for job in data.get("jobs", []):
        if job["companyId"] not in companies:
            raise error("jobs", "id", job, "companyId", f"job {job['id']!r} names unknown company {job['companyId']!r}")
    agencies = {a["id"] for a in data.get("agencies", [])}
    for account in data.get("accounts", []):
        try:
            check_webhook_url(account.get("webhookUrl"))
        except ValueError as exc:
            raise error("accounts", "apiKey", account, "webhookUrl", str(exc)) from None
        if account["agencyId"] not in agencies:
            reason = f"account {account['apiKey']!r} names unknown agency {account['agencyId']!r}"
            raise error("accounts", "apiKey", account, "agencyId", reason)
    keys = {a["apiKey"] for a in data.get("accounts", [])}
    ciphers = {c for j in data.get("jobs", []) for c in [j["ciphertext"], *j.get("aliases", [])]}
    for app in data.get("applications", []):
        if app["apiKey"] not in keys:
            raise error(
                "applications", "queueId", app, "apiKey", f"application {app['queueId']!r} names unknown apiKey"
            )
        if app["jobId"] not in ciphers:
            raise error("applications", "queueId", app, "jobId", f"application {app['queueId']!r} names unknown job")


def _check_unique_aliases(data: dict[str, Any], located: yaml_source.Located) -> None:
    """A ciphertext (or alias) names one job and a legacy key one account, across the merged world.

    Two jobs sharing a ciphertext would make the first unreachable; one legacy key on two
    accounts would authenticate as whichever came last. The error points at the file's line.
    """

    def overlay_line(section: str, id_key: str, item_id: Any, field: str) -> int | None:
        items = located.data.get(section) or []
        index = next((i for i, x in enumerate(items) if isinstance(x, dict) and x.get(id_key) == item_id), None)
        return located.line_of((section, index, field)) if index is not None else located.line_of((section,))

    owners: dict[str, Any] = {}
    for job in data.get("jobs", []):
        for field, names in (("ciphertext", [job["ciphertext"]]), ("aliases", job.get("aliases", []))):
            for name in names:
                if name in owners and owners[name] != job["id"]:
                    reason = f"job {job['id']!r}: ciphertext {name!r} already names job {owners[name]!r}"
                    raise yaml_source.SourceError(located.source, overlay_line("jobs", "id", job["id"], field), reason)
                owners[name] = job["id"]
    holders: dict[str, str] = {}
    for account in data.get("accounts", []):
        for key in account.get("legacyKeys", []):
            if key in holders and holders[key] != account["apiKey"]:
                reason = (
                    f"account {account['apiKey']!r}: legacy key {key!r} already belongs to account {holders[key]!r}"
                )
                raise yaml_source.SourceError(
                    located.source, overlay_line("accounts", "apiKey", account["apiKey"], "legacyKeys"), reason
                )
            holders[key] = account["apiKey"]


def _settings(raw: dict[str, Any]) -> Settings:
    lat = raw.get("latency", {})
    model = LatencyModel()
    for stage in ("pickup", "submission"):
        if stage in lat:
            try:
                setattr(model, stage, Stage(**lat[stage]))
            except ValueError as exc:
                raise ValueError(f"settings.latency.{stage}: {exc}") from None
    if "workers" in lat:
        model.workers = lat["workers"]
    return Settings(
        pacing_seconds=raw.get("pacingSeconds", 5.0),
        failure_rate=raw.get("failureRate", 0.0),
        reconnect_seconds=raw.get("reconnectSeconds", 60.0),
        latency=model,
    )


def _agency(a: dict[str, Any], now: float) -> Agency:
    freelancers = [
        Freelancer(
            id=f["id"],
            name=f["name"],
            title=f.get("title", ""),
            hourly_rate=f.get("hourlyRate", 0.0),
            country=f.get("country", "USA"),
            job_success_score=f.get("jobSuccessScore", 95.0),
            is_business_developer=f.get("isBusinessDeveloper", False),
            profiles=[
                Profile(
                    id=p["id"],
                    name=p["name"],
                    hourly_rate=p.get("hourlyRate", f.get("hourlyRate", 0.0)),
                    is_default=p.get("isDefault", False),
                    skills=list(p.get("skills", [])),
                )
                for p in f.get("profiles", [])
            ],
        )
        for f in a.get("freelancers", [])
    ]
    agency = Agency(id=a["id"], connects=a.get("connects", 0), freelancers=freelancers)
    if a.get("loggedOut"):
        agency.logged_out_until = float("inf")
    return agency


def freelancer_from_dict(f: dict[str, Any]) -> Freelancer:
    """Build a freelancer from its wire/world form (used by PUT /_mock/accounts)."""
    return _agency({"id": "_", "freelancers": [f]}, 0.0).freelancers[0]


def _job(j: dict[str, Any], now: float) -> Job:
    req = j.get("requirements", {})
    closed_at = None
    if "closedMinutesAgo" in j:
        closed_at = now - 60 * j["closedMinutesAgo"]
    elif "closesInSeconds" in j:
        closed_at = now + j["closesInSeconds"]
    return Job(
        id=j["id"],
        ciphertext=j["ciphertext"],
        processed_job_id=j.get("processedJobId") or str(uuid.uuid5(uuid.NAMESPACE_URL, j["ciphertext"])),
        title=j["title"],
        description=j.get("description", j["title"]),
        type=j["type"],
        company_id=j["companyId"],
        posted_at_ms=int((now - 60 * j.get("postedMinutesAgo", 60)) * 1000),
        connects_cost=j.get("connectsCost", 16),
        budget=j.get("budget"),
        hourly_min=j.get("hourlyMin"),
        hourly_max=j.get("hourlyMax"),
        duration=j.get("duration"),
        contractor_tier=j.get("contractorTier", "INTERMEDIATE"),
        skills=list(j.get("skills", [])),
        requirements=Requirements(
            countries=req.get("countries"),
            min_job_success_score=req.get("minJobSuccessScore"),
            rising_talent=req.get("risingTalent"),
        ),
        aliases=list(j.get("aliases", [])),
        closed_at=closed_at,
        applicants=j.get("applicants", 12),
        auth_enriched=j.get("authEnriched", True),
    )


def _company(c: dict[str, Any], now: float) -> Company:
    return Company(
        company_id=c["companyId"],
        name=c["name"],
        city=c.get("city", ""),
        country=c.get("country", "USA"),
        country_timezone=c.get("countryTimezone", "UTC"),
        contract_date=c.get("contractDate", "2025-01-01T00:00:00.000Z"),
        last_synced_at_ms=int((now - 60 * c.get("syncedMinutesAgo", 30)) * 1000),
        total_assignments=c.get("totalAssignments", 0),
        score=c.get("score", 0.0),
        total_charges=c.get("totalCharges", 0.0),
        feedback_count=c.get("feedbackCount", 0),
        total_jobs_with_hires=c.get("totalJobsWithHires", 0),
        posted_count=c.get("postedCount", 0),
        top_client=c.get("topClient", False),
        enterprise=c.get("enterprise"),
        avg_hourly_rate=c.get("avgHourlyRate"),
        phone_verification=c.get("phoneVerification"),
        is_edc_replicated=c.get("isEDCReplicated"),
        work_history=[
            Contract(
                job_id=w["jobId"],
                title=w["title"],
                ciphertext=w.get("ciphertext"),
                status=w["status"],
                start_date=w["startDate"],
                end_date=w.get("endDate"),
                total_charge=w.get("totalCharge", 0.0),
                total_hours=w.get("totalHours", 0.0),
                rate=w.get("rate", 0.0),
                contractor_name=w["contractorName"],
                contractor_ciphertext=w.get("contractorCiphertext", "~01000000000000000000"),
                is_ptc_job=w.get("isPtcJob", False),
                feedback=w.get("feedback"),
                feedback_to_client=w.get("feedbackToClient"),
            )
            for w in c.get("workHistory", [])
        ],
    )


def _preseed_application(sim: Simulator, spec: dict[str, Any], now: float) -> None:
    """An application that already reached a terminal state before the world started."""
    account = sim.accounts[spec["apiKey"]]
    job = sim.catalogue.resolve(spec["jobId"])
    assert job is not None  # _check_references made sure
    sim.adopt_finished(
        account,
        job,
        queue_id=spec["queueId"],
        cover_letter=spec.get("coverLetter", ""),
        status=spec["status"],
        message=spec.get("errorMessage"),
        created_at=now - spec.get("createdSecondsAgo", 60),
        processed_at=now - spec.get("processedSecondsAgo", 10),
        finished_at=now - spec.get("appliedSecondsAgo", 0),
    )
