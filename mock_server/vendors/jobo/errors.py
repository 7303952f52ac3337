"""Jobo's errors: domain errors to :class:`ApiError`, rendered in the Status Codes page's dialect or as problem+json.

Jobo's Status Codes page (https://jobo.world/docs/resources/status-codes) fixes the default bodies: ``{status, error, message}``; 402
``{status, error: "Insufficient credits", credits_required, credits_balance}``; 429 adds
``retry_after``. World setting ``errorFormat: problem`` renders RFC 9457 problem details
instead (decision J2). Every rendering happens in :func:`render`, so the two dialects cannot drift.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from mock_server.core.errors import ApiError, code_for_status

from .domain import credits
from .domain import errors as d
from .domain.autoapply.errors import AutoApplyError

# The Status Codes page's labels (the `error` field) and its fixed messages.
LABELS = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Insufficient credits",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
SEED_MESSAGES = {
    401: "Missing or invalid API key. Include 'X-Api-Key' header.",
    500: "An unexpected error occurred. Please retry your request.",
    503: "The service is temporarily unavailable for maintenance. Please try again in a few minutes.",
}
PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    402: "https://tools.ietf.org/html/rfc9110#section-15.5.3",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
    503: "https://tools.ietf.org/html/rfc9110#section-15.6.4",
}
PROBLEM_CODES = {400: "invalid_parameter", 401: "invalid_api_key", 404: "not_found", 500: "internal_error",
                 503: "service_unavailable"}  # fmt: skip
TOP_UP_URL = "https://enterprise.jobo.world/credits"


class JoboApiError(ApiError):
    code = "error"


class BadRequest(JoboApiError):
    status, code = 400, "invalid_parameter"


class Unauthorized(JoboApiError):
    status, code = 401, "invalid_api_key"

    def __init__(self) -> None:
        super().__init__(SEED_MESSAGES[401])


class PaymentRequired(JoboApiError):
    status, code = 402, "insufficient_credits"


class Forbidden(JoboApiError):
    status, code = 403, "forbidden"


class NotFound(JoboApiError):
    status, code = 404, "not_found"


class CursorRestart(JoboApiError):
    status, code = 409, "feed_cursor_restart_required"


class MethodNotAllowed(JoboApiError):
    status, code = 405, "method_not_allowed"

    def __init__(self) -> None:
        super().__init__("This path takes POST.", headers={"Allow": "POST"})


class TooManyRequests(JoboApiError):
    status, code = 429, "rate_limit_exceeded"


class AutoApplyUnavailable(JoboApiError):
    status, code = 503, "auto_apply_coming_soon"

    def __init__(self) -> None:
        super().__init__(SEED_MESSAGES[503])


class AutoApplyRefusal(JoboApiError):
    """An Auto Apply refusal (decision J27): the status follows the domain's kind, the code is the domain's."""

    STATUS = {"invalid": 400, "forbidden": 403, "not_found": 404, "conflict": 409, "quota": 429, "unavailable": 503}

    def __init__(self, exc: AutoApplyError) -> None:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else {}
        context: dict[str, Any] = {}
        if exc.errors is not None:
            context["errors"] = exc.errors
        if exc.retry_after is not None:
            context["retry_after"] = exc.retry_after
        super().__init__(exc.message, field=exc.field, headers=headers, status=self.STATUS[exc.kind], **context)
        self.code = exc.code  # type: ignore[misc]


def rate_headers(status: Any) -> dict[str, str]:
    """``X-RateLimit-*`` of a :class:`~.domain.ratelimit.WindowStatus`."""
    return {
        "X-RateLimit-Limit": str(status.limit),
        "X-RateLimit-Remaining": str(status.remaining),
        "X-RateLimit-Reset": str(status.reset),
        "X-RateLimit-Group": status.group,
    }


def from_domain(exc: d.JoboDomainError) -> JoboApiError:
    """The one mapping from the domain's typed refusals to statuses."""
    if isinstance(exc, AutoApplyError):
        return AutoApplyRefusal(exc)
    if isinstance(exc, d.InvalidParameter):
        error: JoboApiError = BadRequest(exc.message, field=exc.parameter)
        error.code = exc.code  # type: ignore[misc]
        return error
    if isinstance(exc, d.Unauthenticated):
        return Unauthorized()
    if isinstance(exc, d.InsufficientCredits):
        return PaymentRequired(
            f"Your Jobo wallet does not have enough credits for this {exc.operation}: it needs "
            f"{credits.text(exc.required_milli)} credits and the balance is {credits.text(exc.balance_milli)}. "
            f"Top up at {TOP_UP_URL} and run the request again.",
            headers={
                "X-Credits-Required": credits.text(exc.required_milli),
                "X-Credits-Balance": credits.text(exc.balance_milli),
            },  # fmt: skip
            credits_required=credits.number(exc.required_milli),
            credits_balance=credits.number(exc.balance_milli),
        )
    if isinstance(exc, (d.FeedNotIncluded, d.Forbidden)):
        error = Forbidden(exc.message)
        error.code = exc.code  # type: ignore[misc]
        return error
    if isinstance(exc, d.NotFound):
        return NotFound(exc.message)
    if isinstance(exc, d.CursorRestartRequired):
        return CursorRestart(exc.message, replacement_request=exc.replacement_request)
    if isinstance(exc, d.RateLimited):
        return TooManyRequests(
            exc.message,
            headers={**rate_headers(exc.status), "Retry-After": str(exc.retry_after)},
            retry_after=exc.retry_after,
        )
    raise exc  # pragma: no cover - every domain error class is mapped above


