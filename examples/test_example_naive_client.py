"""The naive client (naive_client.py) passes a happy-path test, and hypothesis finds each of its bugs.

The three property checks below are *expected failures*: each runs a hypothesis property
against the naive client inside the test, expects it to fail, and asserts that the minimal
counterexample hypothesis shrank to is the one that shows the bug. Copy ``find_counterexample``
and replace the naive client with yours to hunt for the same bugs in your own client.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from naive_client import NaiveClient, NaiveError

from mock_server.testing import (
    FaultSchedule,
    Respond,
    UpHuntMock,
    assert_client_behaved,
    fault_schedules,
    retryable_faults,
    terminal_faults,
)

JOB = "~022053140178050136031"
QUICK = st.just(5.0)  # submissions take 5 s: each example polls only a few times


@pytest.fixture
def http(uphunt_mock: UpHuntMock) -> Iterator[httpx.Client]:
    with uphunt_mock.client() as c:
        yield c


def run_naive(mock: UpHuntMock, http: httpx.Client, schedule: FaultSchedule) -> None:
    mock.reset()
    mock.load_scenario(schedule)
    # max_polls: the client's safety net, set just past 5 minutes of polling (enough to show the bug).
    client = NaiveClient(mock.base_url, mock.api_key, sleep=mock.sleep, clock=mock.monotonic, http=http, max_polls=64)
    with contextlib.suppress(NaiveError, RuntimeError):  # how it fails is judged by the invariants
        client.apply_and_wait(JOB, "Hello")


def find_counterexample(
    mock: UpHuntMock,
    http: httpx.Client,
    schedules: st.SearchStrategy[FaultSchedule],
    checks: list[str],
    max_examples: int = 30,
) -> tuple[FaultSchedule, AssertionError]:
    """Run the property "the naive client keeps ``checks``" and return hypothesis's minimal counterexample."""
    failing: list[FaultSchedule] = []

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    @given(schedule=schedules)
    def naive_client_keeps_the_invariants(schedule: FaultSchedule) -> None:
        run_naive(mock, http, schedule)
        try:
            assert_client_behaved(mock, schedule, checks=checks)
        except AssertionError:
            failing.append(schedule)
            raise

    with pytest.raises(AssertionError) as err:
        naive_client_keeps_the_invariants()
    # hypothesis replays the shrunk example last, and names it in the error's notes.
    notes = getattr(err.value, "__notes__", [])
    assert any(n.startswith(("Falsifying example", "Failing test case")) for n in notes), notes
    return failing[-1], err.value


def test_naive_client_passes_a_happy_path_test(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    client = NaiveClient(
        uphunt_mock.base_url, uphunt_mock.api_key, sleep=uphunt_mock.sleep, clock=uphunt_mock.monotonic, http=http
    )

    assert client.apply_and_wait(JOB, "Hello")["applicationStatus"] == "applied"  # looks fine...


def test_hypothesis_finds_that_the_naive_client_ignores_retry_after(
    uphunt_mock: UpHuntMock, http: httpx.Client
) -> None:
    schedules = fault_schedules(apply=retryable_faults(), max_status=0, max_outcomes=0, submission=QUICK)

    minimal, error = find_counterexample(uphunt_mock, http, schedules, ["retry-after"])

    # One 429 asking for 2 s is enough: the naive client retries after 2^1 x 0.5 s = 1 s.
    assert minimal == FaultSchedule(apply=(Respond(429, retry_after=2),), submission=5)
    assert "[retry-after] next applyToJob came 1 s after a 429 with Retry-After: 2" in str(error)


def test_hypothesis_finds_that_the_naive_client_retries_402(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    schedules = fault_schedules(apply=terminal_faults(), max_status=0, max_outcomes=0, submission=QUICK)

    minimal, error = find_counterexample(uphunt_mock, http, schedules, ["terminal-not-retried"])

    # 400 and 401 shrink first but are not retried; the smallest terminal status it retries is 402.
    assert minimal == FaultSchedule(apply=(Respond(402),), submission=5)
    assert f"[terminal-not-retried] apply to {JOB} answered 402 was sent again (1 more time(s))" in str(error)


def test_hypothesis_finds_that_the_naive_client_polls_forever(uphunt_mock: UpHuntMock, http: httpx.Client) -> None:
    slow = st.sampled_from([30.0, 90.0, 200.0, 300.0, 420.0])  # how long Upwork takes to answer
    schedules = fault_schedules(max_apply=0, max_status=0, max_outcomes=0, submission=slow)

    minimal, error = find_counterexample(uphunt_mock, http, schedules, ["polling-gives-up"])

    # The first submission time that ends after the 5-minute mark: the naive client keeps polling.
    assert minimal == FaultSchedule(submission=300)
    assert "[polling-gives-up] still polling" in str(error) and "305 s after the apply (limit 300 s" in str(error)
