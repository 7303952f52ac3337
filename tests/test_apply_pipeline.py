"""The apply pipeline through HTTP on the manual clock (issue 3): resolution, 402/409, every
terminal state from world data, credits, Connects, bids, timestamps and the outbox."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import APPLIED_JOBS, APPLY, DEMO_KEY, LOW_CONNECTS_KEY, NO_CREDITS_KEY, SECOND_KEY, STATUS, world_with
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH
from mock_server.core.runtime import Runtime

EPOCH_MS = int(DEFAULT_MANUAL_EPOCH * 1000)
FASTAPI_JOB = "~022053140178050136031"  # hourly, 18 Connects, open
VIDEO_JOB = "~022052895097657407455"  # fixed price, 12 Connects, open
CSV_JOB = "~022055000000000000003"  # fixed price, alias ~01abc
NOT_ELIGIBLE_JOB = "~022055000000000000001"  # AUS only, JSS 99+
CLOSES_IN_30S_JOB = "~022055000000000000002"
CLOSED_JOB = "~022040846723050472167"
# Every stage takes exactly its median: pickup 3 s, submission 40 s.
FIXED_LATENCY = {"latency": {"pickup": {"median": 3, "p95": 3}, "submission": {"median": 40, "p95": 40}}}


class Api:
    """Thin helpers over a TestClient: one line per call in the tests."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.http = TestClient(create_app(runtime), raise_server_exceptions=False)

    def apply(self, key: str = DEMO_KEY, job: str = FASTAPI_JOB, **extra: Any):
        return self.http.post(APPLY, headers={"x-api-key": key}, json={"jobId": job, "coverLetter": "Hello!", **extra})

    def queue(self, key: str = DEMO_KEY, job: str = FASTAPI_JOB, **extra: Any) -> str:
        r = self.apply(key, job, **extra)
        assert r.status_code == 200, r.text
        return r.json()["queueId"]

    def status(self, key: str = DEMO_KEY, **params: str) -> dict[str, Any]:
        r = self.http.get(STATUS, headers={"x-api-key": key}, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    def credits(self, key: str = DEMO_KEY) -> dict[str, int]:
        return self.http.get(f"/_mock/accounts/{key}").json()["credits"]

    def connects(self, key: str = DEMO_KEY) -> int:
        return self.http.get(f"/_mock/accounts/{key}").json()["connects"]

    def advance(self, seconds: float) -> dict[str, Any]:
        r = self.http.post("/_mock/clock/advance", json={"seconds": seconds})
        assert r.status_code == 200, r.text
        return r.json()

    def settle(self) -> None:
        self.rt.settle()

    def row(self, queue_id: str, key: str = DEMO_KEY) -> dict[str, Any]:
        rows = self.http.get(APPLIED_JOBS, headers={"x-api-key": key}, params={"limit": 100}).json()["jobs"]
        return next(r for r in rows if r["queueId"] == queue_id)


def make_api(overlay: dict[str, Any] | None = None) -> Api:
    """The default world with ``overlay`` merged over it, rate limits off, on the manual clock."""
    overlay = dict(overlay or {})
    settings = {"rateLimits": {"enabled": False}, **overlay.get("settings", {})}
    return Api(Runtime(world_with({**overlay, "settings": settings}), clock="manual"))


@pytest.fixture
def api() -> Api:
    return make_api()


# ── job resolution ─────────────────────────────────────────────────────────


def test_every_form_of_a_job_id_resolves_to_the_same_job_and_409s_across_forms(api):
    # ~01abc123def456 (the status page's job) has the alias ~022000000000000000001 and a fixed processed UUID
    first = api.apply(SECOND_KEY, "~01abc123def456")
    assert first.status_code == 200
    queued = first.json()
    assert queued == {
        "queueId": queued["queueId"],
        "jobId": "~01abc123def456",
        "processedJobId": "6f1c2a9e-3b7d-4c1a-9e2f-1a2b3c4d5e6f",
        "applicationStatus": "processing",
        "creditsRemaining": 24,
    }
    assert queued["queueId"].startswith("queue_") and len(queued["queueId"]) == 26
    conflict = {
        "error": "Already applied to this job or application is already processing",
        "queueId": queued["queueId"],
        "applicationStatus": "processing",
    }
    for form in (
        "~022000000000000000001",
        "https://www.upwork.com/jobs/~022000000000000000001",
        "https://www.upwork.com/freelance-jobs/apply/React-dashboard_~01abc123def456/?referrer_url_path=%2Fnx%2Fsearch",
        "6f1c2a9e-3b7d-4c1a-9e2f-1a2b3c4d5e6f",
        "6F1C2A9E-3B7D-4C1A-9E2F-1A2B3C4D5E6F",
        " ~01abc123def456 ",
    ):
        r = api.apply(SECOND_KEY, form)
        assert (r.status_code, r.json()) == (409, conflict), form
        assert api.status(SECOND_KEY, jobId=form.strip())["queueId"] == queued["queueId"]
    assert api.credits(SECOND_KEY) == {"available": 24, "reserved": 1, "spent": 0, "granted": 25}


def test_sdk_docstring_alias_resolves(api):
    r = api.apply(job="~01abc")
    assert r.status_code == 200
    assert r.json()["jobId"] == CSV_JOB
    assert api.apply(job=CSV_JOB).status_code == 409


def test_the_docs_example_application_already_exists_as_applied(api):
    r = api.apply(job="~01abc123def456")
    assert (r.status_code, r.json()) == (
        409,
        {
            "error": "Already applied to this job or application is already processing",
            "queueId": "queue_abc123",
            "applicationStatus": "applied",
        },
    )


# ── 402 ────────────────────────────────────────────────────────────────────


def test_402_body_is_exact_and_touches_nothing(api):
    before = api.http.get("/_mock/state").json()["applications"]
    r = api.apply(NO_CREDITS_KEY)
    assert (r.status_code, r.json()) == (
        402,
        {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True},
    )
    assert api.credits(NO_CREDITS_KEY) == {"available": 0, "reserved": 0, "spent": 0, "granted": 0}
    assert api.http.get("/_mock/state").json()["applications"] == before
    assert api.rt.sim.scheduler.next_due() is None


def test_last_credit_then_402(api):
    api.http.put(f"/_mock/accounts/{SECOND_KEY}", json={"credits": 1})
    r = api.apply(SECOND_KEY, FASTAPI_JOB)
    assert (r.status_code, r.json()["creditsRemaining"]) == (200, 0)
    r = api.apply(SECOND_KEY, VIDEO_JOB)
    assert (r.status_code, r.json()) == (
        402,
        {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True},
    )
    # 409 is checked before 402 (decision 4)
    assert api.apply(SECOND_KEY, FASTAPI_JOB).status_code == 409


def test_failing_applies_touch_no_credit(api):
    before = api.credits()
    failing = [
        api.apply(job="~029999"),  # 404
        api.apply(profileId="1800000000000000010"),  # 422
        api.apply(proposal={"timeline": "soon"}),  # 422
        api.http.post(APPLY, headers={"x-api-key": DEMO_KEY}, json={"jobId": FASTAPI_JOB}),  # 400
        api.apply(job="~01abc123def456"),  # 409
    ]
    assert [r.status_code for r in failing] == [404, 422, 422, 400, 409]
    assert api.credits() == before == {"available": 100, "reserved": 0, "spent": 1, "granted": 101}


# ── 409 and re-apply ───────────────────────────────────────────────────────


def test_409_while_processing_and_after_applied(api):
    qid = api.queue()
    r = api.apply()
    assert (r.status_code, r.json()["queueId"], r.json()["applicationStatus"]) == (409, qid, "processing")
    api.settle()
    assert api.status(queueId=qid)["applicationStatus"] == "applied"
    r = api.apply()
    assert (r.status_code, r.json()["queueId"], r.json()["applicationStatus"]) == (409, qid, "applied")


# ── terminal states from world data ────────────────────────────────────────


def assert_refunded_terminal(api: Api, key: str, job: str, state: str, message: str) -> str:
    """Apply, settle, check the terminal record and the refund, then re-apply (allowed after a refunded state)."""
    before = api.credits(key)
    connects = api.connects(key)
    qid = api.queue(key, job)
    assert api.credits(key)["reserved"] == before["reserved"] + 1
    api.settle()
    record = api.status(key, queueId=qid)
    assert record["applicationStatus"] == state
    assert record["errorMessage"] == message
    assert record["appliedAt"] is None
    assert isinstance(record["processedAt"], int)
    assert api.credits(key) == before  # the reservation was released
    assert api.connects(key) == connects  # no Connects spent
    event = api.rt.sim.outbox[-1]
    assert (event.type, event.payload()["data"]) == ("application.failed", record)
    again = api.apply(key, job)
    assert again.status_code == 200, again.text
    assert again.json()["queueId"] != qid
    assert api.status(key, jobId=job)["queueId"] == again.json()["queueId"]  # jobId -> the latest
    return qid


def test_closed_job_ends_not_available(api):
    assert_refunded_terminal(
        api,
        DEMO_KEY,
        CLOSED_JOB,
        "not_available",
        f"Job {CLOSED_JOB} was closed or removed before the proposal was submitted",
    )


def test_job_closing_30s_after_start_ends_not_available(api):
    api.advance(31)
    assert_refunded_terminal(
        api,
        DEMO_KEY,
        CLOSES_IN_30S_JOB,
        "not_available",
        f"Job {CLOSES_IN_30S_JOB} was closed or removed before the proposal was submitted",
    )


def test_job_closing_while_the_worker_submits_ends_not_available():
    api = make_api({"settings": FIXED_LATENCY})  # submission at t+43 s, the job closes at t+30 s
    qid = api.queue(job=CLOSES_IN_30S_JOB)
    api.advance(29)
    assert api.status(queueId=qid)["applicationStatus"] == "processing"
    api.advance(14)
    assert api.status(queueId=qid)["applicationStatus"] == "not_available"


def test_profile_failing_the_requirements_ends_not_eligible(api):
    assert_refunded_terminal(
        api,
        DEMO_KEY,
        NOT_ELIGIBLE_JOB,
        "not_eligible",
        "Upwork rejected the proposal: freelancer location USA is not one of AUS",
    )


def test_profile_failing_two_requirements_names_both(api):
    qid = api.queue(job=NOT_ELIGIBLE_JOB, profileId="1800000000000000007")  # Linus: IND, JSS 85
    api.settle()
    assert api.status(queueId=qid)["errorMessage"] == (
        "Upwork rejected the proposal: freelancer location IND is not one of AUS; "
        "Job Success Score 85 is below the required 99"
    )


def test_agency_without_connects_ends_not_enough_connects(api):
    assert_refunded_terminal(
        api,
        LOW_CONNECTS_KEY,
        FASTAPI_JOB,
        "not_enough_connects",
        "Agency has 4 Connects; this job needs 18 (18 + 0 boost)",
    )


def test_boost_bids_count_towards_the_connects_needed(api):
    api.http.put(f"/_mock/accounts/{LOW_CONNECTS_KEY}", json={"connects": 20})
    qid = api.queue(LOW_CONNECTS_KEY, FASTAPI_JOB, proposal={"boostBids": 3})
    api.settle()
    record = api.status(LOW_CONNECTS_KEY, queueId=qid)
    assert record["applicationStatus"] == "not_enough_connects"
    assert record["errorMessage"] == "Agency has 20 Connects; this job needs 21 (18 + 3 boost)"
    assert api.connects(LOW_CONNECTS_KEY) == 20


LOGGED_OUT_WORLD = {
    "settings": {"reconnectSeconds": 300},
    "agencies": [
        {
            "id": "agency_logged_out",
            "connects": 100,
            "loggedOut": True,
            "freelancers": [
                {
                    "id": "~01bd9",
                    "name": "BD",
                    "isBusinessDeveloper": True,
                    "profiles": [{"id": "p9", "name": "General", "hourlyRate": 30, "isDefault": True}],
                }
            ],
        }
    ],
    "accounts": [{"apiKey": "sk_logged_out", "agencyId": "agency_logged_out", "credits": 5}],
}


def test_logged_out_business_developer_ends_logged_out_then_reconnects():
    api = make_api(LOGGED_OUT_WORLD)
    assert_refunded_terminal(
        api,
        "sk_logged_out",
        FASTAPI_JOB,
        "logged_out",
        "Business developer session was invalidated; UpHunt is reconnecting. Retry shortly.",
    )
    # the re-apply queued by the helper still falls in the 300 s reconnect window ...
    api.settle()
    assert api.status("sk_logged_out", jobId=FASTAPI_JOB)["applicationStatus"] == "logged_out"
    # ... once UpHunt has reconnected, the same job goes through
    api.advance(300)
    qid = api.queue("sk_logged_out", FASTAPI_JOB)
    api.settle()
    assert api.status("sk_logged_out", queueId=qid)["applicationStatus"] == "applied"


def test_logged_out_comes_after_closed_eligibility_and_connects():
    api = make_api(LOGGED_OUT_WORLD)
    api.http.put("/_mock/accounts/sk_logged_out", json={"connects": 10})
    queued = {job: api.queue("sk_logged_out", job) for job in (CLOSED_JOB, NOT_ELIGIBLE_JOB, FASTAPI_JOB, CSV_JOB)}
    api.settle()
    states = {job: api.status("sk_logged_out", queueId=q)["applicationStatus"] for job, q in queued.items()}
    # docs/decisions.md outcome order: closed -> eligibility -> Connects -> logged out
    assert states == {
        CLOSED_JOB: "not_available",
        NOT_ELIGIBLE_JOB: "not_eligible",
        FASTAPI_JOB: "not_enough_connects",  # 18 > 10
        CSV_JOB: "logged_out",  # 8 <= 10: only the session is in the way
    }


def test_failure_rate_one_ends_failed():
    api = make_api({"settings": {"failureRate": 1.0}})
    assert_refunded_terminal(api, DEMO_KEY, FASTAPI_JOB, "failed", "Page timeout while submitting the proposal")


def test_outcome_order_closed_before_eligibility_before_connects(api):
    # the low-Connects agency (4 Connects) applying to the closed job: not_available wins (docs/decisions.md)
    qid = api.queue(LOW_CONNECTS_KEY, CLOSED_JOB)
    # and to the not-eligible job (its BD is USA): not_eligible wins over not_enough_connects (20 needed)
    qid2 = api.queue(LOW_CONNECTS_KEY, NOT_ELIGIBLE_JOB)
    api.settle()
    assert api.status(LOW_CONNECTS_KEY, queueId=qid)["applicationStatus"] == "not_available"
    assert api.status(LOW_CONNECTS_KEY, queueId=qid2)["applicationStatus"] == "not_eligible"


# ── applied: credit spent, Connects deducted ───────────────────────────────


def test_applied_spends_the_credit_and_deducts_connects(api):
    r = api.apply(job=FASTAPI_JOB, proposal={"hourlyRate": 70, "boostBids": 5})
    assert r.json()["creditsRemaining"] == 99
    assert api.credits() == {"available": 99, "reserved": 1, "spent": 1, "granted": 101}
    qid = r.json()["queueId"]
    api.settle()
    record = api.status(queueId=qid)
    assert record["applicationStatus"] == "applied"
    assert record["applicationStatusMessage"] == "Successfully applied via auto-apply"
    assert record["errorMessage"] is None
    assert api.credits() == {"available": 99, "reserved": 0, "spent": 2, "granted": 101}
    assert api.connects() == 500 - 18 - 5
    assert api.row(qid)["connectsSpent"] == 23
    event = api.rt.sim.outbox[-1]
    assert event.type == "application.applied"
    assert event.payload() == {
        "id": event.event_id,
        "type": "application.applied",
        "createdAt": record["appliedAt"],
        "data": record,
    }


def test_connects_are_shared_by_the_accounts_of_one_agency(api):
    # sk_uphunt_no_credits_key belongs to agency_demo too: it sees the same balance
    qid = api.queue(job=VIDEO_JOB)
    api.settle()
    assert api.status(queueId=qid)["applicationStatus"] == "applied"
    assert api.connects() == api.connects(NO_CREDITS_KEY) == 500 - 12


# ── bids and profiles ──────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("job", "extra", "bid", "profile"),
    [
        # hourly job: hourlyRate is the bid
        (
            FASTAPI_JOB,
            {"proposal": {"hourlyRate": 65}},
            {"kind": "hourlyRate", "amount": 65.0, "source": "request"},
            "1800000000000000001",
        ),
        # hourly job, only a fixedBid: ignored, the profile's default rate is used
        (
            FASTAPI_JOB,
            {"proposal": {"fixedBid": 300}},
            {"kind": "hourlyRate", "amount": 45.0, "source": "profileDefault"},
            "1800000000000000001",
        ),
        # fixed job: fixedBid is the bid
        (
            VIDEO_JOB,
            {"proposal": {"fixedBid": 450}},
            {"kind": "fixedBid", "amount": 450.0, "source": "request"},
            "1800000000000000001",
        ),
        # fixed job with a chosen profile and no bid: that profile's default rate
        (
            VIDEO_JOB,
            {"profileId": "1800000000000000006"},
            {"kind": "fixedBid", "amount": 55.0, "source": "profileDefault"},
            "1800000000000000006",
        ),
        # hourly job, Ada's Python profile, explicit rate
        (
            FASTAPI_JOB,
            {"profileId": "1800000000000000003", "proposal": {"hourlyRate": 80.5}},
            {"kind": "hourlyRate", "amount": 80.5, "source": "request"},
            "1800000000000000003",
        ),
    ],
)
def test_bid_and_profile_are_recorded(api, job, extra, bid, profile):
    qid = api.queue(job=job, **extra)
    row = api.row(qid)
    assert (row["bid"], row["profileId"]) == (bid, profile)
    api.settle()
    row = api.row(qid)
    assert (row["applicationStatus"], row["bid"], row["profileId"]) == ("applied", bid, profile)


