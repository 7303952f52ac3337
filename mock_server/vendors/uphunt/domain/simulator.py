"""The simulated UpHunt service: accounts, the apply pipeline, the worker, the outbox.

HTTP handlers call the public methods here and render what they return;
scenarios hook in through :attr:`Simulator.outcome_hooks` (where the worker
decides an outcome) and :attr:`Simulator.event_listeners` (webhooks).
All time comes from ``self.clock``; all future work is an event on
``self.scheduler``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mock_server.core.clock import Clock, now_ms
from mock_server.core.scheduler import Scheduler

from .accounts import Account
from .agency import Agency, Freelancer, Profile, default_business_developer
from .applications import (
    ALL_STATES,
    APPLIED,
    FAILED,
    LOGGED_OUT,
    NOT_AVAILABLE,
    NOT_ELIGIBLE,
    NOT_ENOUGH_CONNECTS,
    PROCESSING,
    Application,
)
from .catalogue import Catalogue, Job
from .errors import DomainError, not_found, unprocessable
from .latency import LatencyModel
from .ratelimit import RateLimiter

Outcome = tuple[str, str | None]
OutcomeHook = Callable[[Application, "Simulator"], Outcome | None]


@dataclass(slots=True)
class Settings:
    """Behaviour knobs a world file may set."""

    pacing_seconds: float = 5.0  # same-agency pickups at least this far apart; 0 disables
    failure_rate: float = 0.0  # seeded share of submissions that end in `failed`
    reconnect_seconds: float = 60.0  # how long a logged-out business developer stays out
    latency: LatencyModel = field(default_factory=LatencyModel)


@dataclass(slots=True)
class ApplyRequest:
    """A validated apply body, in domain terms."""

    job_ref: str
    cover_letter: str
    profile_id: str | None = None
    hourly_rate: float | None = None
    fixed_bid: float | None = None
    timeline: str | None = None
    boost_bids: int = 0
    auto_fill_other_questions: bool = False
    question_answers: tuple[dict[str, Any], ...] = ()


@dataclass(slots=True)
class TerminalEvent:
    """An application reached a terminal state: what the webhook outbox carries."""

    event_id: str
    type: str  # application.applied | application.failed
    created_at_ms: int
    api_key: str
    application: Application

    @property
    def subject(self) -> dict[str, str | None]:
        """What a scenario's webhook rule can match on (its ``match`` keys)."""
        return {"jobId": self.application.job_id, "queueId": self.application.queue_id, "apiKey": self.api_key}

    def log_fields(self) -> dict[str, Any]:
        return {"queueId": self.application.queue_id}

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "type": self.type,
            "createdAt": self.created_at_ms,
            "data": self.application.status_record(),
        }


