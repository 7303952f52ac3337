"""UpHunt's scenario vocabulary: its subjects, its ``outcome`` trigger, its actions, its injected errors.

The engine (:mod:`mock_server.core.scenarios`) knows requests, webhooks and start rules; what an
UpHunt rule can also say lives here: match ``jobId``/``queueId``, force an application's
``outcome`` where the worker decides it, ``closeJob``, change the ``latency`` model, and what an
injected 402, 409 or 429 carries (the same error classes and renderer as real refusals).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import ApiError
from mock_server.core.scenarios.actions import MAX_SECONDS
from mock_server.core.scenarios.registry import Action, CheckContext, Vocabulary

from . import errors
from .domain.latency import LatencyModel, Stage

if TYPE_CHECKING:
    from collections.abc import Callable

    from mock_server.core.runtime import RequestInfo, Runtime
    from mock_server.core.scenarios.matching import Subject
    from mock_server.core.scenarios.model import Rule
    from mock_server.core.spec import Operation

    from .domain.applications import Application
    from .domain.simulator import Simulator

OUTCOMES = ("applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out")
OUTCOME_MESSAGES: dict[str, str | None] = {
    "applied": None,
    "failed": "Page timeout while submitting the proposal",
    "not_available": "Job was closed or removed before the proposal was submitted",
    "not_eligible": "Upwork rejected the proposal: the profile does not meet the job's requirements",
    "not_enough_connects": "Agency does not have enough Connects for this job",
    "logged_out": "Business developer session was invalidated; UpHunt is reconnecting. Retry shortly.",
}
# Sentences of injected bodies (auto-apply dialect; the spec's examples).
DEFAULT_MESSAGES = {
    400: "Bad request",
    402: "Insufficient auto-apply credits",
    404: "Not found",
    409: "Already applied to this job or application is already processing",
    422: "Unprocessable request",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Upwork is unavailable, retry in a minute",
    504: "Gateway timeout",
}
# Statuses whose spec response carries the X-RateLimit-* headers (openapi/uphunt.yaml, "Rate limits").
_RATE_HEADER_STATUSES = {400, 402, 404, 409, 422, 429}

UPHUNT_SCENARIOS = Vocabulary(
    subject_keys=("jobId", "queueId"),
    event_types=("application.applied", "application.failed"),
    triggers={"outcome": frozenset({"jobId", "queueId", "apiKey"})},
)

# ── the outcome trigger and action ──────────────────────────────────────

_OUTCOME_STATUS = {"enum": list(OUTCOMES)}
UPHUNT_SCENARIOS.actions.append(
    Action(
        "outcome",
        {
            "oneOf": [
                _OUTCOME_STATUS,
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["status"],
                    "properties": {"status": _OUTCOME_STATUS, "message": {"type": "string"}},
                },
            ]
        },
        frozenset({"outcome"}),
        implies="outcome",
        answers=True,
    )
)


def _attach(rt: Runtime, sim: Simulator, fire: Callable[[str, Subject], list[Rule]]) -> None:
    """Evaluate ``outcome`` rules where the worker decides an application's terminal state."""

    def hook(app: Application, sim: Simulator) -> tuple[str, str | None] | None:
        subject = rt.scenarios.subject(api_key=app.api_key, keys={"jobId": app.job_id, "queueId": app.queue_id})
        forced = None
        for rule in fire("outcome", subject):
            outcome = rule.actions.get("outcome")
            if outcome is not None:
                status, message = (
                    (outcome, None) if isinstance(outcome, str) else (outcome["status"], outcome.get("message"))
                )
                forced = (status, message or OUTCOME_MESSAGES[status])
        return forced

    sim.outcome_hooks.append(hook)


UPHUNT_SCENARIOS.attach = _attach

# ── closeJob ────────────────────────────────────────────────────────────


def _check_close(ctx: CheckContext, close: dict[str, Any]) -> None:
    if "jobId" in close and ctx.rt.sim.catalogue.resolve(close["jobId"]) is None:
        raise ctx.error(("closeJob", "jobId"), f"no job {close['jobId']!r} in the world")
    if "jobId" not in close and ctx.trigger == "start":
        raise ctx.error(("closeJob",), "closeJob in a start rule needs jobId")


