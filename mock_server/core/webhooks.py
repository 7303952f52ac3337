"""Webhook delivery: every event of the backend POSTed to the account's URL, with retries.

The backend calls :meth:`WebhookDispatcher._on_event` (one of its
``event_listeners``) whenever something happens that its vendor reports (an UpHunt
application reaching a terminal state, say). The dispatcher asks the vendor where
the account's events go, turns the event into a :class:`Delivery` (one delivery
id, kept on every retry, sent in the vendor's headers) and schedules its first attempt as an event on the
simulator's scheduler. When that event runs, the HTTP attempt is started as an
asyncio task, so a slow or dead receiver never blocks the API. A non-2xx answer,
a timeout, a connection error or any other exception is a recorded failed attempt
and schedules the next one on the *simulated* clock (10 s, 20 s, 40 s, ... by
default: docs/decisions.md #13); after ``maxAttempts`` the delivery is marked
``failed`` and stays in the log with every attempt.

Attempts go through one :class:`_Lane` per host (scheme, host and port): at most
``maxConcurrentPerReceiver`` of them in flight to one receiver (one URL) and at most
``maxConcurrentPerHost`` to one host at a time; the rest wait, in order, untimed. The
timeout covers the request only, and each lane has exactly as many connections as it
lets through, so an attempt never waits for a pool slot while its clock runs. A
hanging receiver holds its own slots and nothing else: other receivers, on other
hosts or on other paths of the same host, go on (docs/security.md). Nothing is
dropped: 5,000 events due at once to one receiver are 5,000 deliveries, each sent
once (bench/webhook_soak.py). After a failed attempt the next one to that
delivery opens a fresh connection, and a request that fails on a reused keep-alive
connection (closed by the receiver meanwhile) is sent once more on a fresh one.

Delivery is at-least-once: a receiver that times out but did process the event
gets it again (same delivery id). Nothing is sent twice otherwise, unless a
scenario directive (:meth:`WebhookDispatcher.add_directive`) asks for copies,
a delay, or out-of-order delivery.

With no running event loop (pure in-process use of :class:`Runtime`), attempts
that fall due are queued and start as soon as one is: at the next attempt made
from inside a loop, at server start-up, or in :meth:`WebhookDispatcher.drain`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from .clock import ManualClock

if TYPE_CHECKING:
    import httpx  # imported on first delivery instead: it costs ~0.2 s of every start-up otherwise

    from .runtime import Runtime
    from .vendor import Vendor


class Event(Protocol):
    """What a backend reports to its ``event_listeners`` for delivery."""

    event_id: str
    type: str
    api_key: str

    @property
    def subject(self) -> dict[str, str | None]: ...  # what scenario webhook rules match on

    def payload(self) -> dict[str, Any]: ...  # the JSON body

    def log_fields(self) -> dict[str, Any]: ...  # extra fields of the delivery's log entry


USER_AGENT = "uphunt-mock-webhooks/1"
DEFAULT_CAPACITY = 10_000  # deliveries kept in the log; the oldest are dropped first
DEFAULT_PER_RECEIVER = 16  # attempts in flight to one receiver (one URL) at a time
DEFAULT_PER_HOST = 64  # attempts in flight to one host (scheme, host, port) at a time, all its receivers together
KEEPALIVE_EXPIRY = 1.0  # seconds an idle connection is kept: under the usual 5 s server keep-alive timeout
_MAX_DRAIN_ROUNDS = 100_000  # a bound on drain()'s loop; each round waits for or runs real work


def check_webhook_url(url: Any) -> str | None:
    """Return ``url`` if it may receive webhooks (None disables them); raise ValueError with a clear message otherwise."""
    if url is None:
        return None
    if not isinstance(url, str):
        raise ValueError(f"webhookUrl must be a string URL or null, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"webhookUrl must be an absolute http:// or https:// URL with a host "
            f"(e.g. http://127.0.0.1:9000/hooks/uphunt), got {url!r}"
        )
    bad = next((c for c in url if ord(c) < 0x21 or ord(c) == 0x7F), None)
    if bad is not None:
        raise ValueError(f"webhookUrl must not contain spaces or control characters (found {bad!r}), got {url[:200]!r}")
    import httpx

    try:  # what the client will send: IDNA host (labels of at most 63 characters), port, path
        httpx.URL(url)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise ValueError(f"webhookUrl is not a URL the mock can send to: {exc}") from None
    return url


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a connection error, e.g. "connection refused" rather than httpx's summary."""
    reason = str(exc) or type(exc).__name__
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, OSError) and cause.strerror:
            reason = cause.strerror
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return reason


