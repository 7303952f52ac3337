"""GET /status and GET /applied-jobs (issue 3): lookups, 400/404 edges, pagination, filter, order."""

from __future__ import annotations

import pytest
from conftest import APPLIED_JOBS, DEMO, NO_RATE_LIMITS, SECOND_KEY, STATUS, world_with
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime

SECOND = {"x-api-key": SECOND_KEY}
JOBS = [
    "~022053140178050136031",  # hourly, applied
    "~022052895097657407455",  # fixed, applied
    "~022055000000000000001",  # not_eligible
    "~022040846723050472167",  # closed -> not_available
    "~022055000000000000003",  # fixed, applied
]


@pytest.fixture
def rt() -> Runtime:
    return Runtime(world_with(NO_RATE_LIMITS), clock="manual")


@pytest.fixture
def http(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt), raise_server_exceptions=False)


def apply(http: TestClient, job: str, headers: dict[str, str] = DEMO) -> str:
    r = http.post("/api/auto-apply-v2/apply", headers=headers, json={"jobId": job, "coverLetter": "Hi"})
    assert r.status_code == 200, r.text
    return r.json()["queueId"]


# ── status ─────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Provide either queueId or jobId"),
        ({"queueId": "queue_abc123", "jobId": "~01abc123def456"}, "Provide either queueId or jobId, not both"),
    ],
)
def test_both_or_neither_id_is_400(http, query, message):
    r = http.get(STATUS, headers=DEMO, params=query)
    assert (r.status_code, r.json()) == (400, {"error": message})


def test_status_by_queue_id_answers_the_docs_example(http):
    r = http.get(STATUS, headers=DEMO, params={"queueId": "queue_abc123"})
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "jobId": "~01abc123def456",
        "processedJobId": "6f1c2a9e-3b7d-4c1a-9e2f-1a2b3c4d5e6f",
        "applicationStatus": "applied",
        "applicationStatusMessage": "Successfully applied via auto-apply",
        "queueId": "queue_abc123",
        "appliedAt": body["appliedAt"],
        "processedAt": body["appliedAt"] - 10_000,  # as in the docs: processed 10 s before applied
        "errorMessage": None,
    }


def test_other_accounts_queue_id_is_404(http):
    qid = apply(http, JOBS[0])
    r = http.get(STATUS, headers=SECOND, params={"queueId": qid})
    assert (r.status_code, r.json()) == (404, {"error": "Application not found"})
    r = http.get(STATUS, headers=SECOND, params={"queueId": "queue_abc123"})
    assert (r.status_code, r.json()) == (404, {"error": "Application not found"})
    assert http.get(STATUS, headers=DEMO, params={"queueId": qid}).status_code == 200


def test_status_by_job_id_returns_the_latest_application(rt, http):
    first = apply(http, JOBS[2])
    rt.settle()
    assert http.get(STATUS, headers=DEMO, params={"jobId": JOBS[2]}).json()["queueId"] == first
    second = apply(http, JOBS[2])  # allowed: the first ended not_eligible
    for ref in (JOBS[2], "7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918", f"https://www.upwork.com/jobs/{JOBS[2]}"):
        body = http.get(STATUS, headers=DEMO, params={"jobId": ref}).json()
        assert (body["queueId"], body["applicationStatus"]) == (second, "processing"), ref
    # the older one is still there by queueId, unchanged
    assert http.get(STATUS, headers=DEMO, params={"queueId": first}).json()["applicationStatus"] == "not_eligible"


def test_status_by_job_id_is_per_account(http):
    apply(http, JOBS[0])
    r = http.get(STATUS, headers=SECOND, params={"jobId": JOBS[0]})
    assert (r.status_code, r.json()) == (404, {"error": "Application not found"})


# ── applied-jobs ───────────────────────────────────────────────────────────


