"""What a rule does: injected responses (in the spec's error shapes), dropped connections, delays.

Side effects on the world (account changes, closing a job, forcing an
outcome, webhook directives) live in the engine, which owns the runtime.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..http import errors

# Sentences of the default bodies (auto-apply dialect; the spec's examples).
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

OUTCOME_MESSAGES = {
    "applied": None,
    "failed": "Page timeout while submitting the proposal",
    "not_available": "Job was closed or removed before the proposal was submitted",
    "not_eligible": "Upwork rejected the proposal: the profile does not meet the job's requirements",
    "not_enough_connects": "Agency does not have enough Connects for this job",
    "logged_out": "Business developer session was invalidated; UpHunt is reconnecting. Retry shortly.",
}


def default_body(status: int, message: str | None, dialect: str, ctx: dict[str, Any]) -> Any:
    """The spec's body for an injected ``status`` on an operation of ``dialect``."""
    if status < 400:
        return {}
    if status == 401:
        return errors.error_body(401, message, dialect) if message else errors.unauthorized(False, dialect)
    if status == 429:
        body = errors.rate_limited(ctx["limit"], ctx["window"], ctx["retry_after"], dialect)
        if message:
            body[("message" if dialect == "data" else "error")] = message
        return body
    text = message or DEFAULT_MESSAGES.get(status, f"HTTP {status} (injected by a scenario)")
    if status >= 500:
        return {"error": text}  # ServerError / ServiceUnavailable: schema Error in every dialect
    if status == 402 and dialect != "data":
        return errors.error_body(402, text, dialect, creditsRemaining=ctx.get("credits", 0), needsCredits=True)
    if status == 409 and dialect != "data":
        return errors.error_body(409, text, dialect, queueId=ctx.get("queue_id") or "queue_00000000000000000000", applicationStatus="processing")
    return errors.error_body(status, text, dialect)


def rate_header_statuses(status: int) -> bool:
    return status in _RATE_HEADER_STATUSES or 200 <= status < 300


def retry_after_seconds(value: Any, seconds_left: float) -> int | None:
    if value is None:
        return None
    if value == "auto":
        return max(1, math.ceil(seconds_left))
    return int(value)


def json_response(status: int, body: Any, headers: dict[str, str]) -> Response:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(content, status_code=status, headers=headers, media_type="application/json")


class DroppedConnection(Response):
    """Starts a response that announces a body, sends part of it and stops.

    Over a real socket the server then closes the connection (uvicorn logs
    "ASGI callable returned without completing response"), so the client sees
    the connection end before the promised ``Content-Length``: httpx raises
    ``RemoteProtocolError``, requests ``ChunkedEncodingError`` — a transport
    error, not an HTTP status. The journal records status 0.
    """

    ANNOUNCED = b'{"error":"connection dropped by an uphunt-mock scenario"}'

    def __init__(self) -> None:
        super().__init__(b"", status_code=200)
        self.status_code = 0  # what the journal records

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.ANNOUNCED)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.ANNOUNCED[:2], "more_body": True})
        # Returning without the rest of the body: the server closes the connection.


async def wait(delay: dict[str, float], clock: Any) -> None:
    """``seconds``: simulated seconds, waited in real time on the real and scaled clocks, not at all on
    the manual clock (simulated time moves only on /_mock/clock/advance); ``realSeconds``: wall time, any clock."""
    if "realSeconds" in delay:
        real: float | None = delay["realSeconds"]
    else:
        real = clock.wall_delay(delay["seconds"])
    if real:
        await asyncio.sleep(real)