class Simulator:
    """All state of one simulated UpHunt service, for one process."""

    def __init__(
        self,
        *,
        clock: Clock,
        accounts: list[Account],
        agencies: list[Agency],
        catalogue: Catalogue,
        settings: Settings | None = None,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.scheduler = Scheduler(clock)
        self.settings = settings or Settings()
        self.accounts: dict[str, Account] = {a.api_key: a for a in accounts}
        self.legacy_keys: dict[str, str] = {k: a.api_key for a in accounts for k in a.legacy_keys}
        self.agencies: dict[str, Agency] = {a.id: a for a in agencies}
        self.catalogue = catalogue
        self.seed = seed
        self.applications: dict[str, Application] = {}
        self._by_account: dict[str, list[Application]] = {}
        self._latest: dict[tuple[str, str], Application] = {}
        self._ids = random.Random(seed)
        self._latency_rng = random.Random(seed + 1)
        self._outcome_rng = random.Random(seed + 2)
        self._seq = 0
        self.waiting = 0  # queued, not yet picked up
        self.processing = 0  # not yet terminal
        self.outbox: list[TerminalEvent] = []
        self.outcome_hooks: list[OutcomeHook] = []
        self.event_listeners: list[Callable[[TerminalEvent], None]] = []
        self.rate_limiter: RateLimiter | None = None  # per-key windows; set by World.build, rebuilt on reset
        # Bound once: every application's two events share them (no closure per event to keep alive).
        self._pickup_event = self._pickup
        self._complete_event = self._complete

    # ── accounts ────────────────────────────────────────────────────────

    def authenticate(self, api_key: str | None) -> Account | None:
        return self.accounts.get(api_key) if api_key else None

    def authenticate_legacy(self, bearer: str | None) -> Account | None:
        """A retired v1 `up_` Bearer key, accepted on /api/v1/* only."""
        key = self.legacy_keys.get(bearer) if bearer else None
        return self.accounts.get(key) if key else None

    def agency_of(self, account: Account) -> Agency:
        return self.agencies[account.agency_id]

    def ensure_agency(self, agency_id: str, connects: int = 0) -> Agency:
        """The agency ``agency_id``; a new one starts with a business developer and a default profile."""
        agency = self.agencies.get(agency_id)
        if agency is None:
            agency = Agency(id=agency_id, connects=connects, freelancers=[default_business_developer(agency_id)])
            self.agencies[agency_id] = agency
        return agency

    # ── apply ───────────────────────────────────────────────────────────

    def apply(self, account: Account, req: ApplyRequest) -> Application:
        """Queue a proposal: 422 -> 404 -> 409 -> 402 checks, then reserve a credit.

        Nothing changes unless every check passes (How Auto-Apply Works: "no credit is touched").
        """
        now = self.clock.now()
        agency = self.agency_of(account)
        if req.profile_id is not None:
            chosen = agency.find_profile(req.profile_id)
            if chosen is None:
                raise unprocessable(
                    f"profileId {req.profile_id!r} is not a profile of agency {agency.id}; "
                    "list valid ids with GET /api/auto-apply-v2/freelancers",
                    field="profileId",
                )
        else:
            chosen = agency.default_profile()
            if chosen is None:
                raise unprocessable(f"agency {agency.id} has no freelancer profile to apply with", field="profileId")
        job = self.catalogue.resolve(req.job_ref)
        if job is None:
            raise not_found(
                f"Job not found: {req.job_ref!r}. Verify the jobId is correct and the job has been scraped."
            )
        latest = self._latest.get((account.api_key, job.id))
        if latest is not None and latest.status in (PROCESSING, APPLIED):
            raise DomainError(
                "conflict",
                "Already applied to this job or application is already processing",
                queueId=latest.queue_id,
                applicationStatus=latest.status,
            )
        if not account.ledger.reserve():
            raise DomainError(
                "insufficient_credits",
                "Insufficient auto-apply credits",
                creditsRemaining=account.ledger.available,
                needsCredits=True,
            )
        pickup_at = self._plan_pickup(agency, now)
        self._seq += 1
        app = self._new_application(
            queue_id=f"queue_{self._ids.getrandbits(80):020x}",
            account=account,
            job=job,
            chosen=chosen,
            req=req,
            created_at=now,
            pickup_at=pickup_at,
            completes_at=pickup_at + self.settings.latency.submission_time(self._latency_rng),
        )
        self.applications[app.queue_id] = app
        self._by_account.setdefault(account.api_key, []).append(app)
        self._latest[(account.api_key, job.id)] = app
        self.waiting += 1
        self.processing += 1
        self.scheduler.at(pickup_at, self._pickup_event, "pickup", app)
        self.scheduler.at(app.completes_at, self._complete_event, "complete", app)
        return app

    def _new_application(
        self,
        *,
        queue_id: str,
        account: Account,
        job: Job,
        chosen: tuple[Freelancer, Profile],
        req: ApplyRequest,
        created_at: float,
        pickup_at: float,
        completes_at: float,
    ) -> Application:
        """The queue record of ``req``: what the worker will submit (bid, timeline) and when."""
        freelancer, profile = chosen
        bid_kind, requested = ("hourlyRate", req.hourly_rate) if job.is_hourly else ("fixedBid", req.fixed_bid)
        return Application(
            queue_id=queue_id,
            api_key=account.api_key,
            agency_id=account.agency_id,
            job_id=job.ciphertext,
            job_title=job.title,
            job_type=job.type,
            processed_job_id=job.processed_job_id,
            profile_id=profile.id,
            freelancer_id=freelancer.id,
            cover_letter=req.cover_letter,
            bid_kind=bid_kind,
            bid_amount=float(requested if requested is not None else profile.hourly_rate),
            bid_source="request" if requested is not None else "profileDefault",
            timeline=req.timeline if req.timeline is not None else job.duration,
            boost_bids=req.boost_bids,
            auto_fill_other_questions=req.auto_fill_other_questions,
            question_answers=req.question_answers,
            created_at=created_at,
            pickup_at=pickup_at,
            completes_at=completes_at,
            seq=self._seq,
        )

    def _plan_pickup(self, agency: Agency, now: float) -> float:
        delay = self.settings.latency.pickup_delay(self._latency_rng, self.waiting)
        pickup_at = max(now + delay, agency.next_pickup_slot)
        if self.settings.pacing_seconds > 0:
            agency.next_pickup_slot = pickup_at + self.settings.pacing_seconds
        return pickup_at

    # ── the worker ──────────────────────────────────────────────────────

    def _pickup(self, app: Application) -> None:
        self.waiting -= 1
        if not app.is_terminal:
            app.processed_at = self.clock.now()

    def _complete(self, app: Application) -> None:
        if app.is_terminal:
            return
        status, message = self.decide_outcome(app)
        self.finish(app, status, message)

    def decide_outcome(self, app: Application) -> Outcome:
        """What Upwork answers at submission time; scenario hooks may force it."""
        for hook in self.outcome_hooks:
            forced = hook(app, self)
            if forced is not None:
                return forced
        now = self.clock.now()
        agency = self.agencies[app.agency_id]
        job = self.catalogue.resolve(app.job_id)
        assert job is not None
        if not job.is_open(now):
            return NOT_AVAILABLE, f"Job {job.ciphertext} was closed or removed before the proposal was submitted"
        found = agency.find_profile(app.profile_id)
        if found is not None:
            reasons = job.requirements.failures(found[0].country, found[0].job_success_score)
            if reasons:
                return NOT_ELIGIBLE, "Upwork rejected the proposal: " + "; ".join(reasons)
        needed = job.connects_cost + app.boost_bids
        if agency.connects < needed:
            return (
                NOT_ENOUGH_CONNECTS,
                f"Agency has {agency.connects} Connects; this job needs {needed} "
                f"({job.connects_cost} + {app.boost_bids} boost)",
            )
        # docs/decisions.md "Outcome order": closed -> eligibility -> Connects -> logged out -> failureRate
        if agency.is_logged_out(now):
            return LOGGED_OUT, "Business developer session was invalidated; UpHunt is reconnecting. Retry shortly."
        if self.settings.failure_rate > 0 and self._outcome_rng.random() < self.settings.failure_rate:
            return FAILED, "Page timeout while submitting the proposal"
        return APPLIED, None

    def finish(self, app: Application, status: str, message: str | None = None) -> None:
        """Move an application to its terminal state and settle its credit and Connects."""
        now = self.clock.now()
        if app.processed_at is None:
            app.processed_at = now
        app.finish(status, now, message)
        self.processing -= 1
        account = self.accounts.get(app.api_key)
        if status == APPLIED:
            agency = self.agencies[app.agency_id]
            job = self.catalogue.resolve(app.job_id)
            cost = (job.connects_cost if job else 0) + app.boost_bids
            app.connects_spent = min(cost, agency.connects)
            agency.connects -= app.connects_spent
            if account is not None:
                account.ledger.spend()
        else:
            if status == LOGGED_OUT:
                agency = self.agencies[app.agency_id]
                # A session broken "until noticed" (world `loggedOut: true`, logged_out_until = inf) or not
                # broken at all (a forced outcome): UpHunt notices now and reconnects after reconnectSeconds.
                if not agency.is_logged_out(now) or agency.logged_out_until == float("inf"):
                    agency.logged_out_until = now + self.settings.reconnect_seconds
            if account is not None:
                account.ledger.release()
        event = TerminalEvent(
            event_id=f"evt_{self._ids.getrandbits(96):024x}",
            type="application.applied" if status == APPLIED else "application.failed",
            created_at_ms=now_ms(self.clock),
            api_key=app.api_key,
            application=app,
        )
        self.outbox.append(event)
        for listener in self.event_listeners:
            listener(event)

    def adopt_finished(
        self,
        account: Account,
        job: Job,
        *,
        queue_id: str,
        cover_letter: str,
        status: str,
        message: str | None,
        created_at: float,
        processed_at: float,
        finished_at: float,
    ) -> Application:
        """Insert an application that ended before the world started (world files' `applications`).

        It was made with the business developer's default profile and bid. Its credit
        is accounted as granted and settled (spent if applied), so the ledger
        invariant holds from the first instant.
        """
        chosen = self.agency_of(account).default_profile()
        if chosen is None:
            raise ValueError(f"application {queue_id}: agency {account.agency_id} has no profile to have applied with")
        req = ApplyRequest(job_ref=job.ciphertext, cover_letter=cover_letter)
        app = self._new_application(
            queue_id=queue_id,
            account=account,
            job=job,
            chosen=chosen,
            req=req,
            created_at=created_at,
            pickup_at=processed_at,
            completes_at=finished_at,
        )
        app.processed_at = processed_at
        account.ledger.granted += 1
        account.ledger.available += 1
        account.ledger.reserve()
        app.finish(status, app.completes_at, message)
        if status == APPLIED:
            account.ledger.spend()
        else:
            account.ledger.release()
        self._seq += 1
        app.seq = self._seq
        self.applications[app.queue_id] = app
        # World files list these in any order: keep the account's list in creation order (listings are
        # newest first) and "latest for the job" the newest one, not the last one in the file.
        apps = self._by_account.setdefault(account.api_key, [])
        apps.append(app)
        apps.sort(key=lambda a: (a.created_at, a.seq))
        latest = self._latest.get((account.api_key, job.id))
        if latest is None or (latest.created_at, latest.seq) < (app.created_at, app.seq):
            self._latest[(account.api_key, job.id)] = app
        return app

    # ── reads ───────────────────────────────────────────────────────────

    def status(self, account: Account, queue_id: str | None = None, job_ref: str | None = None) -> Application:
        if queue_id is not None:
            app = self.applications.get(queue_id)
            if app is None or app.api_key != account.api_key:
                raise not_found("Application not found")
            return app
        job = self.catalogue.resolve(job_ref or "")
        app = self._latest.get((account.api_key, job.id)) if job else None
        if app is None:
            raise not_found("Application not found")
        return app

    def applied_jobs(
        self, account: Account, limit: int = 20, offset: int = 0, status: str | None = None
    ) -> tuple[list[Application], int]:
        """Newest first (creation order reversed); stable under concurrent applies."""
        if status is not None and status not in ALL_STATES:
            raise unprocessable(f"unknown status {status!r}", field="status")
        apps = self._by_account.get(account.api_key, [])
        rows = [a for a in reversed(apps) if status is None or a.status == status]
        return rows[offset : offset + limit], len(rows)

    def job(self, cipher: str) -> Job:
        job = self.catalogue.by_cipher(cipher)
        if job is None:
            raise not_found(f"No archived job with ciphertext {cipher!r}")
        return job

    # ── time ────────────────────────────────────────────────────────────

    def settle(self, max_seconds: float = 86_400.0) -> float:
        """Manual clock: advance event by event until nothing is processing. Returns seconds advanced."""
        start = self.clock.now()
        while self.processing > 0:
            due = self.scheduler.next_due()
            if due is None or due - start > max_seconds:
                break
            self.scheduler.advance(max(0.0, due - self.clock.now()))
        return self.clock.now() - start

    def states_count(self) -> dict[str, int]:
        counts = dict.fromkeys(ALL_STATES, 0)
        for app in self.applications.values():
            counts[app.status] += 1
        return counts


__all__ = [
    "ApplyRequest",
    "Settings",
    "Simulator",
    "TerminalEvent",
    "NOT_AVAILABLE",
    "NOT_ELIGIBLE",
    "NOT_ENOUGH_CONNECTS",
]
