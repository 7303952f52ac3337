"""The engine's own actions (respond, drop, delay, account, webhook) and the reply a rule answers with.

Transport-neutral: a rule that answers produces a :class:`ScenarioReply`; the HTTP layer
(:mod:`mock_server.core.app`) turns it into bytes, or into a dropped connection. Vendor actions
(UpHunt's ``outcome``, ``closeJob``, ``latency``) live in the vendor's vocabulary.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .registry import Action, CheckContext, action

if TYPE_CHECKING:
    from ..runtime import Runtime
    from .matching import Subject


@dataclass(slots=True)
class ScenarioReply:
    """What a ``respond`` or ``drop`` rule answers: a status, a JSON body and headers, or a dropped connection."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    dropped: bool = False
    after_handler: bool = False  # dropResponse: run the request first, then drop the connection

    @classmethod
    def drop(cls, after_handler: bool = False) -> ScenarioReply:
        return cls(0, dropped=True, after_handler=after_handler)  # the journal records status 0


def retry_after_seconds(value: Any, seconds_left: float) -> int | None:
    if value is None:
        return None
    if value == "auto":
        return max(1, math.ceil(seconds_left))
    return int(value)


async def wait(delay: dict[str, float], clock: Any) -> None:
    """``seconds``: simulated seconds, waited in real time on the real and scaled clocks, not at all on
    the manual clock (simulated time moves only on /_mock/clock/advance); ``realSeconds``: wall time, any clock."""
    if "realSeconds" in delay:
        real: float | None = delay["realSeconds"]
    else:
        real = clock.wall_delay(delay["seconds"])
    if real:
        await asyncio.sleep(real)


_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)
_HEADER_VALUE = re.compile(r"^[\t\x20-\x7e]*$")  # visible ASCII, space and tab: no line breaks, no NUL
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "content-type"})
MAX_SECONDS = 31_536_000  # one year: the bound of every duration a scenario gives (Retry-After, delays)


def _check_respond(ctx: CheckContext, respond: dict[str, Any]) -> None:
    """What the schema cannot say: the answer must be sendable as it stands (headers on the wire, JSON body)."""
    for name, value in (respond.get("headers") or {}).items():
        if not _TOKEN.match(name):
            raise ctx.error(("respond", "headers", name), f"{name!r} is not a valid HTTP header name")
        if name.lower() in _FRAMING_HEADERS:
            raise ctx.error(("respond", "headers", name), f"{name} is set by the mock itself and cannot be injected")
        if isinstance(value, float) and not math.isfinite(value):
            raise ctx.error(("respond", "headers", name), "a header value must be a finite number or a string")
        if not _HEADER_VALUE.match(str(value)):
            raise ctx.error(
                ("respond", "headers", name), "a header value must be printable ASCII on one line (no CR, LF or NUL)"
            )
    if "body" in respond:
        try:
            json.dumps(respond["body"], allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ctx.error(("respond", "body"), f"the body must be a JSON value: {exc}") from None
    clock = (ctx.rule.get("match") or {}).get("clock")
    if respond.get("retryAfter") == "auto" and (clock is None or "to" not in clock):
        raise ctx.error(
            ("respond", "retryAfter"),
            "retryAfter: auto needs match.clock.to (it answers the seconds left in the window)",
        )
    if "drop" in ctx.rule:
        raise ctx.error(("drop",), "`respond` and `drop` exclude each other")


def _check_account(ctx: CheckContext, change: dict[str, Any]) -> None:
    if ctx.trigger == "start" and "apiKey" not in change:
        raise ctx.error(("account",), "account in a start rule needs apiKey")


def _run_account(rt: Runtime, change: dict[str, Any], subject: Subject) -> None:
    """Change an account (the subject's, or the one named); an unknown subject key is not created."""
    key = change.get("apiKey") or subject.api_key
    if key is not None and (rt.account_view(key) is not None or "apiKey" in change):
        rt.put_account(key, {k: v for k, v in change.items() if k != "apiKey"})


CORE_ACTIONS: list[Action] = [
    action(
        "respond",
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["status"],
            "properties": {
                "status": {"type": "integer", "minimum": 200, "maximum": 599},
                "message": {"type": "string"},
                "body": {},
                "headers": {"type": "object", "additionalProperties": {"type": ["string", "integer", "number"]}},
                "retryAfter": {"oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_SECONDS}, {"const": "auto"}]},
            },
        },
        ["request"],
        answers=True,
        check=_check_respond,
    ),
    action("drop", {"const": True}, ["request"], answers=True),
    # The request takes effect (the handler runs), then the connection drops before the answer: what a
    # client sees when a response is lost after the server acted (retry with the same idempotency key).
    action("dropResponse", {"const": True}, ["request"], answers=True),
    action(
        "delay",
        {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "seconds": {"type": "number", "minimum": 0, "maximum": 600},
                "realSeconds": {"type": "number", "minimum": 0, "maximum": 60},
            },
        },
        ["request"],
    ),
    Action(
        "account",
        {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "apiKey": {"type": "string", "minLength": 1},
                "credits": {"type": "integer", "minimum": 0},
                "connects": {"type": "integer", "minimum": 0},
            },
        },
        frozenset({"request", "outcome", "start"}),
        check=_check_account,
        run=_run_account,
    ),
    action(
        "webhook",
        {
            "type": "object",
            "additionalProperties": False,
            "minProperties": 1,
            "properties": {
                "duplicates": {"type": "integer", "minimum": 0, "maximum": 10},
                "delaySeconds": {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
                "reorder": {"type": "boolean"},
            },
        },
        ["webhook"],
        implies="webhook",
    ),
]
