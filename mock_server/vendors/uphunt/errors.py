"""UpHunt's errors: one class per documented error, and the one renderer of its dialects (decision 11).

* auto-apply endpoints: ``{"error": "<human sentence>", ...context}``
* data reads (``x-mock-error-dialect: data`` in the spec): ``{"error": "<code>", "message": "<sentence>"}``

Real refusals (validation, authentication, rate limits, domain rules) and scenario-injected
answers are all instances of these classes, rendered by :func:`render`, so a body and its
headers are built in one place. The domain raises :class:`~.domain.errors.DomainError` (no
status codes there); :func:`from_domain` maps its ``kind`` to a class here.
"""

from __future__ import annotations

from typing import Any

from mock_server.core.errors import ApiError

from .domain.errors import DomainError


class UpHuntError(ApiError):
    """Base of UpHunt's errors. ``kind``: the :class:`DomainError` kind a class stands for, if any."""

    kind: str | None = None


class BadRequest(UpHuntError):
    status, code, kind = 400, "bad_request", "bad_request"


class Unauthorized(UpHuntError):
    status, code = 401, "unauthorized"

    MISSING = "Missing API key: send it in the x-api-key header"
    INVALID = "Invalid API key: it was revoked or mistyped (check the x-api-key header)"

    @classmethod
    def for_key(cls, missing: bool) -> Unauthorized:
        return cls(cls.MISSING if missing else cls.INVALID)


class InsufficientCredits(UpHuntError):
    status, code, kind = 402, "insufficient_credits", "insufficient_credits"


class NotFound(UpHuntError):
    status, code, kind = 404, "not_found", "not_found"


class Conflict(UpHuntError):
    status, code, kind = 409, "conflict", "conflict"


class Unprocessable(UpHuntError):
    status, code, kind = 422, "unprocessable_entity", "unprocessable"


class RateLimited(UpHuntError):
    """Per-key limit exceeded (decision 12): RateLimitError, or DataRateLimitError for data reads."""

    status, code = 429, "rate_limit_exceeded"

    def __init__(
        self, limit: int, window: str, retry_after: int, headers: dict[str, str], message: str | None = None
    ) -> None:
        super().__init__(
            message or "Rate limit exceeded", headers=headers, limit=limit, window=window, retryAfter=retry_after
        )


class LegacyQuotaExceeded(UpHuntError):
    """The retired v1 Data API's monthly quota body, for legacy Bearer requests."""

    status, code = 429, "rate_limit_exceeded"


class ServerError(UpHuntError):
    """5xx (only scenarios inject these): the schema ``Error`` in every dialect."""

    status, code = 500, "internal_error"


# Every class above, found by what the domain and scenarios name: a new error is one class here.
_BY_KIND: dict[str, type[UpHuntError]] = {cls.kind: cls for cls in UpHuntError.__subclasses__() if cls.kind}
_WITH_STATUS: tuple[type[UpHuntError], ...] = (*_BY_KIND.values(), Unauthorized, RateLimited)
_BY_STATUS: dict[int, type[UpHuntError]] = {cls.status: cls for cls in _WITH_STATUS}

# The data dialect's `error` codes, by status (codes of statuses without a class of their own too).
DATA_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable_entity",
    429: "rate_limit_exceeded",
    500: "internal_error",
    503: "service_unavailable",
}


def from_domain(exc: DomainError) -> UpHuntError:
    return _BY_KIND[exc.kind](exc.message, **exc.context)


def for_status(status: int, message: str, **context: Any) -> ApiError:
    """An error of ``status`` (e.g. one a scenario injects): its class where UpHunt has one."""
    cls = _BY_STATUS.get(status)
    if cls is None or cls is RateLimited:
        return (
            ServerError(message, status=status, **context)
            if status >= 500
            else UpHuntError(message, status=status, **context)
        )
    return cls(message, **context)


def error_body(
    status: int, message: str, dialect: str = "auto_apply", code: str = "error", **context: Any
) -> dict[str, Any]:
    """The body of a refusal: the data dialect names a code (by status, else ``code``), auto-apply a sentence."""
    if dialect == "data":
        return {"error": DATA_CODES.get(status, code), "message": message, **context}
    return {"error": message, **context}


def render(exc: ApiError, dialect: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    """``(status, body, headers)`` of ``exc`` in ``dialect`` (``auto_apply`` or ``data``)."""
    status = exc.status
    if isinstance(exc, LegacyQuotaExceeded):
        return status, {"error": "rate_limit_exceeded", "message": exc.message, **exc.context}, dict(exc.headers)
    if isinstance(exc, RateLimited):
        if dialect == "data":
            limit, window = exc.context["limit"], exc.context["window"]
            text = (
                exc.message
                if exc.message != "Rate limit exceeded"
                else f"Rate limit of {limit} requests per {window} exceeded"
            )
            return status, error_body(429, text, dialect, **exc.context), dict(exc.headers)
        return status, {"error": exc.message, **exc.context}, dict(exc.headers)
    if status >= 500:
        return status, {"error": exc.message}, dict(exc.headers)
    context = dict(exc.context)
    if exc.field and dialect != "data" and status in (400, 413, 422):
        context = {"field": exc.field, **context}
    return status, error_body(status, exc.message, dialect, code=exc.code, **context), dict(exc.headers)
