"""Test a client integration against the mock: a server in a thread, a handle, fault schedules, invariants.

What a user's test suite needs, usable with or without pytest (the pytest
plugin, :mod:`mock_server.pytest_plugin`, is a thin layer over this package):

* :func:`serve` / :class:`MockServer`: a real HTTP server (granian, or uvicorn) on a free
  127.0.0.1 port in a background thread, manual clock by default;
* :class:`UpHuntMock`: the handle tests talk to. It drives the mock through
  the HTTP control API (``/_mock/...``) only, so it works the same against a
  mock in another process (:meth:`UpHuntMock.connect`);
* :class:`RequestLog`: the request journal with assertion helpers;
* hypothesis strategies that generate :class:`FaultSchedule` objects (injected
  429 + Retry-After, 500, 503, delays, dropped connections, forced outcomes)
  and turn them into scenario documents;
* invariants (:func:`check_client`, :func:`assert_client_behaved`) that hold
  for any well-behaved client against any schedule: no duplicate applies,
  Retry-After respected, polling cadence, retryable retried with backoff,
  terminal not retried.

Waiting clients must not really sleep in tests: give them ``mock.sleep`` (which
advances the manual clock) and ``mock.time`` (which reads it), or, for clients that cannot be
given a clock (tenacity, urllib3 ``Retry``, ``asyncio.sleep``), :func:`patch_time`. Also here:
:class:`AsyncUpHuntMock` (the async handle), :class:`WebhookReceiver` (a recording webhook
endpoint) and the TypedDicts of the shapes the handle returns (:mod:`.shapes`).
"""

from .aio import AsyncUpHuntMock
from .handle import MockError, UpHuntMock
from .invariants import DEFAULT_RECIPE, Recipe, Violation, assert_client_behaved, check_client
from .journal import APPLY, STATUS, TOLERANCE, Request, RequestLog
from .receiver import ReceivedEvent, WebhookReceiver
from .schedule import (
    NO_RESPONSE,
    OUTCOMES,
    RETRYABLE_OUTCOMES,
    RETRYABLE_STATUSES,
    TERMINAL_OUTCOMES,
    TERMINAL_STATUSES,
    Delay,
    Drop,
    Fault,
    FaultSchedule,
    Outcome,
    Respond,
)
from .server import MockServer, serve
from .shapes import Account, Application, Attempt, Credits, Delivery, State
from .strategies import fault_schedules, faults, outcomes, retryable_faults, submission_times, terminal_faults
from .timepatch import TimePatch, patch_time

__all__ = [
    "APPLY",
    "Account",
    "Application",
    "AsyncUpHuntMock",
    "Attempt",
    "Credits",
    "Delivery",
    "ReceivedEvent",
    "State",
    "TimePatch",
    "WebhookReceiver",
    "patch_time",
    "DEFAULT_RECIPE",
    "NO_RESPONSE",
    "OUTCOMES",
    "RETRYABLE_OUTCOMES",
    "RETRYABLE_STATUSES",
    "STATUS",
    "TERMINAL_OUTCOMES",
    "TERMINAL_STATUSES",
    "TOLERANCE",
    "Delay",
    "Drop",
    "Fault",
    "FaultSchedule",
    "MockError",
    "MockServer",
    "Outcome",
    "Recipe",
    "Request",
    "RequestLog",
    "Respond",
    "UpHuntMock",
    "Violation",
    "assert_client_behaved",
    "check_client",
    "fault_schedules",
    "faults",
    "outcomes",
    "retryable_faults",
    "serve",
    "submission_times",
    "terminal_faults",
]
