"""Jobo Auto Apply callbacks for tests: verify signatures, receive and answer events, fault strategies.

* :func:`verify` checks an ``application.*`` delivery the way a receiver must: the
  ``x-jobo-webhook-signature`` (``v1=<hex>`` entries, two while a secret rotates) over
  ``"<id>.<timestamp>."`` + the raw body under a ``whsec_…`` secret, the timestamp window, and
  that the body's ``id`` is the header's. It raises :class:`SignatureError` with the reason.
  The mock signs with its *simulated* clock: pass ``now`` from the mock's clock (decision J34).
* :class:`CallbackReceiver` is a receiver in a background thread (uvicorn on a free 127.0.0.1
  port) that records every delivery and answers ``application.fields_requested`` with whatever
  your ``answer`` function returns: a command (``{"action": "proceed", "answers": [...]}``), a
  status code, or None for an empty 200.
* :func:`callback_faults` / :func:`callback_scenario` are hypothesis strategies and scenario
  documents for duplicated, delayed and reordered callbacks (the engine's ``webhook`` rules), so a
  receiver can be shown to dedupe on ``x-jobo-webhook-id`` and to tolerate any order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

EVENT_TYPES = ("application.fields_requested", "application.submitted", "application.failed", "application.canceled")
DEFAULT_TOLERANCE = 300.0  # ±5 minutes, the documented window
_ENTRY = re.compile(r"v1=([0-9a-fA-F]+)")


class SignatureError(ValueError):
    """A delivery that must be refused (forged, stale, or malformed)."""


def expected_signature(secret: str, event_id: str, timestamp: int | str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 over ``"<id>.<timestamp>."`` + the raw body, keyed with the whole secret."""
    return hmac.new(secret.encode("utf-8"), f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise SignatureError(f"missing header {name}")


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    *,
    now: float | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> dict[str, Any]:
    """The event of a genuine delivery; :class:`SignatureError` otherwise.

    ``now`` (Unix seconds) enables the timestamp window check; use the mock's clock
    (``GET /_mock/clock``) when the mock runs on a manual or scaled clock.
    """
    event_id = _header(headers, "x-jobo-webhook-id")
    timestamp = _header(headers, "x-jobo-webhook-timestamp")
    if not timestamp.isdigit():
        raise SignatureError(f"x-jobo-webhook-timestamp is not Unix seconds: {timestamp!r}")
    candidates = _ENTRY.findall(_header(headers, "x-jobo-webhook-signature"))
    if not candidates:
        raise SignatureError("x-jobo-webhook-signature has no v1= entry")
    wanted = expected_signature(secret, event_id, timestamp, body)
    if not any(hmac.compare_digest(wanted, c.lower()) for c in candidates):
        raise SignatureError("no v1= signature matches this secret")
    if now is not None and abs(now - int(timestamp)) > tolerance:
        raise SignatureError(f"timestamp {timestamp} is outside ±{tolerance:g} s of {now:.0f}")
    try:
        event = json.loads(body)
    except ValueError:
        raise SignatureError("the body is not JSON") from None
    if not isinstance(event, dict) or event.get("id") != event_id:
        raise SignatureError("the body's id is not x-jobo-webhook-id")
    return event


# ── a receiver ──────────────────────────────────────────────────────────────


@dataclass
class Delivery:
    """One delivery the receiver got: the raw headers and body, the event, and what it answered."""

    headers: dict[str, str]
    body: bytes
    event: dict[str, Any] | None
    error: str | None  # why the signature check failed (the receiver answered 401)
    status: int
    answer: Any = None

    @property
    def event_id(self) -> str:
        return self.headers.get("x-jobo-webhook-id", "")

    @property
    def attempt(self) -> int:
        return int(self.headers.get("x-jobo-delivery-attempt", "0"))


Answer = Callable[[dict[str, Any]], Any]


@dataclass
class CallbackReceiver:
    """A callback URL for tests: verifies, records, dedupes and answers Jobo callbacks.

    ``answer(event)`` is called once per event id for ``application.fields_requested``; its result is
    replayed for a retry or a duplicate of the same event (what a receiver must do). Return a command
    dict, an int status (e.g. 500 to provoke ``callback_rejected``), or None for an empty 200.
    ``statuses`` answers the next verified deliveries (any type) with those statuses first, e.g.
    ``[500, 500]`` to see a terminal event retried on its schedule. A bad signature answers 401.
    """

    secret: str
    answer: Answer | None = None
    clock: Callable[[], float] | None = None  # the mock's clock, for the timestamp window
    statuses: list[int] = field(default_factory=list)  # answer the next deliveries with these statuses first
    deliveries: list[Delivery] = field(default_factory=list)
    _answers: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    @property
    def url(self) -> str:
        return f"{self._server.base_url}/callbacks/jobo"

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Distinct events (first delivery of each id), in arrival order."""
        seen: set[str] = set()
        out = []
        for d in self.deliveries:
            if d.event is not None and d.event_id not in seen and (kind is None or d.event.get("type") == kind):
                seen.add(d.event_id)
                out.append(d.event)
        return out

    async def _endpoint(self, request: Any) -> Any:
        from starlette.responses import Response

        body = await request.body()
        headers = dict(request.headers)
        try:
            event: dict[str, Any] | None = verify(headers, body, self.secret, now=self.clock() if self.clock else None)
            error = None
        except SignatureError as exc:
            event, error = None, str(exc)
        status, payload = 401, b""
        reply: Any = None
        forced = None
        with self._lock:
            if self.statuses and event is not None:
                forced = self.statuses.pop(0)
        if forced is not None:
            status = forced
        elif event is not None:
            status = 200
            if event.get("type") == "application.fields_requested" and self.answer is not None:
                with self._lock:
                    if event["id"] not in self._answers:
                        self._answers[event["id"]] = self.answer(event)
                    reply = self._answers[event["id"]]
                if isinstance(reply, int):
                    status = reply
                elif reply is not None:
                    payload = json.dumps(reply).encode()
        with self._lock:
            self.deliveries.append(Delivery(headers, body, event, error, status, reply))
        media = "application/json" if payload else None
        return Response(payload, status_code=status, media_type=media)

    def start(self) -> CallbackReceiver:
        from starlette.applications import Starlette
        from starlette.routing import Route

        from ..core.serving import ServerThread

        app = Starlette(routes=[Route("/callbacks/jobo", self._endpoint, methods=["POST"])])
        self._server = ServerThread(app).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def receiving(
    secret: str, answer: Answer | None = None, clock: Callable[[], float] | None = None
) -> Iterator[CallbackReceiver]:
    """A started receiver for a ``with`` block or a pytest fixture (``yield from receiving(...)``)."""
    receiver = CallbackReceiver(secret, answer, clock).start()
    try:
        yield receiver
    finally:
        receiver.stop()


# ── duplicated, delayed and reordered callbacks ─────────────────────────────


@dataclass(frozen=True)
class CallbackFault:
    """How the mock delivers the matching events: extra copies, a delay (simulated seconds), out of order."""

    event_type: str | None = None  # None: every Auto Apply event
    duplicates: int = 0
    delay_seconds: float = 0.0
    reorder: bool = False
    times: int | None = None

    def rule(self) -> dict[str, Any]:
        directive: dict[str, Any] = {}
        if self.duplicates:
            directive["duplicates"] = self.duplicates
        if self.delay_seconds:
            directive["delaySeconds"] = self.delay_seconds
        if self.reorder:
            directive["reorder"] = True
        rule: dict[str, Any] = {"webhook": directive or {"duplicates": 0}}
        if self.event_type is not None:
            rule["match"] = {"eventType": self.event_type}
        if self.times is not None:
            rule["times"] = self.times
        return rule


def callback_scenario(faults: list[CallbackFault], name: str = "callback-faults") -> dict[str, Any]:
    """A scenario document (``POST /_mock/scenarios``) applying ``faults`` to the callbacks."""
    return {"name": name, "rules": [f.rule() for f in faults] or [{"webhook": {"duplicates": 0}}]}


def callback_faults(max_faults: int = 3, max_duplicates: int = 3, max_delay: float = 120.0) -> Any:
    """Lists of :class:`CallbackFault` (hypothesis; imported when the strategy is built)."""
    from hypothesis import strategies as st

    one = st.builds(
        CallbackFault,
        event_type=st.one_of(st.none(), st.sampled_from(EVENT_TYPES)),
        duplicates=st.integers(0, max_duplicates),
        delay_seconds=st.sampled_from([0.0, 1.0, 5.0, max_delay]),
        reorder=st.booleans(),
        times=st.one_of(st.none(), st.integers(1, 3)),
    )
    return st.lists(one, max_size=max_faults)