def test_submitted_fields_are_recorded(api):
    qid = api.queue(
        job=VIDEO_JOB,
        proposal={"fixedBid": 450, "timeline": "1 to 3 months", "boostBids": 2},
    )
    row = api.row(qid)
    assert row["coverLetter"] == "Hello!"
    assert row["timeline"] == "1 to 3 months"
    assert row["boostBids"] == 2
    assert row["jobTitle"] == "LONG-TERM! Only Experienced Video Editor"
    assert row["jobType"] == "FIXED"
    assert row["createdAt"] == EPOCH_MS
    # the timeline defaults to what the job post suggests
    row2 = api.row(api.queue(job=FASTAPI_JOB))
    assert row2["timeline"] == "3 to 6 months"


def test_profile_of_another_agency_is_refused_but_own_profiles_work(api):
    r = api.apply(SECOND_KEY, FASTAPI_JOB, profileId="1800000000000000002")  # Ada belongs to agency_demo
    assert r.status_code == 422
    assert r.json()["field"] == "profileId"
    assert api.apply(SECOND_KEY, FASTAPI_JOB, profileId="1800000000000000010").status_code == 200


# ── timestamps from the clock ──────────────────────────────────────────────


def test_processed_at_is_the_pickup_and_applied_at_the_completion_exactly():
    api = make_api({"settings": FIXED_LATENCY})
    api.advance(100)
    t0 = EPOCH_MS + 100_000
    qid = api.queue()
    assert api.row(qid)["createdAt"] == t0
    api.advance(2.999)
    record = api.status(queueId=qid)
    assert (record["applicationStatus"], record["processedAt"], record["appliedAt"]) == ("processing", None, None)
    api.advance(0.001)
    record = api.status(queueId=qid)
    assert (record["applicationStatus"], record["processedAt"], record["appliedAt"]) == ("processing", t0 + 3000, None)
    api.advance(39.999)
    assert api.status(queueId=qid)["applicationStatus"] == "processing"
    api.advance(0.001)
    record = api.status(queueId=qid)
    assert record == {
        "jobId": FASTAPI_JOB,
        "processedJobId": "0b5e6c7d-8f90-4a1b-b2c3-d4e5f6a7b8c9",
        "applicationStatus": "applied",
        "applicationStatusMessage": "Successfully applied via auto-apply",
        "queueId": qid,
        "appliedAt": t0 + 43_000,
        "processedAt": t0 + 3000,
        "errorMessage": None,
    }
    assert api.rt.sim.outbox[-1].created_at_ms == t0 + 43_000