# ── one HTTP attempt: a stale pooled connection is not the receiver's failure ──

_STALE_RETRIES = 3  # fresh tries after a pooled connection turned out closed (each discards one)
_BEFORE_RESPONSE = ("http11.send_request_headers", "http11.send_request_body", "http11.receive_response_headers")
_EMPTY_ERRORS = {
    "ReadError": "the connection closed before the response arrived",
    "WriteError": "the connection closed while the request was sent",
    "RemoteProtocolError": "the receiver broke the HTTP protocol",
}


async def post_once(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    """POST ``body``; if a *reused* keep-alive connection turns out closed before any byte of a response, POST again.

    A receiver may close a connection while it sits idle in the pool: uvicorn does right after an
    app raised (its 500 carries no ``Connection: close``), and any server does at its keep-alive
    timeout. When the close crosses our next request on the wire, the request fails at once with
    an empty ``ReadError`` (or "Server disconnected without sending a response"): the receiver
    never saw it, so it is no attempt of the delivery. Browsers and urllib3 retry this case the
    same way. Only a failure on a connection opened for this very request, or one after response
    bytes arrived, is the receiver's.
    """
    import httpx

    for _ in range(_STALE_RETRIES + 1):
        steps: list[str] = []

        async def trace(name: str, info: dict[str, Any], steps: list[str] = steps) -> None:
            steps.append(name)

        try:
            return await client.post(url, content=body, headers=headers, extensions={"trace": trace})
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            reused = not any(step.startswith("connection.connect_tcp") for step in steps)
            failed_at = next((step.rpartition(".")[0] for step in steps if step.endswith(".failed")), "")
            if not (reused and failed_at in _BEFORE_RESPONSE):
                raise
    return await client.post(url, content=body, headers=headers)  # pragma: no cover - every pooled connection was stale


def error_text(exc: BaseException) -> str:
    """``Type: reason`` of a failed attempt, never with an empty reason (httpx's ReadError often has none)."""
    name = type(exc).__name__
    detail = str(exc).strip()
    if not detail:
        cause = _root_cause(exc)
        detail = cause if cause and cause != name else _EMPTY_ERRORS.get(name, "no detail from the HTTP client")
    return f"{name}: {detail}"


@dataclass(slots=True)
class WebhookSettings:
    """The world's ``settings.webhooks`` (docs/decisions.md #13 gives the defaults)."""

    max_attempts: int = 5
    base_delay_seconds: float = 10.0  # simulated seconds before the 2nd attempt; doubles each time
    timeout_seconds: float = 5.0  # real seconds an attempt may take once sent (HTTP is real even on a manual clock)
    per_receiver: int = DEFAULT_PER_RECEIVER  # attempts in flight to one URL at a time; the rest wait untimed
    per_host: int = DEFAULT_PER_HOST  # attempts in flight to one host at a time

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> WebhookSettings:
        return cls(
            max_attempts=int(section.get("maxAttempts", 5)),
            base_delay_seconds=float(section.get("baseDelaySeconds", 10.0)),
            timeout_seconds=float(section.get("timeoutSeconds", 5.0)),
            per_receiver=int(section.get("maxConcurrentPerReceiver", DEFAULT_PER_RECEIVER)),
            per_host=int(section.get("maxConcurrentPerHost", DEFAULT_PER_HOST)),
        )

    def backoff(self, attempts_made: int) -> float:
        """Simulated seconds between attempt ``attempts_made`` and the next one: base, 2*base, 4*base..."""
        return self.base_delay_seconds * 2 ** (attempts_made - 1)


@dataclass(eq=False)
class Directive:
    """A scenario's instruction for the deliveries of matching events (see :meth:`WebhookDispatcher.add_directive`)."""

    match: Callable[[Event], bool]
    duplicates: int = 0
    delay_seconds: float = 0.0
    reorder: bool = False
    times: int | None = None  # how many events it applies to; None = every matching event
    used: int = 0

    def takes(self, event: Event) -> bool:
        return (self.times is None or self.used < self.times) and bool(self.match(event))


@dataclass(slots=True)
class Attempt:
    number: int
    at_ms: int  # simulated time of the attempt
    status: int | None  # the receiver's HTTP status; None when there was no response
    latency_ms: float  # real time the attempt took
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.number,
            "at": self.at_ms,
            "status": self.status,
            "latencyMs": round(self.latency_ms, 3),
            "error": self.error,
        }


