"""The JSON shapes the handle returns, as TypedDicts (``openapi/control.yaml`` is the source of truth).

They exist for type checkers and editors: ``mock.account()["credits"]["spent"]`` is an ``int``,
``mock.deliveries[0]["attempts"][0]["status"]`` an ``int | None``. At run time they are plain
dicts. Keys that only some answers carry are ``NotRequired``.
"""

from __future__ import annotations

import sys
from typing import Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired

ApplicationStatus = Literal[
    "processing", "applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out"
]


class Credits(TypedDict):
    """``available + reserved + spent == granted`` at every instant."""

    available: int
    reserved: int
    spent: int
    granted: int


class Profile(TypedDict):
    id: str
    name: str
    isDefault: bool
    hourlyRate: float
    skills: list[str]


class Freelancer(TypedDict):
    id: str
    name: str
    title: str
    hourlyRate: float
    isBusinessDeveloper: bool
    profiles: list[Profile]


class Account(TypedDict):
    """``mock.account()`` / ``GET /_mock/accounts/{apiKey}``."""

    apiKey: str
    agencyId: str
    credits: Credits
    connects: int
    webhookUrl: str | None
    freelancers: list[Freelancer]


class Application(TypedDict):
    """One of ``mock.applications()`` (``GET /_mock/state``): the status record plus the schedule. Times are Unix ms."""

    jobId: str
    processedJobId: str
    applicationStatus: ApplicationStatus
    applicationStatusMessage: str
    queueId: str
    appliedAt: int | None
    processedAt: int | None
    errorMessage: str | None
    apiKey: str  # masked
    agencyId: str
    createdAt: int
    pickupAt: int | None
    completesAt: int | None


class Clock(TypedDict):
    mode: Literal["real", "manual", "scaled"]
    now: int  # simulated Unix ms
    factor: float | None


class State(TypedDict):
    """``mock.state()`` (``GET /_mock/state``)."""

    clock: Clock
    accounts: list[Account]
    applications: list[Application]


class Attempt(TypedDict):
    attempt: int  # 1, 2, ...
    at: int  # simulated Unix ms of the attempt
    status: int | None  # the receiver's answer; None when there was none (refused, timed out, closed)
    latencyMs: float  # real time the attempt took
    error: str | None  # why there was no answer, never empty


class Delivery(TypedDict):
    """One of ``mock.deliveries`` (a list; ``GET /_mock/webhooks/deliveries`` wraps it in ``{"deliveries": [...]}``)."""

    deliveryId: str  # the X-UpHunt-Delivery header, the same on every retry and every copy
    eventId: str
    eventType: str  # application.applied | application.failed
    url: str
    queueId: str
    state: Literal["pending", "delivered", "failed"]
    attempts: list[Attempt]
    nextAttemptAt: int | None
    copy: NotRequired[int]  # 0 = the delivery itself, 1.. = copies a scenario asked for
    held: NotRequired[bool]  # held back by a reorder directive
