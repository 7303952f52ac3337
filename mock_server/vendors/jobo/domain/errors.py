"""Typed Jobo domain errors. No status codes here: the vendor's error module maps each class."""

from __future__ import annotations

from typing import Any


class JoboDomainError(Exception):
    """Base of every refusal the simulated service can give."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(JoboDomainError):
    """Missing, unknown or revoked API key."""

    code = "invalid_api_key"

    def __init__(self) -> None:
        super().__init__("Missing or invalid API key. Include 'X-Api-Key' header.")


class InvalidParameter(JoboDomainError):
    """A request value the service cannot use (the Status Codes page: "Check the message field for details")."""

    code = "invalid_parameter"

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter

    @classmethod
    def out_of_range(cls, name: str, low: int, high: int) -> InvalidParameter:
        return cls(f"Parameter '{name}' must be between {low} and {high}.", name)


class InvalidCursor(InvalidParameter):
    """A cursor that is malformed, altered, or was issued to another key or operation."""

    code = "invalid_cursor"

    def __init__(self) -> None:
        super().__init__("Invalid cursor.", "cursor")


class FeedNotIncluded(JoboDomainError):
    """The key's subscription does not include the Feed API (the Status Codes page's 403)."""

    code = "feed_not_included"

    def __init__(self) -> None:
        super().__init__("Your subscription does not include access to the Feed API.")


class Forbidden(JoboDomainError):
    """Any other entitlement refusal (e.g. the managed feed with a sandbox key)."""

    code = "forbidden"

    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(message)
        self.code = code


class NotFound(JoboDomainError):
    """An unknown job or company, or one of the other catalogue (live vs sandbox)."""

    code = "not_found"

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} '{ident}' not found.")
        self.kind = kind
        self.ident = ident


class InsufficientCredits(JoboDomainError):
    """The wallet cannot pay the worst case of the request. Amounts in milli-credits."""

    code = "insufficient_credits"

    def __init__(self, required_milli: int, balance_milli: int, operation: str = "request") -> None:
        super().__init__("Insufficient credits")
        self.required_milli = required_milli
        self.balance_milli = balance_milli
        self.operation = operation


class RateLimited(JoboDomainError):
    """A rolling window is full. ``retry_after`` in whole seconds (>= 1)."""

    code = "rate_limit_exceeded"

    def __init__(self, retry_after: int, window: str, status: Any) -> None:
        super().__init__(f"Rate limit exceeded. Try again in {retry_after} seconds.")
        self.retry_after = retry_after
        self.window = window
        self.status = status


class CursorRestartRequired(JoboDomainError):
    """A legacy (non-stable) scan reached the depth boundary; ``replacement_request`` starts over."""

    code = "feed_cursor_restart_required"

    def __init__(self, replacement_request: dict[str, Any]) -> None:
        super().__init__(
            "The feed cursor reached the legacy scan depth limit. Start a new scan with stable_scan enabled."
        )
        self.replacement_request = replacement_request
