"""The naive Jobo client (jobo_naive_client.py) passes a happy-path test, and hypothesis finds each of its bugs.

The three property checks below are *expected failures*: each runs a hypothesis property against
the naive client inside the test, expects it to fail, and asserts that the minimal fault schedule
hypothesis shrank to is the one that shows the bug. Copy ``find_counterexample`` and put your
own client in place of the naive one to hunt for the same bugs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jobo_naive_client import NaiveError, NaiveJoboClient

from mock_server.testing.jobo import (
    JoboFaultSchedule,
    JoboMock,
    Respond,
    assert_client_behaved,
    fault_schedules,
    restart_faults,
    retryable_faults,
)

pytestmark = pytest.mark.jobo_mock(world="jobo_world.yaml")


@pytest.fixture
def http(jobo_mock: JoboMock) -> Iterator[httpx.Client]:
    with jobo_mock.client(timeout=30) as c:
        yield c


def naive_for(mock: JoboMock, http: httpx.Client) -> NaiveJoboClient:
    return NaiveJoboClient(
        mock.base_url, mock.api_key, sleep=mock.sleep, clock=mock.monotonic, http=http, batch_size=100
    )


def run_naive(mock: JoboMock, http: httpx.Client, schedule: JoboFaultSchedule) -> None:
    mock.reset()
    mock.load_scenario(schedule)
    with contextlib.suppress(NaiveError):  # how it fails is judged by the invariants
        naive_for(mock, http).sync()


def find_counterexample(
    mock: JoboMock, http: httpx.Client, schedules: st.SearchStrategy[JoboFaultSchedule], checks: list[str]
) -> tuple[JoboFaultSchedule, AssertionError]:
    """Run the property "the naive client keeps ``checks``" and return hypothesis's minimal counterexample."""
    failing: list[JoboFaultSchedule] = []

    @settings(max_examples=25, deadline=None, database=None, derandomize=True,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(schedule=schedules)
    def naive_client_keeps_the_invariants(schedule: JoboFaultSchedule) -> None:
        run_naive(mock, http, schedule)
        try:
            assert_client_behaved(mock, schedule, checks=checks)
        except AssertionError:
            failing.append(schedule)
            raise

    with pytest.raises(AssertionError) as err:
        naive_client_keeps_the_invariants()
    notes = getattr(err.value, "__notes__", [])  # hypothesis replays the shrunk example last and names it
    assert any(n.startswith(("Falsifying example", "Failing test case")) for n in notes), notes
    return failing[-1], err.value


def test_naive_client_passes_a_happy_path_test(jobo_mock: JoboMock, http: httpx.Client) -> None:
    client = naive_for(jobo_mock, http)
    client.sync()
    jobo_mock.advance(600)
    client.sync()

    assert client.jobs == jobo_mock.active_jobs()  # looks fine...
    assert_client_behaved(jobo_mock)


def test_hypothesis_finds_that_the_naive_client_ignores_retry_after(jobo_mock: JoboMock, http: httpx.Client) -> None:
    schedules = fault_schedules(feed=retryable_faults(), max_expired=0)

    minimal, error = find_counterexample(jobo_mock, http, schedules, ["retry-after"])

    # One 429 asking for 2 s is enough: the naive client comes back after 1 s.
    assert minimal == JoboFaultSchedule(feed=(Respond(429, retry_after=2),))
    assert "[retry-after] next getJobsFeed came 1 s after a 429 with Retry-After: 2" in str(error)


def test_hypothesis_finds_that_the_naive_client_retries_503_within_seconds(
    jobo_mock: JoboMock, http: httpx.Client
) -> None:
    schedules = fault_schedules(feed=retryable_faults(), max_expired=0)

    minimal, error = find_counterexample(jobo_mock, http, schedules, ["wait-503"])

    # A bare 503 (maintenance): the naive client is back after 1 s instead of 30-60 s.
    assert minimal == JoboFaultSchedule(feed=(Respond(503),))
    assert "[wait-503] getJobsFeed retried 1 s after 503 (wait 30-60 s)" in str(error)


def test_hypothesis_finds_that_the_naive_client_reuses_a_cursor_after_409(
    jobo_mock: JoboMock, http: httpx.Client
) -> None:
    schedules = fault_schedules(feed=st.one_of(st.none(), restart_faults()), max_expired=0)

    minimal, error = find_counterexample(jobo_mock, http, schedules, ["cursor-not-reused"])

    # The first continuation answers 409: the naive client sends the same cursor again.
    assert minimal == JoboFaultSchedule(feed=(None, Respond(409)))
    assert (
        "[cursor-not-reused] getJobsFeed (a continuation) answered 409 feed_cursor_restart_required was sent again "
        "(1 more time(s)): start a new scan instead" in str(error)
    )
