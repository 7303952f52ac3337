"""Live change notifications: counters on the request path, coalesced server-sent events off it.

Whatever changes the world (an API request, a control operation, a scheduler
event, a webhook attempt) calls :meth:`ChangeFeed.bump` with a topic. That is
an integer increment plus, at most once per coalescing window, setting an
:class:`asyncio.Event`: nothing else happens on the request path, so an open
dashboard cannot slow the API down.

One publisher task per server (:meth:`ChangeFeed.run`, started in the app's
lifespan) wakes on that event, waits out the coalescing window (100 ms: at
most ten events per second whatever the traffic), compares the counters with
the last ones it published and hands every subscriber one small "changed"
notice naming the topics. Each ``GET /_mock/events`` stream is one
:class:`Subscriber`; a slow one merges the notices it has not sent yet
instead of queueing them. The page then fetches the views it shows.

Streams end when the server stops (:meth:`ChangeFeed.close`): uvicorn waits
for open responses before its lifespan shutdown, so the serving layer calls
``close`` first (see ``mock_server.serving``), and the lifespan calls it again
as a fallback for servers that do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

TOPICS = ("journal", "state", "clock", "deliveries", "scenarios")
# "request" is what the API pipeline bumps: a request is journaled and may change any state.
IMPLIED = {"request": ("journal", "state", "scenarios"), "world": TOPICS}
COALESCE_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0
RETRY_MS = 2000  # the browser's EventSource reconnects after this long when the stream drops


class Subscriber:
    """One open event stream: the topics and seq it has yet to send, and a wake-up for its task."""

    def __init__(self) -> None:
        self.pending: set[str] = set()
        self.seq = 0
        self.clock: dict[str, Any] | None = None
        self.wake = asyncio.Event()
        self.closed = False

    def push(self, seq: int, topics: set[str], clock: dict[str, Any]) -> None:
        self.pending |= topics
        self.seq, self.clock = seq, clock
        self.wake.set()

    def take(self) -> dict[str, Any]:
        notice = {"seq": self.seq, "topics": sorted(self.pending), "clock": self.clock}
        self.pending = set()
        return notice


class ChangeFeed:
    """Change counters by topic, and the publisher that turns them into notices for subscribers."""

    def __init__(self, clock_info: Callable[[], dict[str, Any]], interval: float = COALESCE_SECONDS) -> None:
        self.clock_info = clock_info
        self.interval = interval
        self.counts: dict[str, int] = dict.fromkeys((*TOPICS, *IMPLIED), 0)
        self.seq = 0
        self.subscribers: set[Subscriber] = set()
        # Called with the counters that changed ("request", "state", ...; not the topics they imply),
        # e.g. the meters' sampler, which treats a change made by API requests alone apart.
        self.on_publish: list[Callable[[set[str]], None]] = []
        self._published = dict(self.counts)
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._closing = False

    # ── the hot path ────────────────────────────────────────────────────

    def bump(self, topic: str) -> None:
        """Record a change of ``topic`` (one of TOPICS, or "request" / "world")."""
        self.counts[topic] += 1
        event = self._event
        if event is not None and not event.is_set():
            self._set(event)

    def _set(self, event: asyncio.Event) -> None:
        if threading.get_ident() == self._thread:
            event.set()
        elif self._loop is not None:  # a change made from another thread (in-process use of a served runtime)
            with contextlib.suppress(RuntimeError):  # the loop has closed meanwhile
                self._loop.call_soon_threadsafe(event.set)

    # ── the publisher ───────────────────────────────────────────────────

    def changed(self) -> tuple[set[str], set[str]]:
        """The counters changed since the last publication and the topics they make (and take them as published)."""
        names = {name for name, count in self.counts.items() if count != self._published[name]}
        topics: set[str] = set()
        for name in names:
            topics.update(IMPLIED.get(name, (name,)))
        self._published = dict(self.counts)
        return names, topics

    def publish(self) -> None:
        names, topics = self.changed()
        if not topics:
            return
        self.seq += 1
        for hook in self.on_publish:
            hook(names)
        clock = self.clock_info()
        for subscriber in self.subscribers:
            subscriber.push(self.seq, topics, clock)

    async def run(self) -> None:
        """The publisher loop (one task per server): wake on a change, coalesce, publish. Cancelled to stop."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._closing = False
        # A local event: a runtime served twice at once (two lifespans) has two publishers, and the
        # one that stops must not pull the event from under the other.
        event = self._event = asyncio.Event()
        event.set()  # publish whatever changed before the server started
        try:
            while True:
                await event.wait()
                await asyncio.sleep(self.interval)
                event.clear()
                self.publish()
        finally:
            if self._event is event:
                self._event = None

    def close(self) -> None:
        """End every open stream (server shutdown); safe to call from any thread, more than once."""
        loop = self._loop
        if loop is None:
            return
        if threading.get_ident() == self._thread:
            self._close_streams()
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._close_streams)

    def _close_streams(self) -> None:
        self._closing = True
        for subscriber in self.subscribers:
            subscriber.closed = True
            subscriber.wake.set()

    # ── one stream ──────────────────────────────────────────────────────

    async def stream(self, scope: Any, receive: Any, send: Any) -> None:
        """ASGI app of ``GET /_mock/events``: ``hello``, then ``changed`` notices until the client or server goes."""
        subscriber = Subscriber()
        subscriber.closed = self._closing
        self.subscribers.add(subscriber)
        disconnect = asyncio.ensure_future(_wait_disconnect(receive))
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )
            hello = {"seq": self.seq, "topics": [], "clock": self.clock_info()}
            await _send_chunk(send, f"retry: {RETRY_MS}\n\n" + _event("hello", hello))
            while not subscriber.closed:
                waiter = asyncio.ensure_future(subscriber.wake.wait())
                done, _ = await asyncio.wait(
                    {waiter, disconnect}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if not waiter.done():
                    waiter.cancel()
                if disconnect in done:
                    return
                if not done:
                    await _send_chunk(send, ": keep-alive\n\n")
                    continue
                subscriber.wake.clear()
                if subscriber.pending:
                    await _send_chunk(send, _event("changed", subscriber.take()))
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:  # the client went away mid-write
            return
        finally:
            self.subscribers.discard(subscriber)
            disconnect.cancel()


async def _wait_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_chunk(send: Any, text: str) -> None:
    await send({"type": "http.response.body", "body": text.encode(), "more_body": True})


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\nid: {data['seq']}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
