"""Domain errors: what went wrong, in business terms, with the context a client needs.

The HTTP layer maps each ``kind`` to a status code and an error dialect; the
domain never names a status code.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the simulated service refuses.

    ``kind`` is one of: ``bad_request``, ``unprocessable``, ``not_found``,
    ``conflict``, ``insufficient_credits``, ``rate_limited``.
    ``context`` holds extra body fields (e.g. ``creditsRemaining``).
    """

    def __init__(self, kind: str, message: str, **context: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.context = context


def bad_request(message: str, **context: Any) -> DomainError:
    return DomainError("bad_request", message, **context)


def unprocessable(message: str, **context: Any) -> DomainError:
    return DomainError("unprocessable", message, **context)


def not_found(message: str, **context: Any) -> DomainError:
    return DomainError("not_found", message, **context)
