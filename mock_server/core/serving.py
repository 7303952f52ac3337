"""Serving an ASGI app on a socket: the CLI, the pytest plugin and the tests all go through here.

Three things are easy to get wrong and are done once here: the listening socket
is created with ``IPPROTO_TCP`` so asyncio sets TCP_NODELAY on accepted
connections (without it, keep-alive clients wait ~40 ms per request for
Nagle + delayed ACK); a background server thread reports its port before
returning and stops within a bounded time; and every connection is held to the
limits below (docs/security.md), which uvicorn alone does not enforce:

* a request head (request line and headers) larger than :data:`MAX_HEAD_BYTES` is
  answered ``431`` and the connection closed, before the headers are kept anywhere
  (an 8 MiB header used to be accepted, and journaled);
* a connection must deliver a complete request head within :data:`HEAD_TIMEOUT`
  seconds of opening (or of starting a request): silent and slow-loris connections
  are closed (``408`` if part of a head arrived), so they cannot pile up until the
  process runs out of file descriptors;
* an idle keep-alive connection is closed after :data:`KEEP_ALIVE_TIMEOUT` seconds;
* errors uvicorn answers by itself (a malformed request) are JSON ``{"error": ...}``
  like the mock's own, instead of plain text.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from typing import Any

import uvicorn

MAX_HEAD_BYTES = 32 * 1024  # request line + header names and values; beyond it: 431
HEAD_TIMEOUT = 10.0  # seconds for a complete request head, from connect or from its first byte
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle keep-alive connection stays open (uvicorn's timeout_keep_alive)


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a request head over the limit."""


def _error_bytes(status: int, reason: str, message: str) -> bytes:
    body = json.dumps({"error": message}).encode()
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    return head.encode("latin-1") + body


def guarded_protocol(max_head_bytes: int = MAX_HEAD_BYTES, head_timeout: float = HEAD_TIMEOUT) -> Any:
    """uvicorn's httptools protocol with the head limits above, or None when httptools is not installed."""
    try:
        import httptools
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is a dependency; h11 then gets its own size limit
        return None

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _head_timer: asyncio.TimerHandle | None = None
        _head_bytes = 0

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_head_timer()
            super().connection_lost(exc)

        def _arm_head_timer(self) -> None:
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(head_timeout, self._head_timed_out)

        def _disarm_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timed_out(self) -> None:
            self._head_timer = None
            if self.transport.is_closing():
                return
            if self._head_bytes:
                message = f"request head not received within {head_timeout:g} s"
                self.transport.write(_error_bytes(408, "Request Timeout", message))
            self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_bytes = 0
            self._arm_head_timer()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def _count(self, size: int) -> None:
            self._head_bytes += size
            if self._head_bytes > max_head_bytes:
                raise _HeadTooLarge

        def on_headers_complete(self) -> None:
            self._disarm_head_timer()
            super().on_headers_complete()

        def data_received(self, data: bytes) -> None:
            self._unset_keepalive_if_required()
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserCallbackError as exc:
                if not isinstance(exc.__context__, _HeadTooLarge):
                    raise
                if self.headers:  # the URL fitted: the headers did not
                    message = f"Request header fields too large (limit {max_head_bytes} bytes for the request line and headers)"
                    self.transport.write(_error_bytes(431, "Request Header Fields Too Large", message))
                else:
                    message = f"Request URI too long (limit {max_head_bytes} bytes for the request line and headers)"
                    self.transport.write(_error_bytes(414, "URI Too Long", message))
                self.transport.close()
            except httptools.HttpParserUpgrade:
                if self._should_upgrade():
                    self.handle_websocket_upgrade()
                else:
                    self._unsupported_upgrade_warning()
            except httptools.HttpParserError:
                self.send_400_response("Invalid HTTP request received.")

        def send_400_response(self, msg: str) -> None:
            self._disarm_head_timer()
            self.transport.write(_error_bytes(400, "Bad Request", msg))
            self.transport.close()

    return GuardedHttpToolsProtocol


def server_config(
    app: Any,
    *,
    max_head_bytes: int = MAX_HEAD_BYTES,
    head_timeout: float = HEAD_TIMEOUT,
    keep_alive_timeout: int = KEEP_ALIVE_TIMEOUT,
    **kwargs: Any,
) -> uvicorn.Config:
    """A uvicorn config with the mock's connection limits (the module docstring), plus uvicorn ``kwargs``."""
    protocol = guarded_protocol(max_head_bytes, head_timeout)
    settings: dict[str, Any] = {
        "timeout_keep_alive": keep_alive_timeout,
        "h11_max_incomplete_event_size": max_head_bytes,
        "access_log": False,
        "lifespan": "on",
    }
    if protocol is not None:
        settings["http"] = protocol
    settings.update(kwargs)
    return uvicorn.Config(app, **settings)


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A bound TCP socket (port 0 = any free port); raises OSError when the address is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class StreamClosingServer(uvicorn.Server):
    """uvicorn, plus: open event streams end as soon as shutdown starts.

    uvicorn waits for every open response (up to ``timeout_graceful_shutdown``) before it
    runs the lifespan shutdown, and a dashboard's ``GET /_mock/events`` never ends by itself;
    so the app's ``close_streams()`` (when it has one) is called first, and stopping stays prompt.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        close = getattr(self.config.app, "close_streams", None)
        if close is not None:
            close()
        await super().shutdown(sockets)


class QuietExitServer(StreamClosingServer):
    """uvicorn re-raises SIGINT/SIGTERM after a graceful shutdown (exit 130/143);
    a mock stopped on purpose should exit 0, so the captured signals are dropped.

    ``on_started`` runs once the server accepts connections (the CLI's ``--json`` line and
    ``--url-file``), unless a stop was requested during start-up.
    """

    def __init__(self, config: uvicorn.Config, on_started: Any = None) -> None:
        super().__init__(config)
        self.on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit and self.on_started is not None:
            self.on_started()

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


class ServerThread:
    """Run ``app`` under uvicorn in a daemon thread on 127.0.0.1 and a free port.

    ``with ServerThread(app) as server: server.base_url`` — the server is
    accepting connections when the block starts and stopped when it ends.
    """

    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0, **limits: Any
    ) -> None:
        """``limits``: :func:`server_config`'s ``max_head_bytes``, ``head_timeout``, ``keep_alive_timeout``."""
        self.sock = bind_socket(host, port)
        self.port: int = self.sock.getsockname()[1]
        self.host = host
        config = server_config(app, log_level="warning", timeout_graceful_shutdown=1, **limits)
        self.server = StreamClosingServer(config)
        self.startup_timeout = startup_timeout
        self.thread = threading.Thread(target=self._run, name=f"uphunt-mock:{self.port}", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the server thread stopped during start-up")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start within {self.startup_timeout} s")
            time.sleep(0.001)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
