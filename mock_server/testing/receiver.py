"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what the mock delivers.

    receiver = WebhookReceiver().start()
    mock.put_account(webhookUrl=receiver.url)
    ...                                      # apply, advance: the mock delivers
    assert receiver.delivery_ids == [d["deliveryId"] for d in mock.deliveries]
    receiver.fail_next(2, "500")             # the next two deliveries get a 500 (then "timeout", "close")

The pytest plugin's ``uphunt_mock_webhooks`` fixture is one of these, pointed at by the test's
account. It is a thread per connection over :mod:`socketserver`, with :mod:`h11` (the HTTP/1.1
parser httpx itself uses) reading requests, so it can do what an ASGI app cannot: close a
connection without a response, or hold a request until the mock gives up on it.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import h11

Failure = Literal["500", "timeout", "close"]
MAX_HOLD_SECONDS = 60.0  # a "timeout" answer holds the request at most this long (the mock gives up sooner)


@dataclass
class ReceivedEvent:
    """One request the receiver got: what it carried and how it was answered."""

    delivery_id: str | None  # the vendor's delivery header (X-UpHunt-Delivery): the same on every retry
    event_type: str | None  # the vendor's event header, else the body's "type"
    body: Any  # the JSON body (raw text if it is not JSON)
    headers: dict[str, str]
    path: str
    answer: int | Failure  # the status sent, or "timeout" / "close" when none was
    received_at: float = field(default_factory=time.monotonic)  # real time, for ordering

    @property
    def accepted(self) -> bool:
        return isinstance(self.answer, int) and 200 <= self.answer < 300


class WebhookReceiver:
    """Records deliveries; answers 204 unless told to fail the next N (:meth:`fail_next`)."""

    def __init__(self, host: str = "127.0.0.1", path: str = "/hooks") -> None:
        self.host = host
        self.path = path
        self.requests: list[ReceivedEvent] = []  # every request, in arrival order
        self._lock = threading.Condition()
        self._failures: list[tuple[Failure, int]] = []  # (how, status), consumed one per request
        self._server: _Server | None = None
        self._stopping = threading.Event()

    # ── lifecycle ──

    def start(self) -> WebhookReceiver:
        self._server = _Server((self.host, 0), _Connection, self)
        threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"webhook-receiver:{self.port}",
        ).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the receiver first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Give this to the account: ``mock.put_account(webhookUrl=receiver.url)``."""
        return f"http://{self.host}:{self.port}{self.path}"

    # ── behaviour ──

    def fail_next(self, count: int = 1, how: Failure = "500", status: int = 500) -> None:
        """Answer the next ``count`` requests with ``status`` ("500"), no answer until the mock's
        attempt times out ("timeout": keep ``settings.webhooks.timeoutSeconds`` small in the test's
        world, it is real time), or a closed connection ("close"). Then 204 again."""
        if how not in ("500", "timeout", "close"):
            raise ValueError(f"how must be '500', 'timeout' or 'close', got {how!r}")
        with self._lock:
            self._failures += [(how, status)] * count

    def clear(self) -> None:
        """Forget what was received and any pending failures."""
        with self._lock:
            self.requests.clear()
            self._failures.clear()

    # ── what was received ──

    @property
    def events(self) -> list[ReceivedEvent]:
        """Requests answered 2xx (what a real receiver would have processed), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.accepted]

    @property
    def delivery_ids(self) -> list[str | None]:
        """Delivery ids of the accepted events, in arrival order (duplicates included)."""
        return [e.delivery_id for e in self.events]

    @property
    def duplicates(self) -> dict[str, int]:
        """Delivery ids accepted more than once, with how many times (what a receiver's dedupe must catch)."""
        counts: dict[str, int] = {}
        for delivery_id in self.delivery_ids:
            if delivery_id is not None:
                counts[delivery_id] = counts.get(delivery_id, 0) + 1
        return {k: n for k, n in counts.items() if n > 1}

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedEvent]:
        """Block (real time, bounded) until ``count`` events were accepted: for real and scaled clocks.
        On the manual clock ``mock.advance`` returns only after the attempts it started completed."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while sum(1 for r in self.requests if r.accepted) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{count} webhook event(s) expected within {timeout} s, got {len(self.events)}"
                    )
                self._lock.wait(left)
            return [r for r in self.requests if r.accepted]

    # ── called by the connection threads ──

    def _next_answer(self) -> tuple[Failure | None, int]:
        with self._lock:
            return self._failures.pop(0) if self._failures else (None, 204)

    def _record(self, event: ReceivedEvent) -> None:
        with self._lock:
            self.requests.append(event)
            self._lock.notify_all()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        super().__init__(address, handler)


class _Connection(socketserver.BaseRequestHandler):
    """One connection, one request: read it with h11, answer as the receiver says, close."""

    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(1.0)
        conn = h11.Connection(h11.SERVER)
        receiver = self.server.receiver
        for _ in range(1):  # one request per connection (see below)
            request = self._read_request(conn, sock, receiver)
            if request is None:
                return
            head, body = request
            how, status = receiver._next_answer()
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in head.headers}
            event = ReceivedEvent(
                delivery_id=next((v for k, v in headers.items() if k.endswith("-delivery")), None),
                event_type=next((v for k, v in headers.items() if k.endswith("-event")), None),
                body=_json_or_text(body),
                headers=headers,
                path=head.target.decode("latin-1"),
                answer=how if how in ("timeout", "close") else status,
            )
            if event.event_type is None and isinstance(event.body, dict):
                event.event_type = event.body.get("type")
            receiver._record(event)
            if how == "close":
                return  # not a byte of response: the mock sees the connection end
            if how == "timeout":
                self._hold(sock, receiver)
                return
            # One request per connection: each attempt of the mock is a fresh connection, so an
            # answer ("close" included) is always that attempt's, never a pooled connection's.
            headers_out = [("content-length", "0"), ("connection", "close")]
            sock.sendall(conn.send(h11.Response(status_code=status, headers=headers_out)))
            sock.sendall(conn.send(h11.EndOfMessage()))
            return

    @staticmethod
    def _read_request(
        conn: h11.Connection, sock: socket.socket, receiver: WebhookReceiver
    ) -> tuple[h11.Request, bytes] | None:
        head: h11.Request | None = None
        body = b""
        for _ in range(100_000):  # events of one request (bounded)
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                return None
            if event is h11.NEED_DATA:
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    if receiver._stopping.is_set():
                        return None
                    continue
                except OSError:
                    return None
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                head = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return (head, body) if head is not None else None
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None
        return None

    @staticmethod
    def _hold(sock: socket.socket, receiver: WebhookReceiver) -> None:
        """No answer: wait until the mock gives up (closes its end), the receiver stops, or the cap."""
        deadline = time.monotonic() + MAX_HOLD_SECONDS
        while time.monotonic() < deadline and not receiver._stopping.is_set():
            try:
                if sock.recv(65536) == b"":
                    return
            except TimeoutError:
                continue
            except OSError:
                return


def _json_or_text(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")