def listing(http: TestClient, headers: dict[str, str] = DEMO, **params: object) -> dict:
    r = http.get(APPLIED_JOBS, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_defaults_newest_first_with_the_preseeded_application_last(rt, http):
    queued = [apply(http, j) for j in JOBS]
    body = listing(http)
    assert (body["total"], body["limit"], body["offset"], body["hasMore"]) == (6, 20, 0, False)
    assert [row["queueId"] for row in body["jobs"]] == [*reversed(queued), "queue_abc123"]


def test_limit_offset_and_has_more_walk_every_row_once(rt, http):
    queued = [apply(http, j) for j in JOBS]
    expected = [*reversed(queued), "queue_abc123"]
    seen, offset, pages = [], 0, 0
    while pages < 10:
        body = listing(http, limit=4, offset=offset)
        assert (body["total"], body["limit"], body["offset"]) == (6, 4, offset)
        seen += [row["queueId"] for row in body["jobs"]]
        pages += 1
        if not body["hasMore"]:
            break
        offset += 4
    assert pages == 2
    assert seen == expected
    past_the_end = listing(http, limit=4, offset=100)
    assert (past_the_end["jobs"], past_the_end["total"], past_the_end["hasMore"]) == ([], 6, False)


def test_order_is_stable_while_states_change(rt, http):
    queued = [apply(http, j) for j in JOBS]
    before = [row["queueId"] for row in listing(http)["jobs"]]
    rt.settle()
    after = [row["queueId"] for row in listing(http)["jobs"]]
    assert before == after == [*reversed(queued), "queue_abc123"]


def test_status_filter(rt, http):
    queued = {j: apply(http, j) for j in JOBS}
    processing = listing(http, status="processing")
    assert processing["total"] == 5
    rt.settle()
    applied = listing(http, status="applied")
    assert [r["queueId"] for r in applied["jobs"]] == [
        queued[JOBS[4]],
        queued[JOBS[1]],
        queued[JOBS[0]],
        "queue_abc123",
    ]
    assert all(r["applicationStatus"] == "applied" for r in applied["jobs"])
    assert [r["queueId"] for r in listing(http, status="not_eligible")["jobs"]] == [queued[JOBS[2]]]
    assert [r["queueId"] for r in listing(http, status="not_available")["jobs"]] == [queued[JOBS[3]]]
    empty = listing(http, status="logged_out")
    assert (empty["jobs"], empty["total"], empty["hasMore"]) == ([], 0, False)
    page = listing(http, status="applied", limit=3, offset=1)
    assert ([r["queueId"] for r in page["jobs"]], page["hasMore"]) == (
        [queued[JOBS[1]], queued[JOBS[0]], "queue_abc123"],
        False,
    )
    page = listing(http, status="applied", limit=2, offset=1)
    assert page["hasMore"] is True


def test_rows_carry_the_status_record_and_what_was_submitted(rt, http):
    qid = apply(http, JOBS[0])
    row = listing(http, limit=1)["jobs"][0]
    status = http.get(STATUS, headers=DEMO, params={"queueId": qid}).json()
    assert {k: row[k] for k in status} == status
    assert set(row) - set(status) == {
        "createdAt",
        "jobTitle",
        "jobType",
        "profileId",
        "coverLetter",
        "bid",
        "timeline",
        "boostBids",
        "connectsSpent",
    }


def test_listing_is_per_account(http):
    apply(http, JOBS[0])
    apply(http, JOBS[1], SECOND)
    second = listing(http, SECOND)
    assert (second["total"], [r["jobId"] for r in second["jobs"]]) == (1, [JOBS[1]])


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        ({"limit": 0}, 422, {"error": "parameter limit: 0 is less than the minimum of 1", "field": "limit"}),
        ({"limit": 101}, 422, {"error": "parameter limit: 101 is greater than the maximum of 100", "field": "limit"}),
        ({"offset": -1}, 422, {"error": "parameter offset: -1 is less than the minimum of 0", "field": "offset"}),
        ({"limit": "ten"}, 400, {"error": "query parameter limit must be an integer, got 'ten'", "field": "limit"}),
        (
            {"status": "done"},
            422,
            {
                "error": 'parameter status: "done" is not one of "processing", "applied", "failed", "not_available", '
                '"not_eligible", "not_enough_connects", "logged_out"',
                "field": "status",
            },
        ),
    ],
)
def test_bad_listing_parameters(http, params, status, body):
    r = http.get(APPLIED_JOBS, headers=DEMO, params=params)
    assert (r.status_code, r.json()) == (status, body)
