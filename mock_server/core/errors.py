"""The engine's one error type: a request the simulated service refuses, with its HTTP status.

Each vendor subclasses :class:`ApiError` once per documented error (moto's ``exceptions.py``
pattern: ``class InsufficientCredits(UpHuntError): status = 402``) and renders every instance
in its own dialect (:meth:`mock_server.core.vendor.Vendor.render_error`). Request validation,
authentication, rate limits, handlers and scenario-injected answers all raise or build these,
so a body and its headers are built in one place per vendor.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar


class ApiError(Exception):
    """A refused request: ``status``, a stable ``code``, a human ``message``, extra body ``context``.

    ``headers`` are response headers the error itself implies (``Retry-After`` on a 429).
    ``field`` names the offending input, for messages such as ``proposal.timeline: ...``.
    """

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.headers = dict(headers or {})
        self.context = context
        if status is not None:
            self.status = status  # type: ignore[misc]  # an instance may carry a status of its own
            if type(self).code == ApiError.code:  # a generic error: name it after its status
                self.code = code_for_status(status)  # type: ignore[misc]


def code_for_status(status: int) -> str:
    """``service_unavailable`` for 503: the reason phrase in snake case (``error`` for unknown statuses)."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")
    except ValueError:
        return "error"
