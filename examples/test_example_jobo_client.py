"""The reference Jobo sync client (jobo_sync_client.py) against the mock: worked scenarios, then any fault schedule.

Every test uses the pytest plugin's ``jobo_mock`` fixture with a small world (jobo_world.yaml); the
client's ``sleep`` and ``clock`` are the mock's, so its waiting moves the simulated clock (and the
catalogue lives meanwhile) and nothing really sleeps. After every scenario the client's copy is
compared with the feed as it is now (``jobo_mock.active_jobs()``).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jobo_sync_client import JoboError, JoboSyncClient

from mock_server.testing.jobo import (
    Drop,
    JoboFaultSchedule,
    JoboMock,
    Respond,
    assert_client_behaved,
    fault_schedules,
)

pytestmark = pytest.mark.jobo_mock(world="jobo_world.yaml")
NEW_JOB = "5b0f6e2a-0c1d-4e6f-8a9b-0c1d2e3f4a5b"
START = 1_767_225_600  # the manual clock's start (2026-01-01T00:00:00Z)


@pytest.fixture
def http(jobo_mock: JoboMock) -> Iterator[httpx.Client]:
    with jobo_mock.client(timeout=30) as c:
        yield c


def client_for(mock: JoboMock, http: httpx.Client) -> JoboSyncClient:
    return JoboSyncClient(
        mock.base_url, mock.api_key, sleep=mock.sleep, clock=mock.monotonic, rng=random.Random(0), http=http,
        batch_size=100,
    )  # fmt: skip


def test_backfill_then_incremental_runs_keep_an_exact_copy(jobo_mock: JoboMock, http: httpx.Client) -> None:
    client = client_for(jobo_mock, http)
    first = client.sync()
    assert first.received == len(client.jobs) == jobo_mock.catalogue()["live"]["active"]

    jobo_mock.advance(1800)  # half an hour of discoveries, updates and expiries
    gone = sorted(client.jobs)[0]
    jobo_mock.expire_job(gone)
    jobo_mock.put_job(NEW_JOB, title="Reliability Engineer", work_model="remote")
    second = client.sync()

    assert client.jobs == jobo_mock.active_jobs()
    assert NEW_JOB in client.jobs and gone not in client.jobs
    assert second.received < first.received / 4  # only what changed came again
    feeds = jobo_mock.requests.for_operation("getJobsFeed")
    assert feeds[-1].body == {"batch_size": 100, "updated_after": "2025-12-31T23:45:00Z"}  # start - 15 min overlap
    assert set(feeds.statuses) == {200}
    assert_client_behaved(jobo_mock)


def test_waits_exactly_retry_after_on_429(jobo_mock: JoboMock, http: httpx.Client) -> None:
    schedule = JoboFaultSchedule(feed=(None, Respond(429, retry_after=7)))
    jobo_mock.load_scenario(schedule)

    client_for(jobo_mock, http).sync()

    feeds = jobo_mock.requests.for_operation("getJobsFeed")
    assert feeds.statuses[:3] == [200, 429, 200]
    assert feeds.gaps()[:2] == [0.0, 7.0] and feeds[1].body == feeds[2].body  # the same cursor, 7 s later
    assert_client_behaved(jobo_mock, schedule)


def test_backs_off_from_one_second_doubling_on_500_and_dropped_connections(
    jobo_mock: JoboMock, http: httpx.Client
) -> None:
    schedule = JoboFaultSchedule(feed=(Respond(500), Drop(), Respond(500)))
    jobo_mock.load_scenario(schedule)

    client_for(jobo_mock, http).sync()

    feeds = jobo_mock.requests.for_operation("getJobsFeed")
    assert feeds.statuses[:4] == [500, 0, 500, 200]  # 0: the mock dropped the connection
    assert feeds.gaps()[:3] == [1.0, 2.0, 4.0]
    assert_client_behaved(jobo_mock, schedule)


def test_waits_30_to_60_seconds_on_503_even_when_retry_after_says_5(jobo_mock: JoboMock, http: httpx.Client) -> None:
    schedule = JoboFaultSchedule(feed=(Respond(503, retry_after=5),), expired=(Respond(503, retry_after=45),))
    jobo_mock.load_scenario(schedule)

    client = client_for(jobo_mock, http)
    client.sync()

    feed_gap = jobo_mock.requests.for_operation("getJobsFeed").gaps()[0]
    sweep_gap = jobo_mock.requests.for_operation("getExpiredJobIds").gaps()[0]
    assert 30 <= feed_gap <= 60 and 45 <= sweep_gap <= 60
    assert_client_behaved(jobo_mock, schedule)
    # Jobs were discovered while it waited after its scan: the next run (from this run's start) brings them.
    client.sync()
    assert client.jobs == jobo_mock.active_jobs()


def test_gives_up_after_five_503_retries_and_the_next_run_backfills(jobo_mock: JoboMock, http: httpx.Client) -> None:
    jobo_mock.load_scenario(JoboFaultSchedule(feed=(Respond(503),) * 6))
    client = client_for(jobo_mock, http)

    with pytest.raises(JoboError) as err:
        client.sync()

    assert err.value.status == 503 and err.value.body["error"] == "Service Unavailable"
    assert jobo_mock.requests.for_operation("getJobsFeed").statuses == [503] * 6
    assert client.watermark is None  # the failed run moved nothing: the next one is a backfill again
    jobo_mock.clear_scenarios()
    client.sync()
    assert client.jobs == jobo_mock.active_jobs()


def test_402_is_not_retried_and_a_run_after_the_top_up_completes(jobo_mock: JoboMock, http: httpx.Client) -> None:
    jobo_mock.load_library("out-of-credits-mid-sync")
    client = client_for(jobo_mock, http)

    with pytest.raises(JoboError) as err:
        client.sync()

    assert err.value.status == 402
    assert err.value.body == {
        "status": 402,
        "error": "Insufficient credits",
        "credits_required": 50,
        "credits_balance": 0,
    }
    assert jobo_mock.requests.statuses == [200, 200, 402]
    assert_client_behaved(jobo_mock)
    jobo_mock.clear_requests()  # the world changes (a top-up): what follows is a new run, not a retry
    jobo_mock.put_account(credits=1000)
    client.sync()
    assert client.jobs == jobo_mock.active_jobs()


def test_a_409_restarts_the_scan_from_the_replacement_request(jobo_mock: JoboMock, http: httpx.Client) -> None:
    jobo_mock.load_library("cursor-restart")
    client = client_for(jobo_mock, http)

    report = client.sync()

    assert report.restarts == 1 and client.jobs == jobo_mock.active_jobs()
    feeds = jobo_mock.requests.for_operation("getJobsFeed")
    assert feeds.statuses[:4] == [200, 200, 409, 200]
    assert feeds[3].body == {"batch_size": 100, "stable_scan": True}  # a new scan, not the refused cursor
    assert_client_behaved(jobo_mock)


def test_a_maintenance_window_is_waited_out(jobo_mock: JoboMock, http: httpx.Client) -> None:
    jobo_mock.load_library("maintenance")
    jobo_mock.advance(90)  # inside the window (minutes 1 to 4)

    client = client_for(jobo_mock, http)
    client.sync()

    feeds = jobo_mock.requests.for_operation("getJobsFeed")
    through = feeds.statuses.index(200)  # the first request after the window
    assert through >= 3 and set(feeds.statuses[:through]) == {503}
    assert feeds[through - 1].time - START < 240 <= feeds[through].time - START
    assert all(30 <= gap <= 60 for gap in feeds.gaps()[:through])
    assert client.jobs == jobo_mock.active_jobs()
    assert_client_behaved(jobo_mock)


@settings(max_examples=12, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(schedule=fault_schedules(), backfill_under_faults=st.booleans())
def test_reference_client_keeps_every_invariant_and_an_exact_copy_under_any_schedule(
    jobo_mock: JoboMock, http: httpx.Client, schedule: JoboFaultSchedule, backfill_under_faults: bool
) -> None:
    jobo_mock.reset()
    client = client_for(jobo_mock, http)
    if not backfill_under_faults:
        client.sync()
        jobo_mock.advance(600)
    jobo_mock.clear_requests()
    jobo_mock.load_scenario(schedule)
    with contextlib.suppress(JoboError):  # a terminal answer ends the run; the invariants judge the path
        client.sync()
    assert_client_behaved(jobo_mock, schedule)
    jobo_mock.clear_scenarios()
    client.sync()  # whatever the faulted run left, one clean run makes the copy exact
    assert client.jobs == jobo_mock.active_jobs()
