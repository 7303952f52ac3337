"""Jobo's scenario vocabulary: its subjects, its actions, and what an injected error carries.

The engine (:mod:`mock_server.core.scenarios`) already answers, delays and drops requests and
changes an account's ``credits``. What a Jobo rule can also say lives here:

* match ``jobId`` and ``companyId`` (the ids in the path) and ``cursor`` (a feed or expired-ids
  continuation: ``cursor: "*"`` matches any request that carries one);
* ``plan``: change a key's plan and feed access (``{plan: free, feed: none}``), for this request
  on or, in a start rule, for the key named;
* ``rateLimits``: lower (or raise) the rolling windows of every plan, so the real limiter answers
  429 with a real ``Retry-After``.

An injected answer (``respond: {status: N}``) is built with the same error classes and renderer as
a real refusal: a 429 has ``retry_after`` and the ``X-RateLimit-*`` headers, a 402 the key's real
balance, a 409 ``feed_cursor_restart_required`` a ``replacement_request`` made from the cursor's
own filters, and 500/503 the Status Codes page's bodies.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import ApiError
from mock_server.core.scenarios.registry import CheckContext, Vocabulary

from . import errors
from .domain import credits
from .domain import errors as domain_errors
from .domain.accounts import FEED_ACCESS, PLANS

if TYPE_CHECKING:
    from mock_server.core.runtime import RequestInfo, Runtime
    from mock_server.core.scenarios.matching import Subject
    from mock_server.core.spec import Operation

    from .world import JoboBackend

JOBO_SCENARIOS = Vocabulary(subject_keys=("jobId", "companyId", "cursor"))

# Injected messages where the Status Codes page has none (500 and 503 come from the error module's seed texts).
DEFAULT_MESSAGES = {
    400: "Invalid request parameters.",
    403: "API key doesn't have permission for this resource.",
    404: "The requested resource doesn't exist.",
}
# Statuses whose responses carry the X-RateLimit-* headers (openapi/jobo.yaml, "Plans, feed access and rate limits").
_RATE_HEADER_STATUSES = {400, 402, 403, 404, 409, 429}
# What the operations precheck against when no size is known: the spec's defaults (page_size 25, batch_size 1000).
_DEFAULT_UNITS = {"search": 25, "company_jobs": 25, "feed": 1000, "geocode": 1}
_PRICE_OF = {
    "searchJobs": "search",
    "searchJobsAdvanced": "search",
    "getCompanyJobs": "company_jobs",
    "getJobsFeed": "feed",
    "getManagedJobsFeed": "feed",
    "geocodeLocation": "geocode",
}


# ── plan ────────────────────────────────────────────────────────────────


def _check_plan(ctx: CheckContext, change: dict[str, Any]) -> None:
    if ctx.trigger == "start" and "apiKey" not in change:
        raise ctx.error(("plan",), "plan in a start rule needs apiKey")


@JOBO_SCENARIOS.action(
    "plan",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "apiKey": {"type": "string", "pattern": "^jbe_"},
            "plan": {"enum": list(PLANS)},
            "feed": {"enum": [True, False, *FEED_ACCESS]},
        },
    },
    ["request", "start"],
    check=_check_plan,
)
def set_plan(rt: Runtime, change: dict[str, Any], subject: Subject) -> None:
    """Put the subject's key (or the one named) on another plan and/or feed access; unknown keys are left alone."""
    key = change.get("apiKey") or subject.api_key
    backend: JoboBackend = rt.sim
    if key is None or (key not in backend.world.accounts and "apiKey" not in change):
        return
    backend.world.update_account(key, {k: v for k, v in change.items() if k != "apiKey"})


# ── rateLimits ──────────────────────────────────────────────────────────

_WINDOWS = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {w: {"type": "integer", "minimum": 1} for w in ("minute", "hour", "day")},
}


@JOBO_SCENARIOS.action(
    "rateLimits",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {"general": _WINDOWS, "feed": _WINDOWS},
    },
    ["start"],
    implies="start",
)
def set_rate_limits(rt: Runtime, limits: dict[str, dict[str, int]], subject: Subject) -> None:
    """The given windows replace the world's for every plan that has the group (free keys keep no feed access),
    until the next reset re-runs start rules."""
    settings = rt.sim.world.settings
    table = copy.deepcopy(settings.rate_limits)
    for group, windows in limits.items():
        for plan, current in table.get(group, {}).items():
            if current is not None:
                table[group][plan] = {**current, **windows}
    settings.rate_limits = table
    settings.rate_limits_enabled = True


