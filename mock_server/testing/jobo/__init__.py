"""Test a Jobo client against the mock: a handle, fault schedules from the Status Codes page's retry table, invariants.

    with serve(vendor="jobo") as mock:                      # or the pytest plugin's ``jobo_mock`` fixture
        mock.load_scenario(JoboFaultSchedule(feed=(None, Respond(503, retry_after=5))))
        my_sync(mock.base_url, mock.api_key, sleep=mock.sleep)   # waiting moves the simulated clock
        assert_client_behaved(mock, schedule)

* :class:`JoboMock`: the handle (UpHunt's, plus the job catalogue and an oracle read of the feed);
* :class:`JoboFaultSchedule`: what goes wrong on the Nth feed page, expired sweep or search;
* :func:`check_client` / :func:`assert_client_behaved`: the Status Codes page's retry table as invariants
  (never retry 400-404, never reuse a cursor after 409, wait exactly Retry-After on 429, back off
  from 1 s doubling to 30 s on 500 with 3-5 retries, wait 30-60 s on 503 with up to 5 retries);
* hypothesis strategies of schedules: :func:`fault_schedules`, :func:`retryable_faults`,
  :func:`terminal_faults`, :func:`restart_faults`, :func:`faults`.
"""

from ..schedule import Delay, Drop, Respond
from .handle import JoboMock
from .invariants import CHECKS, DEFAULT_RECIPE, JoboRecipe, assert_client_behaved, check_client, signature
from .schedule import (
    EXPIRED,
    FEED,
    RESTART_STATUS,
    RETRYABLE_STATUSES,
    SEARCH,
    TERMINAL_STATUSES,
    JoboFaultSchedule,
)
from .strategies import fault_schedules, faults, restart_faults, retryable_faults, terminal_faults

__all__ = [
    "CHECKS",
    "DEFAULT_RECIPE",
    "EXPIRED",
    "FEED",
    "RESTART_STATUS",
    "RETRYABLE_STATUSES",
    "SEARCH",
    "TERMINAL_STATUSES",
    "Delay",
    "Drop",
    "JoboFaultSchedule",
    "JoboMock",
    "JoboRecipe",
    "Respond",
    "assert_client_behaved",
    "check_client",
    "fault_schedules",
    "faults",
    "restart_faults",
    "retryable_faults",
    "signature",
    "terminal_faults",
]
