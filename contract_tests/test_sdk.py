"""The official `uphunt` SDK (pinned 0.1.0) end to end against the mock over a socket.

Every public method, and `UpHuntError.status_code` for 400, 401, 402, 404, 409, 422 and 429
(429 by exhausting a small listFreelancers limit configured in the world).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version

import httpx
import pytest
from uphunt import UpHunt, UpHuntError

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread
from mock_server.vendors.uphunt.world import World, merge_worlds

DEMO = "sk_uphunt_demo_key"
JOB = "~022053140178050136031"
FREELANCER_LIMIT = 3


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    world = merge_worlds(
        World.default().data, {"settings": {"rateLimits": {"listFreelancers": {"minute": FREELANCER_LIMIT}}}}
    )
    with ServerThread(create_app(Runtime(World(world), clock="manual"))) as srv:
        yield srv


@pytest.fixture
def client(server: ServerThread) -> Iterator[UpHunt]:
    assert httpx.post(f"{server.base_url}/_mock/reset", timeout=10).status_code == 200
    with UpHunt(api_key=DEMO, base_url=server.base_url) as c:
        yield c


def error_of(call) -> UpHuntError:
    with pytest.raises(UpHuntError) as caught:
        call()
    return caught.value


def test_sdk_is_the_pinned_release() -> None:
    assert version("uphunt") == "0.1.0"


def test_apply_status_and_applied_jobs(client: UpHunt, server: ServerThread) -> None:
    queued = client.apply(
        job_id=JOB,
        cover_letter="Hi! I have shipped five FastAPI backends.",
        profile_id="1800000000000000003",
        proposal={"hourlyRate": 70, "timeline": "1 to 3 months", "boostBids": 2},
        auto_fill_other_questions=True,
        question_answers=[{"question": "Availability?", "answer": "Full time"}],
    )
    assert queued["applicationStatus"] == "processing" and queued["jobId"] == JOB
    assert queued["creditsRemaining"] == 99
    assert client.status(queue_id=queued["queueId"])["applicationStatus"] == "processing"
    httpx.post(f"{server.base_url}/_mock/clock/advance", json={"seconds": 600}, timeout=10).raise_for_status()
    done = client.status(job_id=JOB)
    assert done["queueId"] == queued["queueId"]
    assert done["applicationStatus"] == "applied" and done["appliedAt"] is not None and done["errorMessage"] is None
    page = client.applied_jobs(limit=1, offset=0, status="applied")
    assert page["total"] == 2 and page["limit"] == 1 and page["hasMore"] is True  # + the world's queue_abc123
    row = page["jobs"][0]
    assert row["queueId"] == queued["queueId"]
    assert row["bid"] == {"kind": "hourlyRate", "amount": 70, "source": "request"}
    assert row["profileId"] == "1800000000000000003" and row["boostBids"] == 2


def test_generate_proposal_feeds_apply(client: UpHunt) -> None:
    gen = client.generate_proposal(job_id=JOB, reasoning_effort="high", feed_id="feed_1")
    assert gen["jobId"] == JOB and gen["reasoningEffort"] == "high" and gen["model"] == "uphunt-mock-template"
    assert gen["wordCount"] == len(gen["proposal"].split()) > 0
    free = client.generate_proposal(job_title="Build a dashboard", job_description="Charts and filters.")
    assert free["jobId"] is None and free["jobTitle"] == "Build a dashboard" and free["reasoningEffort"] == "medium"
    assert client.apply(job_id=JOB, cover_letter=gen["proposal"])["applicationStatus"] == "processing"


def test_freelancers_and_data_reads(client: UpHunt) -> None:
    agency = client.freelancers()
    assert agency["agencyId"] == "agency_demo"
    assert [p["id"] for p in agency["freelancers"][1]["profiles"]][:1] == ["1800000000000000002"]
    job = client.get_job("~022052895097657407455")
    info = job["jobDetailsResponse"]["data"]["jobPubDetails"]["opening"]["job"]["info"]
    assert (job["ciphertext"], info["type"], info["title"]) == (
        "~022052895097657407455",
        "FIXED",
        "LONG-TERM! Only Experienced Video Editor",
    )
    company = client.get_client_jobs("1991212616395436888")
    assert company["companyId"] == "1991212616395436888" and company["buyer"]["company"]["name"] == "Acme Inc."
    assert company["archivedJobIds"] == ["2040846723050472167"]


def test_error_status_codes(client: UpHunt, server: ServerThread) -> None:
    e400 = error_of(lambda: client.status())
    assert (e400.status_code, str(e400)) == (400, "Provide either queueId or jobId")
    with UpHunt(api_key="sk_uphunt_wrong", base_url=server.base_url) as bad:
        e401 = error_of(bad.freelancers)
    assert e401.status_code == 401 and "Invalid API key" in str(e401)
    with UpHunt(api_key="sk_uphunt_no_credits_key", base_url=server.base_url) as broke:
        e402 = error_of(lambda: broke.apply(job_id=JOB, cover_letter="Hi"))
    assert e402.status_code == 402 and e402.body == {
        "error": "Insufficient auto-apply credits",
        "creditsRemaining": 0,
        "needsCredits": True,
    }
    e404 = error_of(lambda: client.get_job("~020000000000000000000"))
    assert e404.status_code == 404 and e404.body["error"] == "not_found"
    first = client.apply(job_id=JOB, cover_letter="Hi")
    e409 = error_of(lambda: client.apply(job_id=f"https://www.upwork.com/jobs/{JOB}", cover_letter="again"))
    assert e409.status_code == 409 and e409.body["queueId"] == first["queueId"]
    e422 = error_of(lambda: client.apply(job_id=JOB, cover_letter="Hi", proposal={"timeline": "soon"}))
    assert e422.status_code == 422 and "timeline" in str(e422)


def test_rate_limit_429(client: UpHunt) -> None:
    for _ in range(FREELANCER_LIMIT):
        client.freelancers()
    e429 = error_of(client.freelancers)
    assert e429.status_code == 429
    assert e429.body["limit"] == FREELANCER_LIMIT and e429.body["window"] == "minute" and e429.body["retryAfter"] >= 1
