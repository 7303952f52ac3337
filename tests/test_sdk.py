"""The official `uphunt` SDK against a live mock on a free port (issues 2 and 3).

It sees `processing`, then (after POST /_mock/clock/advance on the manual clock) `applied`, and
every documented error surfaces as UpHuntError with the right status_code.
"""

from __future__ import annotations

import httpx
import pytest
from conftest import DEMO_KEY, NO_CREDITS_KEY, live_server
from uphunt import UpHunt, UpHuntError

from mock_server.core.runtime import Runtime

JOB = "~022053140178050136031"


@pytest.fixture(scope="module")
def base_url():
    with live_server(Runtime(clock="manual")) as base:
        yield base


@pytest.fixture
def sdk(base_url):
    with UpHunt(api_key=DEMO_KEY, base_url=base_url, timeout=10) as client:
        yield client


def advance(base_url: str, seconds: float) -> dict:
    r = httpx.post(f"{base_url}/_mock/clock/advance", json={"seconds": seconds}, timeout=10)
    assert r.status_code == 200
    return r.json()


def test_sdk_sees_processing_then_applied(sdk, base_url):
    queued = sdk.apply(
        job_id=JOB, cover_letter="Hi! I have shipped five FastAPI backends.", proposal={"hourlyRate": 65}
    )
    assert queued["applicationStatus"] == "processing"
    assert queued["jobId"] == JOB
    first = sdk.status(queue_id=queued["queueId"])
    assert (first["applicationStatus"], first["processedAt"], first["appliedAt"]) == ("processing", None, None)
    advance(base_url, 600)  # well past the slowest submission
    done = sdk.status(queue_id=queued["queueId"])
    assert done["applicationStatus"] == "applied"
    assert done["applicationStatusMessage"] == "Successfully applied via auto-apply"
    assert done["processedAt"] < done["appliedAt"]
    assert sdk.status(job_id=JOB)["queueId"] == queued["queueId"]
    listed = sdk.applied_jobs(limit=1, status="applied")
    assert listed["jobs"][0]["queueId"] == queued["queueId"]
    assert listed["jobs"][0]["bid"] == {"kind": "hourlyRate", "amount": 65.0, "source": "request"}


def test_sdk_with_a_chosen_profile(sdk, base_url):
    profile = sdk.freelancers()["freelancers"][1]["profiles"][1]["id"]  # Ada's Python profile
    queued = sdk.apply(
        job_id="~01abc",
        cover_letter="Hi",
        profile_id=profile,
        proposal={"fixedBid": 120, "timeline": "Less than 1 month"},
    )
    advance(base_url, 600)
    assert sdk.status(queue_id=queued["queueId"])["applicationStatus"] == "applied"
    row = next(r for r in sdk.applied_jobs(limit=100)["jobs"] if r["queueId"] == queued["queueId"])
    assert (row["profileId"], row["bid"]["amount"], row["timeline"]) == (profile, 120.0, "Less than 1 month")


def expect_error(status: int, call, *args, **kwargs) -> UpHuntError:
    with pytest.raises(UpHuntError) as err:
        call(*args, **kwargs)
    assert err.value.status_code == status
    assert isinstance(err.value.body, dict)
    assert str(err.value) == err.value.body["error"]
    return err.value


def test_sdk_errors_carry_the_status_code(sdk, base_url):
    # 400: neither queueId nor jobId / a required field empty
    assert expect_error(400, sdk.status).body == {"error": "Provide either queueId or jobId"}
    assert expect_error(400, sdk.apply, job_id=JOB, cover_letter="").body["field"] == "coverLetter"
    # 401: an unknown key
    with UpHunt(api_key="sk_uphunt_revoked", base_url=base_url, timeout=10) as stranger:
        body = expect_error(401, stranger.freelancers).body
    assert body == {"error": "Invalid API key: it was revoked or mistyped (check the x-api-key header)"}
    # 402: no credits
    with UpHunt(api_key=NO_CREDITS_KEY, base_url=base_url, timeout=10) as broke:
        body = expect_error(402, broke.apply, job_id="~022052895097657407455", cover_letter="Hi").body
    assert body == {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True}
    # 404: unknown job, unknown queue id
    expect_error(404, sdk.apply, job_id="~029999", cover_letter="Hi")
    assert expect_error(404, sdk.status, queue_id="queue_nope").body == {"error": "Application not found"}
    # 409: the docs' example job was already applied to
    body = expect_error(409, sdk.apply, job_id="~01abc123def456", cover_letter="again").body
    assert (body["queueId"], body["applicationStatus"]) == ("queue_abc123", "applied")
    # 422: unknown timeline, foreign profile
    assert (
        expect_error(
            422, sdk.apply, job_id="~022052895097657407455", cover_letter="Hi", proposal={"timeline": "soon"}
        ).body["field"]
        == "proposal.timeline"
    )
    assert (
        expect_error(
            422, sdk.apply, job_id="~022052895097657407455", cover_letter="Hi", profile_id="1800000000000000010"
        ).body["field"]
        == "profileId"
    )