@dataclass(eq=False)
class Delivery:
    """One event on its way to one URL: the unit that is retried. Copies from a directive share the delivery id."""

    delivery_id: str
    event: Event
    url: str
    body: bytes  # frozen when the event happened
    sim: Any  # the backend the event belongs to (a reset makes a new one)
    vendor: Vendor
    first_due: float  # simulated seconds of the first attempt
    copy: int = 0  # 0 = the delivery itself, 1..n = copies a directive asked for
    state: str = "pending"  # pending | delivered | failed
    attempts: list[Attempt] = field(default_factory=list)
    next_due: float | None = None
    held: bool = False  # reorder directive: waiting for the next event to the same URL
    release_after: list[Delivery] = field(default_factory=list)  # held deliveries that go after our first attempt
    scheduled: Any = None  # the scheduler event of the next attempt (cancelled by a redelivery)
    in_flight: bool = False  # an HTTP attempt is under way

    def headers(self, attempt: int, now_ms: int, body: bytes | None = None) -> dict[str, str]:
        own = self.vendor.webhook_headers(
            self.delivery_id, self.event, self.body if body is None else body, attempt, now_ms
        )
        return {"Content-Type": "application/json", **own, "User-Agent": USER_AGENT}

    def attempt_body(self, attempt: int) -> bytes:
        """The bytes of attempt ``attempt`` (a vendor may rewrite e.g. an attempt counter in the body)."""
        return self.vendor.webhook_body(self.event, self.body, attempt)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deliveryId": self.delivery_id,
            "eventId": self.event.event_id,
            "eventType": self.event.type,
            "url": self.url,
            **self.event.log_fields(),
            "state": self.state,
            "attempts": [a.as_dict() for a in self.attempts],
            "nextAttemptAt": None if self.next_due is None else int(round(self.next_due * 1000)),
            "copy": self.copy,
            "held": self.held,
        }


