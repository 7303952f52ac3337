"""The one place that knows UpHunt's error dialects and status codes (decision 11).

* auto-apply endpoints: ``{"error": "<human sentence>", ...context}``
* data reads (jobs, clients and their v1/v2 aliases): ``{"error": "<code>", "message": "<sentence>"}``
* control API: ``{"error": "<human sentence>"}``

A second vendor hosted by the same engine would get its own module like this one.
"""

from __future__ import annotations

from typing import Any

from ..domain.errors import DomainError

DATA_READ_HANDLERS = frozenset({"getJobByCiphertext", "getClientJobs"})

STATUS_OF_KIND = {
    "bad_request": 400,
    "unprocessable": 422,
    "not_found": 404,
    "conflict": 409,
    "insufficient_credits": 402,
    "rate_limited": 429,
}

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


def dialect_of(handler: str | None) -> str:
    return "data" if handler in DATA_READ_HANDLERS else "auto_apply"


def error_body(status: int, message: str, dialect: str = "auto_apply", **context: Any) -> dict[str, Any]:
    if dialect == "data":
        return {"error": DATA_CODES.get(status, "error"), "message": message, **context}
    return {"error": message, **context}


def domain_error(exc: DomainError, dialect: str) -> tuple[int, dict[str, Any]]:
    status = STATUS_OF_KIND[exc.kind]
    return status, error_body(status, exc.message, dialect, **exc.context)


def unauthorized(missing: bool, dialect: str) -> dict[str, Any]:
    message = (
        "Missing API key: send it in the x-api-key header"
        if missing
        else "Invalid API key: it was revoked or mistyped (check the x-api-key header)"
    )
    return error_body(401, message, dialect)


def rate_limited(limit: int, window: str, retry_after: int, dialect: str) -> dict[str, Any]:
    """Per-key limit exceeded (decision 12): RateLimitError, or DataRateLimitError for data reads."""
    context = {"limit": limit, "window": window, "retryAfter": retry_after}
    if dialect == "data":
        return error_body(429, f"Rate limit of {limit} requests per {window} exceeded", dialect, **context)
    return {"error": "Rate limit exceeded", **context}


def legacy_quota_exceeded(limit: int, used: int, resets_at: str) -> dict[str, Any]:
    """The retired v1 Data API's quota body (LegacyQuotaExceeded), for legacy Bearer requests."""
    return {
        "error": "rate_limit_exceeded",
        "message": f"Monthly limit of {limit} requests reached. Quota resets at {resets_at}.",
        "limit": limit,
        "used": used,
        "resetsAt": resets_at,
    }
