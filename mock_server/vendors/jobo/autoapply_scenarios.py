"""Jobo's scenario vocabulary for Auto Apply (decision J38): subjects, triggers, actions, injected errors.

Subjects ``applicationId``, ``jobId``, ``applyUrl`` (read off requests and events). Triggers
where the simulation decides: ``discovery`` (the browser opens the employer's form) and
``review`` (the employer's ATS reviews an answer snapshot). Actions: ``fail`` (a documented
failure code, in either trigger), ``atsReject`` (review: the snapshot comes back as a correction
round) and ``autoApply`` (start: the launch gate and run-time settings). Injected errors (a
``respond`` rule) are built like real refusals and rendered in the operation's dialect.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import ApiError
from mock_server.core.scenarios.registry import Action, CheckContext

from . import errors
from .domain.autoapply.events import TYPES
from .domain.autoapply.forms import FAILURE_CODES
from .scenario_actions import JOBO_SCENARIOS

__all__ = ["JOBO_SCENARIOS"]
from .world import update_auto_apply

if TYPE_CHECKING:
    from collections.abc import Callable

    from mock_server.core.runtime import RequestInfo, Runtime
    from mock_server.core.scenarios.matching import Subject
    from mock_server.core.scenarios.model import Rule
    from mock_server.core.spec import Operation

    from .world import JoboBackend

SUBJECTS = ("applicationId", "jobId", "applyUrl")
_MATCH = frozenset({*SUBJECTS, "apiKey"})
# Failures a browser run can meet at each decision point (the callback and answer-window ones come from the client).
DISCOVERY_FAILURES = ("field_discovery_failed", "job_unavailable", "unsupported_field", "login_required",
                      "captcha_required", "agent_unavailable", "queue_timeout", "execution_timeout")  # fmt: skip
REVIEW_FAILURES = DISCOVERY_FAILURES + ("submission_unconfirmed", "verification_timeout")

# One vocabulary for the vendor: the data API's (subjects jobId, companyId, cursor; plan and rateLimits
# actions) extended here with Auto Apply's subjects, triggers, actions, request subjects and errors.
JOBO_SCENARIOS.subject_keys = tuple(dict.fromkeys((*JOBO_SCENARIOS.subject_keys, *SUBJECTS)))
JOBO_SCENARIOS.event_types = TYPES
JOBO_SCENARIOS.triggers.update({"discovery": _MATCH, "review": _MATCH})
_data_subject = JOBO_SCENARIOS.request_subject
_data_error = JOBO_SCENARIOS.injected_error

_FAIL = {
    "oneOf": [
        {"enum": list(FAILURE_CODES)},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["code"],
            "properties": {"code": {"enum": list(FAILURE_CODES)}, "message": {"type": "string", "minLength": 1}},
        },
    ]
}


def _check_fail(ctx: CheckContext, fail: Any) -> None:
    code = fail if isinstance(fail, str) else fail["code"]
    allowed = DISCOVERY_FAILURES if ctx.trigger == "discovery" else REVIEW_FAILURES
    if code not in allowed:
        raise ctx.error(("fail",), f"{code} cannot happen at {ctx.trigger} (one of {', '.join(allowed)})")


JOBO_SCENARIOS.actions.append(
    Action("fail", _FAIL, frozenset({"discovery", "review"}), implies="discovery", answers=True, check=_check_fail)
)
JOBO_SCENARIOS.actions.append(
    Action(
        "atsReject",
        {
            "oneOf": [
                {"const": True},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "fieldId": {"type": "string", "minLength": 1},
                        "message": {"type": "string", "minLength": 1},
                    },
                },
            ]
        },
        frozenset({"review"}),
        implies="review",
        answers=True,
    )
)


def _attach(rt: Runtime, backend: JoboBackend, fire: Callable[[str, Subject], list[Rule]]) -> None:
    """Evaluate ``discovery`` and ``review`` rules where the simulation decides."""

    def decide(app: Any, stage: str) -> dict[str, Any] | None:
        subject = rt.scenarios.subject(
            api_key=app.api_key, keys={"applicationId": app.id, "jobId": app.job_id, "applyUrl": app.apply_url}
        )
        forced: dict[str, Any] | None = None
        for rule in fire(stage, subject):
            fail = rule.actions.get("fail")
            if fail is not None:
                code, message = (fail, None) if isinstance(fail, str) else (fail["code"], fail.get("message"))
                forced = {"fail": code, "message": message}
            reject = rule.actions.get("atsReject")
            if reject is not None:
                spec = reject if isinstance(reject, dict) else {}
                forced = {"reject": {"field_id": spec.get("fieldId"), "message": spec.get("message")}}
        return forced

    backend.auto_apply.discovery_hooks.append(decide)
    backend.auto_apply.review_hooks.append(decide)


JOBO_SCENARIOS.attach = _attach

_SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "enabled": {"type": "boolean"},
        "holdSeconds": {"type": "number", "minimum": 0},
        "holdRealSeconds": {"type": "number", "minimum": 0},
        "answersExpireSeconds": {"type": "number", "minimum": 0},
        "oneTimeCodeExpireSeconds": {"type": "number", "minimum": 0},
        "importSeconds": {"type": "number", "minimum": 0},
        "price": {"type": ["number", "string"]},
        "quotas": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                k: {"type": "integer", "minimum": 0} for k in ("livePerDay", "sandboxPerHour", "inFlight", "capacity")
            },
        },
        "durations": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                stage: {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number", "minimum": 0}}
                for stage in ("queued", "discovery", "review")
            },
        },
    },
}


def _check_settings(ctx: CheckContext, changes: dict[str, Any]) -> None:
    for stage, pair in (changes.get("durations") or {}).items():
        if pair[0] > pair[1]:
            raise ctx.error(("autoApply", "durations", stage), "low must be <= high")


@JOBO_SCENARIOS.action("autoApply", _SETTINGS, ["start"], implies="start", check=_check_settings)
def set_auto_apply(rt: Runtime, changes: dict[str, Any], subject: Subject) -> None:
    """Change the Auto Apply settings (e.g. ``enabled: false`` closes the launch gate) until the next reset."""
    update_auto_apply(rt.sim.auto_apply.settings, changes)


# ── subjects of a request, and injected answers ─────────────────────────────

_APPLICATION_PATH = re.compile(r"^/api/auto-apply/(?:applications|sessions)/([^/]+)")


def _request_subject(rt: Runtime, info: RequestInfo, body: dict[str, Any]) -> dict[str, str | None]:
    """The data API's subjects (job or company in the path, cursor), and on Auto Apply paths the
    application, job and apply URL the request is about."""
    keys: dict[str, str | None] = dict(_data_subject(rt, info, body)) if _data_subject is not None else {}
    if not info.path.startswith("/api/auto-apply/"):
        return {**keys, "applicationId": None, "applyUrl": None}
    return {**keys, **_auto_apply_subject(info, body)}


def _auto_apply_subject(info: RequestInfo, body: dict[str, Any]) -> dict[str, str | None]:
    match = _APPLICATION_PATH.match(info.path)
    application = match.group(1) if match else body.get("session_id")
    job, url = body.get("job_id"), body.get("apply_url")
    return {
        "applicationId": application if isinstance(application, str) else None,
        "jobId": job if isinstance(job, str) else None,
        "applyUrl": url if isinstance(url, str) else None,
    }


_INJECTED_CODES = {
    400: ("invalid_parameter", "Bad request"),
    402: ("insufficient_credits", "Insufficient credits"),
    403: ("forbidden", "API key doesn't have permission for this resource."),
    404: ("not_found", "Not found"),
    409: ("conflict", "Conflict"),
    429: ("rate_limit_exceeded", "Rate limit exceeded. Try again in 60 seconds."),
}


def _injected_error(
    rt: Runtime, op: Operation | None, status: int, message: str | None, subject: Subject, retry: int | None
) -> ApiError:
    """On Auto Apply paths, :func:`_auto_apply_error`; elsewhere the data API's injected errors."""
    if (op is None or not op.path.startswith("/api/auto-apply/")) and _data_error is not None:
        return _data_error(rt, op, status, message, subject, retry)
    return _auto_apply_error(rt, op, status, message, subject, retry)


def _auto_apply_error(
    rt: Runtime, op: Operation | None, status: int, message: str | None, subject: Subject, retry: int | None
) -> ApiError:
    """An injected refusal carrying what the spec's bodies need (seed texts for 500/503, 402 amounts)."""
    backend: JoboBackend = rt.sim
    account = backend.world.accounts.get(subject.api_key or "")
    code, default = _INJECTED_CODES.get(status, (None, None))
    text = message or default or f"HTTP {status} (injected by a scenario)"
    context: dict[str, Any] = {}
    if status == 402:
        balance = account.wallet.balance if account is not None else 0
        from .domain import credits

        context = {"credits_required": credits.number(balance + 1000), "credits_balance": credits.number(balance)}
    if status == 429:
        context = {"retry_after": 60 if retry is None else max(1, retry)}
    error = errors.JoboApiError(text, status=status, **context)
    if code is not None:
        error.code = code  # type: ignore[misc]
    return error


JOBO_SCENARIOS.request_subject = _request_subject
JOBO_SCENARIOS.injected_error = _injected_error