# ── subjects of a request, and injected answers ─────────────────────────


def _request_subject(rt: Runtime, info: RequestInfo, body: dict[str, Any]) -> dict[str, str | None]:
    """The job or company id in the path, and the cursor a continuation carries (body or query)."""
    parts = info.path.strip("/").split("/")
    job = parts[2] if len(parts) == 3 and parts[:2] == ["api", "jobs"] else None
    company = parts[2] if len(parts) >= 3 and parts[:2] == ["api", "companies"] else None
    cursor = body.get("cursor") or info.query.get("cursor")
    return {
        "jobId": job.lower() if job else None,
        "companyId": company.lower() if company else None,
        "cursor": cursor if isinstance(cursor, str) and cursor else None,
    }


def _injected_error(
    rt: Runtime, op: Operation | None, status: int, message: str | None, subject: Subject, retry: int | None
) -> ApiError:
    """The error a ``respond`` rule answers with, carrying what the spec's body and headers need."""
    backend: JoboBackend = rt.sim
    world = backend.world
    account = world.accounts.get(subject.api_key or "")
    group = op.raw.get("x-mock-rate-limit-group", "general") if op is not None else "general"
    now = world.clock.now()
    window = None
    if account is not None:
        limits = world.limits_for(account, group) or world.limits_for(account, "general")
        if limits:
            window = world.limiter.peek(account.api_key, group, limits, now)
    headers: dict[str, str] = {}
    if window is not None and (status in _RATE_HEADER_STATUSES or 200 <= status < 300):
        headers = errors.rate_headers(window)
    error: ApiError
    if status == 429:
        seconds = 60 if retry is None else retry
        if window is not None:
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(math.ceil(now + seconds))})
        headers["Retry-After"] = str(seconds)
        text = message or f"Rate limit exceeded. Try again in {seconds} seconds."
        error = errors.TooManyRequests(text, headers=headers, retry_after=seconds)
        return error
    if status == 401:
        error = errors.Unauthorized()
    elif status == 402:
        error = errors.from_domain(_insufficient(world, account, op))
    elif status == 403:
        feed = group == "feed"
        text = message or (domain_errors.FeedNotIncluded().message if feed else DEFAULT_MESSAGES[403])
        error = errors.Forbidden(text)
        if feed and message is None:
            error.code = "feed_not_included"  # type: ignore[misc]
    elif status == 409:
        replacement = _replacement_request(world, op, subject)
        restart = domain_errors.CursorRestartRequired(replacement)
        error = errors.CursorRestart(message or restart.message, replacement_request=replacement)
    elif status == 404:
        ident = subject.keys.get("jobId") or subject.keys.get("companyId")
        kind = "Job" if subject.keys.get("jobId") else "Company"
        error = errors.NotFound(message or (f"{kind} '{ident}' not found." if ident else DEFAULT_MESSAGES[404]))
    else:
        # 500 and 503 without a message of their own get the Status Codes page's texts from the renderer.
        text = message or DEFAULT_MESSAGES.get(status) or f"HTTP {status} (injected by a scenario)"
        error = ApiError(text, status=status)
    error.headers.update(headers)
    return error


def _insufficient(world: Any, account: Any, op: Operation | None) -> domain_errors.InsufficientCredits:
    """A 402 that tells the truth about the balance: the request needs more than the key has."""
    balance = account.wallet.balance if account is not None else 0
    name = _PRICE_OF.get(op.handler if op is not None else "", "search")
    worst = world.settings.prices.get(name, 1000) * _DEFAULT_UNITS[name]
    required = max(worst, balance + credits.to_milli(1))
    return domain_errors.InsufficientCredits(required, balance, "request")


def _replacement_request(world: Any, op: Operation | None, subject: Subject) -> dict[str, Any]:
    """A new stable scan with the original filters and batch size (read from the cursor when there is one)."""
    cursor = subject.keys.get("cursor")
    operation = "managed" if op is not None and op.handler == "getManagedJobsFeed" else "feed"
    if cursor and subject.api_key:
        try:
            payload = world.signer.decode(cursor, operation=operation, api_key=subject.api_key)
        except domain_errors.InvalidCursor:
            payload = None
        if payload is not None:
            return {**payload["f"], "stable_scan": True, "batch_size": payload["b"]}
    return {"stable_scan": True, "batch_size": 1000}


JOBO_SCENARIOS.request_subject = _request_subject
JOBO_SCENARIOS.injected_error = _injected_error
