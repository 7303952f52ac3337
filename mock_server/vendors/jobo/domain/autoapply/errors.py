"""Auto Apply refusals: a stable ``code`` (what clients branch on), a message, and a *kind*.

The kind says what sort of refusal it is without naming an HTTP status (the vendor maps
``invalid`` → 400, ``forbidden`` → 403, ``not_found`` → 404, ``conflict`` → 409, ``quota`` →
429, ``unavailable`` → 503; decision J27).
"""

from __future__ import annotations

from typing import Any

from ..errors import JoboDomainError

KINDS = ("invalid", "forbidden", "not_found", "conflict", "quota", "unavailable")


class AutoApplyError(JoboDomainError):
    """One refusal of the Auto Apply service."""

    def __init__(
        self,
        kind: str,
        code: str,
        message: str,
        *,
        field: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown refusal kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.code = code
        self.field = field
        self.errors = errors
        self.retry_after = retry_after


def invalid(code: str, message: str, field: str | None = None, **extra: Any) -> AutoApplyError:
    return AutoApplyError("invalid", code, message, field=field, **extra)


def not_found(kind: str, ident: str) -> AutoApplyError:
    """The Status Codes page's wording: ``Profile '<id>' not found.``"""
    return AutoApplyError("not_found", "not_found", f"{kind} '{ident}' not found.")


def conflict(code: str, message: str) -> AutoApplyError:
    return AutoApplyError("conflict", code, message)