@UPHUNT_SCENARIOS.action(
    "closeJob",
    {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "jobId": {"type": "string", "minLength": 1},
            "afterSeconds": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        },
    },
    ["request", "outcome", "start"],
    check=_check_close,
)
def close_job(rt: Runtime, close: dict[str, Any], subject: Subject) -> None:
    """Close the named job (or the subject's), now or ``afterSeconds`` later on the simulated clock."""
    ref = close.get("jobId") or subject.keys.get("jobId")
    sim: Simulator = rt.sim
    job = sim.catalogue.resolve(ref) if ref is not None else None
    if job is None:
        return

    def close_now() -> None:
        now = sim.clock.now()
        if job.closed_at is None or job.closed_at > now:
            job.closed_at = now

    after = close.get("afterSeconds", 0.0)
    if after > 0:
        sim.scheduler.after(after, close_now, f"scenario: close {job.ciphertext}")
    else:
        close_now()


# ── latency ─────────────────────────────────────────────────────────────

_STAGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["median", "p95"],
    "properties": {
        "median": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS},
        "p95": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS},
        "low": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        "high": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
    },
}


def _check_latency(ctx: CheckContext, latency: dict[str, Any]) -> None:
    for stage_name, stage in latency.items():
        if stage["p95"] < stage["median"]:
            raise ctx.error(("latency", stage_name, "p95"), "p95 must be >= median")
        if stage.get("low", 0) > stage.get("high", float("inf")):
            raise ctx.error(("latency", stage_name, "high"), "high must be >= low")


@UPHUNT_SCENARIOS.action(
    "latency",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {"pickup": _STAGE, "submission": _STAGE},
    },
    ["start"],
    implies="start",
    check=_check_latency,
)
def set_latency(rt: Runtime, latency: dict[str, Any], subject: Subject) -> None:
    """Replace the pickup and/or submission latency stages (until the next reset re-runs start rules)."""
    settings = rt.sim.settings
    current = settings.latency
    settings.latency = LatencyModel(
        pickup=Stage(**latency["pickup"]) if "pickup" in latency else current.pickup,
        submission=Stage(**latency["submission"]) if "submission" in latency else current.submission,
        workers=current.workers,
    )


# ── subjects of a request, and injected answers ─────────────────────────


def _request_subject(rt: Runtime, info: RequestInfo, body: dict[str, Any]) -> dict[str, str | None]:
    """The job (canonical ciphertext, whatever form was sent) and queue a request is about."""
    job = info.query.get("jobId") or info.query.get("cipher") or body.get("jobId")
    if job is None:
        last = info.path.rstrip("/").rsplit("/", 1)[-1]
        job = last if last.startswith("~") else None
    queue = info.query.get("queueId") or body.get("queueId")
    canonical = None
    if isinstance(job, str):
        resolved = rt.sim.catalogue.resolve(job)
        canonical = resolved.ciphertext if resolved is not None else job
    return {"jobId": canonical, "queueId": queue if isinstance(queue, str) else None}


def _injected_error(
    rt: Runtime, op: Operation | None, status: int, message: str | None, subject: Subject, retry: int | None
) -> ApiError:
    """The error a ``respond`` rule answers with, carrying what the spec's body and headers need."""
    sim: Simulator = rt.sim
    now = sim.clock.now()
    account = sim.authenticate(subject.api_key)
    data = op is not None and op.dialect == "data"
    handler = subject.handler or subject.operation_id or ""
    limiter = sim.rate_limiter
    window = limiter.peek(account.api_key if account else None, handler, now) if limiter is not None else None
    headers: dict[str, str] = {}
    if status == 429:
        retry = 60 if retry is None else retry
        limit, name = (window.limit, window.window) if window is not None else (60, "minute")
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(math.ceil(now + retry)),
        }
        headers["Retry-After"] = str(retry)
        return errors.RateLimited(limit, name, retry, headers, message)
    if (status in _RATE_HEADER_STATUSES or 200 <= status < 300) and account is not None and window is not None:
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": str(window.reset),
        }
    if status == 401:
        error: ApiError = errors.Unauthorized(message) if message else errors.Unauthorized.for_key(False)
    else:
        text = message or DEFAULT_MESSAGES.get(status, f"HTTP {status} (injected by a scenario)")
        context: dict[str, Any] = {}
        if status == 402 and not data:
            context = {"creditsRemaining": account.ledger.available if account else 0, "needsCredits": True}
        elif status == 409 and not data:
            context = {
                "queueId": _latest_queue_id(sim, account, subject) or "queue_00000000000000000000",
                "applicationStatus": "processing",
            }
        error = errors.for_status(status, text, **context)
    error.headers.update(headers)
    return error


def _latest_queue_id(sim: Simulator, account: Any, subject: Subject) -> str | None:
    job_id = subject.keys.get("jobId")
    if account is None or not job_id:
        return None
    latest = [a for a in sim.applications.values() if a.api_key == account.api_key and a.job_id == job_id]
    return latest[-1].queue_id if latest else None


UPHUNT_SCENARIOS.request_subject = _request_subject
UPHUNT_SCENARIOS.injected_error = _injected_error
