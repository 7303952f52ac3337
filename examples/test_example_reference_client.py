"""The reference client (uphunt_client.py) against the mock: worked scenarios, then any fault schedule.

Every test uses the ``uphunt_mock`` fixture of the pytest plugin; the client's ``sleep`` and
``clock`` are the mock's, so its waiting moves the simulated clock and nothing really sleeps.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from uphunt_client import PollTimeout, UpHuntClient, UpHuntError

from mock_server.testing import (
    Drop,
    FaultSchedule,
    Outcome,
    Respond,
    UpHuntMock,
    assert_client_behaved,
    fault_schedules,
)

JOB = "~022053140178050136031"  # the SDK README's job: open, every demo freelancer eligible
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"  # the ready-made library


@pytest.fixture
def http(uphunt_mock: UpHuntMock) -> Iterator[httpx.Client]:
    with uphunt_mock.client() as c:
        yield c


def client_for(mock: UpHuntMock, http: httpx.Client) -> UpHuntClient:
    return UpHuntClient(
        mock.base_url, mock.api_key, sleep=mock.sleep, clock=mock.monotonic, rng=random.Random(0), http=http
    )


def test_happy_path_applies_once_and_polls_on_the_cadence(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    record = client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello, I have built FastAPI backends for years.")

    assert record["applicationStatus"] == "applied"
    log = uphunt_mock.requests
    assert log.for_operation("applyToJob").statuses == [200]
    polls = log.for_operation("getApplicationStatus")
    assert set(polls.gaps()) <= {5.0, 15.0}
    assert polls.statuses[-1] == 200 and len(polls) == len(set(p.id for p in polls))
    assert uphunt_mock.account()["credits"]["spent"] == 2  # the world's preseeded application + this one
    assert_client_behaved(uphunt_mock)


def test_waits_retry_after_on_429(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    uphunt_mock.load_scenario(FaultSchedule(apply=(Respond(429, retry_after=7),)))

    client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    applies = uphunt_mock.requests.for_operation("applyToJob")
    assert applies.statuses == [429, 200]
    assert applies.gaps() == [7.0]  # max(Retry-After 7 s, 2^1 x 0.5 s + jitter)
    uphunt_mock.requests.assert_no_request_within(7, after=applies[0], operation="applyToJob")


def test_backs_off_exponentially_through_503_and_a_dropped_connection(
    uphunt_mock: UpHuntMock, http: httpx.Client
) -> None:
    uphunt_mock.load_scenario(FaultSchedule(apply=(Respond(503), Drop(), Respond(500))))

    record = client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    applies = uphunt_mock.requests.for_operation("applyToJob")
    assert record["applicationStatus"] == "applied"
    assert applies.statuses == [503, 0, 500, 200]  # 0: the mock dropped the connection
    floors = [1.0, 2.0, 4.0]  # 2^attempt x 0.5 s, plus up to 0.5 s of jitter
    assert all(f <= gap <= f + 0.5 for f, gap in zip(floors, applies.gaps(), strict=True))


def test_gives_up_after_four_attempts(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    uphunt_mock.load_scenario(FaultSchedule(apply=(Respond(503),) * 5))

    with pytest.raises(UpHuntError) as err:
        client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    assert err.value.status == 503
    assert uphunt_mock.requests.for_operation("applyToJob").statuses == [503] * 4
    assert uphunt_mock.account()["credits"]["reserved"] == 0


def test_402_is_not_retried(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    uphunt_mock.put_account(credits=0)

    with pytest.raises(UpHuntError) as err:
        client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    assert err.value.status == 402
    assert err.value.body == {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True}
    assert uphunt_mock.requests.statuses == [402]


def test_logged_out_is_applied_again_after_a_pause(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    uphunt_mock.load_scenario(SCENARIOS / "logged-out-then-recovers.yaml")

    record = client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    assert record["applicationStatus"] == "applied"
    assert [a["applicationStatus"] for a in uphunt_mock.applications()[1:]] == ["logged_out", "applied"]
    assert uphunt_mock.requests.for_operation("applyToJob").statuses == [200, 200]
    assert_client_behaved(uphunt_mock)


def test_slow_tail_stops_polling_after_five_minutes(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    uphunt_mock.load_scenario(FaultSchedule(submission=400))

    with pytest.raises(PollTimeout):
        client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    polls = uphunt_mock.requests.for_operation("getApplicationStatus")
    first_apply = uphunt_mock.requests.for_operation("applyToJob")[0]
    assert polls[-1].time - first_apply.time == 300.0
    assert len(polls) == 12 + 16  # every 5 s to 60 s, then every 15 s to 300 s
    assert_client_behaved(uphunt_mock)


def test_a_409_follows_the_existing_application_instead_of_applying_again(
    uphunt_mock: UpHuntMock, http: httpx.Client
) -> None:
    first = http.post("/api/auto-apply-v2/apply", json={"jobId": JOB, "coverLetter": "first"}).json()

    record = client_for(uphunt_mock, http).apply_and_wait(JOB, "second")

    assert record["queueId"] == first["queueId"] and record["applicationStatus"] == "applied"
    assert uphunt_mock.requests.for_operation("applyToJob").statuses == [200, 409]


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schedule=fault_schedules())
def test_reference_client_keeps_every_invariant_under_any_fault_schedule(
    uphunt_mock: UpHuntMock, http: httpx.Client, schedule: FaultSchedule
) -> None:
    uphunt_mock.reset()
    uphunt_mock.load_scenario(schedule)
    with contextlib.suppress(UpHuntError, PollTimeout):  # documented ways to give up; the invariants judge the path
        client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")
    assert_client_behaved(uphunt_mock, schedule)


@pytest.mark.parametrize("outcome", ["not_eligible", "not_available", "not_enough_connects", "failed"])
def test_final_outcomes_are_not_applied_again(uphunt_mock: UpHuntMock, http: httpx.Client, outcome: str) -> None:
    uphunt_mock.load_scenario(FaultSchedule(outcomes=(Outcome(outcome),)))

    record = client_for(uphunt_mock, http).apply_and_wait(JOB, "Hello")

    assert record["applicationStatus"] == outcome
    assert uphunt_mock.requests.for_operation("applyToJob").statuses == [200]
    assert_client_behaved(uphunt_mock)