class WebhookDispatcher:
    """Delivers the simulator's terminal events to each account's ``webhookUrl``; the log behind ``/_mock/webhooks/deliveries``."""

    def __init__(self, settings: WebhookSettings | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        self.settings = settings or WebhookSettings()
        self.capacity = capacity
        self.dropped = 0  # deliveries pushed out of the log by newer ones
        self._log: deque[Delivery] = deque(maxlen=capacity)
        self._directives: list[Directive] = []
        self._held: dict[str, list[Delivery]] = {}  # url -> deliveries held by a reorder directive
        self._queued: list[tuple[Delivery, float]] = []  # attempts due while no event loop ran
        self._tasks: set[asyncio.Task[None]] = set()
        self._lanes: dict[tuple[str, str, int | None], _Lane] = {}  # receiver origin -> its lane
        self._lanes_loop: asyncio.AbstractEventLoop | None = None
        self._sim: Any = None  # the backend whose events are delivered
        self._vendor: Vendor | None = None
        self._ids = random.Random(0)
        self._generation = 0  # bumped by reset(): results of older attempts are ignored
        self.change_listeners: list[Callable[[], None]] = []  # told when the log changes (the dashboard's feed)
        # Snapshot/restore (mock_server.core.snapshot): each completed attempt is reported as an input;
        # while a snapshot is replayed, attempts are not sent: their recorded outcomes are applied.
        self.on_attempt: Callable[[Delivery, Attempt, float], None] | None = None
        self.replaying = False
        self._replayed_in_flight: dict[tuple[str, int], tuple[Delivery, float]] = {}

    @classmethod
    def install(cls, rt: Runtime) -> WebhookDispatcher:
        """Build from the runtime's world and follow its simulator across resets."""
        dispatcher = cls(WebhookSettings.from_section(rt.world.settings_section("webhooks")))
        dispatcher._vendor = rt.vendor
        dispatcher.on_attempt = lambda d, a, at: rt.recorder.add("attempt", at, d.delivery_id, d.copy, a.as_dict())
        rt.add_sim_hook(dispatcher.attach)
        rt.reset_hooks.append(dispatcher.reset)
        return dispatcher

    def attach(self, sim: Any) -> None:
        """Listen to the backend's events (a runtime sim hook: runs at start and after every reset)."""
        self._sim = sim
        self._ids = random.Random(f"uphunt-mock-webhooks:{sim.seed}")  # delivery ids are deterministic per seed
        sim.event_listeners.append(self._on_event)

    # ── scenario directives ─────────────────────────────────────────────

    def add_directive(
        self,
        match: Callable[[Event], bool],
        *,
        duplicates: int = 0,
        delay_seconds: float = 0.0,
        reorder: bool = False,
        times: int | None = None,
    ) -> Directive:
        """Change how matching events are delivered; the first directive (in order added) that matches wins.

        ``duplicates``: extra copies of the event, each a full delivery with the
        SAME ``X-UpHunt-Delivery`` id (what a receiver's dedupe must catch).
        ``delay_seconds``: simulated seconds added before the first attempt.
        ``reorder``: hold the event and deliver it right after the first attempt
        of the next event for the same URL. ``times``: apply to that many
        events, then stop matching (None: always).
        """
        if duplicates < 0 or delay_seconds < 0 or (times is not None and times < 0):
            raise ValueError("duplicates, delay_seconds and times must be >= 0")
        directive = Directive(match, duplicates, delay_seconds, reorder, times)
        self._directives.append(directive)
        return directive

    def remove_directive(self, directive: Directive) -> None:
        with contextlib.suppress(ValueError):
            self._directives.remove(directive)

    def clear_directives(self) -> None:
        self._directives.clear()

    def release_held(self) -> int:
        """Send every delivery a reorder directive is holding, now. Returns how many."""
        held = [d for group in self._held.values() for d in group]
        self._held.clear()
        for delivery in held:
            self._release(delivery, delivery.sim.clock.now())
        return len(held)

    # ── the log ─────────────────────────────────────────────────────────

    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery still in the log, oldest first, in the control API's ``Delivery`` shape."""
        return [d.as_dict() for d in self._log]

    def find(self, delivery_id: str) -> Delivery | None:
        """The delivery with this id still in the log (the delivery itself rather than a scenario's copy)."""
        matches = [d for d in self._log if d.delivery_id == delivery_id]
        return min(matches, key=lambda d: d.copy) if matches else None

    def redeliver(self, delivery_id: str) -> Delivery:
        """One more attempt of a delivery, now (same id and body); KeyError if unknown, ValueError if held.

        The attempt is started at once (queued if no event loop runs, like any attempt);
        ``await drain()`` to wait for it. A pending retry is replaced by this attempt.
        """
        delivery = self.find(delivery_id)
        if delivery is None or delivery.sim is not self._sim:
            raise KeyError(delivery_id)
        if delivery.held:
            raise ValueError(f"delivery {delivery_id} is held by a scenario (reorder) until the next event for its URL")
        if delivery.in_flight:
            raise ValueError(f"an attempt of delivery {delivery_id} is under way; redeliver once it has completed")
        if delivery.scheduled is not None:
            delivery.scheduled.cancel()
        delivery.state = "pending"
        self._schedule(delivery, delivery.sim.clock.now())
        delivery.sim.scheduler.run_due()
        self._changed()
        return delivery

    def _changed(self) -> None:
        for listener in self.change_listeners:
            listener()

    def reset(self) -> None:
        """Empty the log, forget held and queued attempts, stop in-flight ones.

        Directives stay (like loaded scenarios) and restart their ``times`` count.
        """
        self._generation += 1
        for task in list(self._tasks):
            task.cancel()
        self._log.clear()
        self.dropped = 0
        self._held.clear()
        self._queued.clear()
        self._replayed_in_flight.clear()
        for directive in self._directives:
            directive.used = 0

    # ── from event to scheduled attempts ────────────────────────────────

    def _on_event(self, event: Event) -> None:
        sim, vendor = self._sim, self._vendor
        if sim is None or vendor is None:
            return
        url = vendor.webhook_url(sim, event.api_key)
        if not url:
            return
        directive = next((d for d in self._directives if d.takes(event)), None)
        if directive is not None:
            directive.used += 1
        body = json.dumps(event.payload(), separators=(",", ":"), ensure_ascii=False).encode()
        delivery_id = f"dlv_{self._ids.getrandbits(128):032x}"
        due = sim.clock.now() + (directive.delay_seconds if directive else 0.0)
        copies = 1 + (directive.duplicates if directive else 0)
        batch = [Delivery(delivery_id, event, url, body, sim, vendor, first_due=due, copy=i) for i in range(copies)]
        for delivery in batch:
            if len(self._log) == self._log.maxlen:
                self.dropped += 1
            self._log.append(delivery)
        if directive is not None and directive.reorder:
            for delivery in batch:
                delivery.held = True
            self._held.setdefault(url, []).extend(batch)
            self._changed()
            return
        batch[0].release_after = self._held.pop(url, [])
        for delivery in batch:
            self._schedule(delivery, due)
        self._changed()

    def _schedule(self, delivery: Delivery, due: float) -> None:
        delivery.next_due = due
        number = len(delivery.attempts) + 1
        delivery.scheduled = delivery.sim.scheduler.at(
            due, lambda: self._fire(delivery, due), label=f"webhook {delivery.delivery_id} #{number}"
        )

    def _release(self, delivery: Delivery, after: float) -> None:
        delivery.held = False
        self._schedule(delivery, max(delivery.first_due, after))

    def _fire(self, delivery: Delivery, due: float) -> None:
        """A scheduler event: start the attempt now, or queue it if no event loop runs in this thread."""
        if delivery.sim is not self._sim:
            return
        clock = delivery.sim.clock
        at = due if isinstance(clock, ManualClock) else clock.now()
        if self.replaying:
            self._replayed_in_flight[(delivery.delivery_id, delivery.copy)] = (delivery, at)
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._queued.append((delivery, at))
            return
        self._start_queued()
        self._launch(delivery, at)

    def start(self) -> None:
        """Called once an event loop runs (server start-up): send what was queued without one."""
        self._start_queued()

    def _start_queued(self) -> None:
        queued, self._queued = self._queued, []
        for delivery, at in queued:
            if delivery.sim is self._sim:
                self._launch(delivery, at)

    def _launch(self, delivery: Delivery, at: float) -> None:
        task = asyncio.get_running_loop().create_task(self._attempt(delivery, at, self._generation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ── one HTTP attempt ────────────────────────────────────────────────

    def _lane(self, url: str) -> _Lane:
        """The lane of ``url``'s receiver, created on the running loop (all anew if the loop changed)."""
        loop = asyncio.get_running_loop()
        if self._lanes_loop is not loop:
            self._lanes, self._lanes_loop = {}, loop  # clients of a finished loop cannot be reused
        parts = urlsplit(url)
        origin = (parts.scheme, (parts.hostname or "").lower(), parts.port)
        lane = self._lanes.get(origin)
        if lane is None:
            lane = self._lanes[origin] = _Lane(max(1, self.settings.per_host))
        return lane

    async def _attempt(self, delivery: Delivery, at: float, generation: int) -> None:
        timeout = self.settings.timeout_seconds
        number = len(delivery.attempts) + 1
        status: int | None = None
        error: str | None = None
        answer: bytes | None = None
        body = delivery.attempt_body(number)
        latency_ms = 0.0
        delivery.in_flight = True  # from launch: an attempt waiting for a slot is under way too (redeliver waits)
        try:
            lane = self._lane(delivery.url)
            # Waiting for slots is not part of the attempt: untimed, in order. The receiver's slot
            # first, so a receiver waiting for its own slots never holds one of the host's.
            async with lane.receiver_slots(delivery.url, self.settings.per_receiver), lane.slots:
                if generation != self._generation or delivery.sim is not self._sim:
                    return  # reset while it waited
                started = time.perf_counter()
                try:
                    headers = delivery.headers(number, int(round(at * 1000)), body)
                    response = await asyncio.wait_for(lane.send(delivery.url, body, headers, fresh=number > 1), timeout)
                    status, answer = response.status_code, response.content
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # every failure is a recorded attempt, never a dead task
                    error = _describe_failure(exc, timeout)
                    _release_frames(exc)
                latency_ms = (time.perf_counter() - started) * 1000
        except asyncio.CancelledError:
            # Shutdown, not reset: the attempt did not happen; it runs again once a loop does.
            if generation == self._generation and delivery.sim is self._sim:
                self._queued.append((delivery, at))
            raise
        except Exception as exc:  # e.g. a URL the lane cannot parse: still a recorded attempt
            error = _describe_failure(exc, timeout)
            _release_frames(exc)
        finally:
            delivery.in_flight = False
        if generation != self._generation:
            return
        self._complete(delivery, Attempt(number, int(round(at * 1000)), status, latency_ms, error), at, answer)

    def _complete(self, delivery: Delivery, attempt: Attempt, at: float, answer: bytes | None = None) -> None:
        if delivery.sim is not self._sim:  # the world was reset meanwhile
            return
        if self.on_attempt is not None:
            self.on_attempt(delivery, attempt, at)
        delivery.attempts.append(attempt)
        delivery.scheduled = None
        made = len(delivery.attempts)
        delays = delivery.vendor.webhook_retry_delays(delivery.event)
        most = self.settings.max_attempts if delays is None else len(delays) + 1
        ok = attempt.status is not None and 200 <= attempt.status < 300
        # The vendor sees every answer (e.g. a command in the response body) and may end the retries.
        handled = delivery.copy == 0 and delivery.vendor.webhook_response(
            delivery.sim, delivery.event, made, attempt.status, answer, ok or made >= most
        )
        if ok:
            delivery.state, delivery.next_due = "delivered", None
        elif handled or made >= most:
            delivery.state, delivery.next_due = "failed", None
        else:
            delay = self.settings.backoff(made) if delays is None else delays[made - 1]
            self._schedule(delivery, at + delay)
        held, delivery.release_after = delivery.release_after, []
        for other in held:
            self._release(other, at)
        self._changed()

    # ── replaying a snapshot ────────────────────────────────────────────

    def replay_attempt(self, delivery_id: str, copy: int, attempt: dict[str, Any], at: float) -> None:
        """Apply a recorded attempt's outcome to the delivery whose attempt the replay started."""
        delivery, _ = self._replayed_in_flight.pop((delivery_id, copy))
        outcome = Attempt(attempt["attempt"], attempt["at"], attempt["status"], attempt["latencyMs"], attempt["error"])
        self._complete(delivery, outcome, at)

    def end_replay(self) -> int:
        """Attempts that were in flight when the snapshot was taken are sent again. Returns how many."""
        self.replaying = False
        pending, self._replayed_in_flight = list(self._replayed_in_flight.values()), {}
        self._queued.extend(pending)
        return len(pending)

    # ── waiting and shutting down ───────────────────────────────────────

    async def drain(self, timeout: float | None = None) -> int:
        """Wait for in-flight attempts (starting queued ones); returns how many scheduler events it ran.

        On the manual clock, a retry whose time has already passed (an attempt
        completed after ``advance`` moved the clock beyond its retry time) is
        run here too, so one ``advance`` covers every attempt that falls due
        within it. Gives up after ``timeout`` real seconds (None: no limit; each
        attempt is bounded by ``timeoutSeconds`` anyway).
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        ran = 0
        for _ in range(_MAX_DRAIN_ROUNDS):
            self._start_queued()
            if self._tasks:
                remaining = None if deadline is None else max(0.0, deadline - loop.time())
                _, pending = await asyncio.wait(set(self._tasks), timeout=remaining)
                if pending:
                    break
                continue
            sim = self._sim
            if sim is not None and isinstance(sim.clock, ManualClock):
                due = sim.scheduler.next_due()
                if due is not None and due <= sim.clock.now():
                    ran += sim.scheduler.run_due()
                    continue
            break
        return ran

    async def aclose(self) -> None:
        """Close the lanes' HTTP clients (server shutdown); in-flight attempts are stopped and queued again, not lost."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        lanes, self._lanes, self._lanes_loop = list(self._lanes.values()), {}, None
        for lane in lanes:
            await lane.aclose()


class _Lane:
    """The way to one host: a slot per attempt in flight (per receiver URL and for the host) and
    exactly as many connections as the host's slots.

    ``pooled`` keeps connections alive between first attempts (most deliveries); ``fresh``
    never reuses one, for the attempts after a failure, so a retry never lands on a
    connection the receiver closed after answering 500.
    """

    def __init__(self, slots: int) -> None:
        import httpx

        self.slots = asyncio.Semaphore(slots)
        self._receivers: dict[str, asyncio.Semaphore] = {}
        # No redirects and no proxies from the environment: requests go to the configured URL only.
        # No client timeout: the dispatcher times the whole attempt (asyncio.wait_for).
        common: dict[str, Any] = {"timeout": None, "follow_redirects": False, "trust_env": False}
        self.pooled = httpx.AsyncClient(
            limits=httpx.Limits(
                max_connections=slots, max_keepalive_connections=slots, keepalive_expiry=KEEPALIVE_EXPIRY
            ),
            **common,
        )
        self.fresh = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=slots, max_keepalive_connections=0), **common
        )

    def receiver_slots(self, url: str, slots: int) -> asyncio.Semaphore:
        """The slots of one receiver (its URL) on this host."""
        semaphore = self._receivers.get(url)
        if semaphore is None:
            semaphore = self._receivers[url] = asyncio.Semaphore(max(1, slots))
        return semaphore

    async def send(self, url: str, body: bytes, headers: dict[str, str], fresh: bool) -> httpx.Response:
        """POST; a pooled connection the receiver had closed is retried (post_once)."""
        if fresh:
            return await self.fresh.post(url, content=body, headers=headers)
        return await post_once(self.pooled, url, body, headers)

    async def aclose(self) -> None:
        for client in (self.pooled, self.fresh):
            with contextlib.suppress(Exception):
                await client.aclose()


def _release_frames(exc: BaseException) -> None:
    """Clear the locals of the finished frames a failure's tracebacks hold (its causes and contexts too).

    httpx's and asyncio's frames keep the exceptions raised through them, and the exceptions keep
    the frames: a cycle only the collector can free. ``serve``'s collector policy freezes what is
    alive at a collection (mock_server/core/gc_policy.py), and an attempt waiting on the network
    is alive, so such a cycle through its frozen frames would stay until the next reset (about
    nine objects per failed attempt, measured). With the locals cleared, reference counting frees it.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        pending += [current.__cause__, current.__context__]


def _describe_failure(exc: Exception, timeout: float) -> str:
    """What the deliveries log says about a failed attempt: never an empty string."""
    import httpx

    if isinstance(exc, (asyncio.TimeoutError, httpx.TimeoutException)):
        return f"timeout after {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {_root_cause(exc)}"
    return error_text(exc)