def test_advance_past_everything_stamps_each_event_with_its_own_time():
    api = make_api({"settings": {**FIXED_LATENCY, "pacingSeconds": 0}})
    qid = api.queue()
    ran = api.advance(3600)
    assert ran["eventsRun"] == 2
    assert ran["now"] == EPOCH_MS + 3_600_000
    record = api.status(queueId=qid)
    assert (record["processedAt"], record["appliedAt"]) == (EPOCH_MS + 3000, EPOCH_MS + 43_000)


# ── terminal records never change ──────────────────────────────────────────


def test_terminal_records_never_change(api):
    done = api.queue(job=NOT_ELIGIBLE_JOB)
    applied = api.queue(job=VIDEO_JOB)
    api.settle()
    snapshot = {q: api.status(queueId=q) for q in (done, applied)}
    rows = {q: api.row(q) for q in (done, applied)}
    # more activity on the same account and the same jobs, and a lot of time
    api.queue(job=NOT_ELIGIBLE_JOB)
    api.http.put(f"/_mock/accounts/{DEMO_KEY}", json={"credits": 3, "connects": 0})
    api.queue(job=FASTAPI_JOB)
    api.advance(86_400)
    assert {q: api.status(queueId=q) for q in (done, applied)} == snapshot
    assert {q: api.row(q) for q in (done, applied)} == rows
    # the domain refuses an illegal transition outright
    from mock_server.vendors.uphunt.domain.applications import IllegalTransition

    with pytest.raises(IllegalTransition):
        api.rt.sim.applications[applied].finish("failed", 0.0)


# ── outbox ─────────────────────────────────────────────────────────────────


def test_every_terminal_transition_puts_one_event_in_the_outbox(api):
    queued = [api.queue(job=j) for j in (FASTAPI_JOB, VIDEO_JOB, NOT_ELIGIBLE_JOB, CLOSED_JOB)]
    assert api.rt.sim.outbox == []
    api.settle()
    events = {e.application.queue_id: e for e in api.rt.sim.outbox}
    assert set(events) == set(queued) and len(api.rt.sim.outbox) == 4
    assert [events[q].type for q in queued] == [
        "application.applied",
        "application.applied",
        "application.failed",
        "application.failed",
    ]
    assert len({e.event_id for e in events.values()}) == 4
    for q in queued:
        assert events[q].payload()["data"] == api.status(queueId=q)
        assert events[q].api_key == DEMO_KEY