def _code(exc: ApiError, status: int) -> str:
    """The machine code of a refusal: its own, or the status's for generic ones (request validation, injected)."""
    if isinstance(exc, AutoApplyRefusal):
        return exc.code
    if exc.code not in ("error", "validation_failed") and not exc.code.endswith("_error"):
        return exc.code
    return PROBLEM_CODES.get(status, code_for_status(status) if status not in (400, 422) else "invalid_parameter")


def _label(status: int) -> str:
    if status in LABELS:
        return LABELS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _message(exc: ApiError) -> str:
    """The human text; scenario-injected 500/503 without a message of their own get the Status Codes page's text."""
    if exc.status in SEED_MESSAGES and exc.message.endswith("(injected by a scenario)"):
        return SEED_MESSAGES[exc.status]
    if exc.status in (400, 422, 413) and exc.code == "validation_failed":
        return exc.message[:1].upper() + exc.message[1:] + ("" if exc.message.endswith(".") else ".")
    return exc.message


def render(
    exc: ApiError, error_format: str = "docs", dialect: str = "default"
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, body, headers)`` of a refusal. 422 from request validation is a 400 here (the Status Codes page has none).

    The ``auto-apply`` dialect (the operations' ``x-mock-error-dialect``) adds the stable ``code`` to the
    docs body (and ``errors`` of a validation failure), as every Auto Apply client branches on it (J27).
    """
    status = 400 if exc.status == 422 else exc.status
    headers = dict(exc.headers)
    message = _message(exc)
    ctx = exc.context
    if error_format == "problem":
        code = _code(exc, status)
        body: dict[str, Any] = {
            "type": PROBLEM_TYPES.get(status, "about:blank"),
            "title": _label(status),
            "status": status,
            "detail": message,
            "code": code,
        }
        if "errors" in ctx:
            body["errors"] = ctx["errors"]
        if status == 402:
            body.update(credits_required=ctx["credits_required"], credits_balance=ctx["credits_balance"])
        elif status == 429 and "retry_after" in ctx:
            body["retry_after_seconds"] = ctx["retry_after"]
        elif status == 409 and "replacement_request" in ctx:
            body["replacement_request"] = ctx["replacement_request"]
        headers["Content-Type"] = "application/problem+json"
        return status, body, headers
    if status == 402 and "credits_required" in ctx:
        body = {"status": 402, "error": LABELS[402], "credits_required": ctx["credits_required"],
                "credits_balance": ctx["credits_balance"]}  # fmt: skip
        return status, body, headers
    body = {"status": status, "error": _label(status), "message": message}
    if dialect == "auto-apply":
        body["code"] = _code(exc, status)
        if "errors" in ctx:
            body["errors"] = ctx["errors"]
    if status == 429 and "retry_after" in ctx:
        body["retry_after"] = ctx["retry_after"]
    if status == 409 and "replacement_request" in ctx:
        body.update(code=exc.code, replacement_request=ctx["replacement_request"])
    return status, body, headers
