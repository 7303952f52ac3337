"""Serving an ASGI app on a socket: the CLI, the pytest plugin and the tests all go through here.

Two HTTP servers can run the app, chosen by name (:data:`SERVERS`; ``serve --server``):
``granian`` (the default: a Rust HTTP server for ASGI apps; under concurrent load up to 1.6x
uvicorn's throughput, bench/RESULTS.md) and ``uvicorn`` (with httptools and uvloop; a little
quicker for a strictly sequential client). Both are driven the same
way: ``server = make_server(name, app)``, ``server.run(sockets=[sock])`` blocks until
``server.should_exit = True``, then shuts down gracefully (in-flight requests finish, the app's
lifespan shutdown runs) within a bounded time; ``server.started`` turns true once the app's
lifespan start-up is done.

Three things are easy to get wrong and are done once here: the listening socket
is created with ``IPPROTO_TCP`` so asyncio sets TCP_NODELAY on accepted
connections (without it, keep-alive clients wait ~40 ms per request for
Nagle + delayed ACK); a background server thread reports its port before
returning and stops within a bounded time; and every connection is held to the
limits below (docs/security.md), which neither server enforces with its defaults:

* a request head (request line and headers) larger than :data:`MAX_HEAD_BYTES` is
  answered ``431`` and the connection closed, before the headers are kept anywhere
  (an 8 MiB header used to be accepted, and journaled);
* a connection must deliver a complete request head within :data:`HEAD_TIMEOUT`
  seconds of opening (or of starting a request): silent and slow-loris connections
  are closed, so they cannot pile up until the process runs out of file descriptors;
* an idle keep-alive connection is closed after :data:`KEEP_ALIVE_TIMEOUT` seconds.

How each server does it, and the few ways their answers differ (the tests in
tests/test_serving_limits.py pin both):

* uvicorn: a subclass of its httptools protocol (:func:`guarded_protocol`) counts the head's
  bytes as they are parsed: exactly :data:`MAX_HEAD_BYTES`, ``414`` when the request line alone
  is over it, ``408`` to a head that started and did not finish in time, and JSON
  ``{"error": ...}`` bodies for these and for a malformed request, like the mock's own errors.
* granian: hyper, its Rust HTTP side, checks its read buffer (:data:`MAX_HEAD_BYTES`) after each
  read, so a head is refused (``431``, empty body; the request line too) once it is past that
  buffer and one more read, at most twice the limit: heads up to :data:`MAX_HEAD_BYTES` are
  always served, heads of twice that never; hyper also refuses more than 100 header lines. Its
  one head timer also runs while a keep-alive connection is idle, so it is set to the shorter of
  the two timeouts (5 s), and an unfinished head is closed without a ``408``; a malformed request
  gets ``400`` with an empty body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn

SERVERS = ("granian", "uvicorn")
DEFAULT_SERVER = os.environ.get("UPHUNT_MOCK_SERVER", "granian")
"""``serve``'s and :class:`ServerThread`'s server; the environment variable picks another for a
whole test run (``UPHUNT_MOCK_SERVER=uvicorn pytest``), so the suite can prove either."""
GRACEFUL_SHUTDOWN_S = 2.0

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


class GranianServer:
    """``app`` under granian, embedded in this process: Rust does the HTTP, this thread's event
    loop (uvloop when installed) runs the app. Same interface as :class:`uvicorn.Server` for
    what this project uses of it (``run``, ``started``, ``should_exit``).

    The socket is the caller's (bound and listening already, so ``--port 0`` knows its port and
    connections queue from the moment the URL is printed); granian is handed its descriptor.
    Setting ``should_exit`` from a signal handler or another thread stops the server: granian
    stops accepting, finishes the requests in flight, then the app's lifespan shutdown runs.
    Requests still running after ``graceful_timeout`` seconds are cancelled.
    """

    def __init__(
        self,
        app: Any,
        log_level: str = "warning",
        graceful_timeout: float = GRACEFUL_SHUTDOWN_S,
        on_started: Callable[[], None] | None = None,
        *,
        max_head_bytes: int = MAX_HEAD_BYTES,
        head_timeout: float = HEAD_TIMEOUT,
        keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT,
    ) -> None:
        """The limits are the module docstring's; granian has one timer for both timeouts (the shorter)."""
        self.inner_app = app
        self.max_buffer_size = max(8192, max_head_bytes)  # hyper's smallest read buffer
        self.head_read_timeout_ms = max(1, round(min(head_timeout, keep_alive_timeout) * 1000))
        self.app = _LifespanWatch(app, self._mark_started)
        self.on_started = on_started
        self.log_level = log_level
        self.graceful_timeout = graceful_timeout
        self.started = False
        self._should_exit = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._granian: Any = None

    def _mark_started(self) -> None:
        self.started = True
        if not self._should_exit and self.on_started is not None:
            self.on_started()

    @property
    def should_exit(self) -> bool:
        return self._should_exit

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        self._should_exit = value
        loop = self._loop
        if value and loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed already: nothing left to stop
                loop.call_soon_threadsafe(self._stop)

    def _stop(self) -> None:
        # Open event streams (the dashboard's GET /_mock/events) never end by themselves: end them
        # first, so the graceful stop does not wait for them (what StreamClosingServer does for uvicorn).
        close = getattr(self.inner_app, "close_streams", None)
        if close is not None:
            close()
        if self._granian is not None:
            self._granian.stop()

    def run(self, sockets: list[socket.socket]) -> None:
        (sock,) = sockets
        loop = _new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve(sock))
        finally:
            self._loop = None
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            asyncio.set_event_loop(None)
        if not self.started and not self._should_exit:
            raise SystemExit(3)  # the app's lifespan start-up failed (granian logged why): uvicorn's exit code

    async def _serve(self, sock: socket.socket) -> None:
        from granian.constants import HTTPModes, Interfaces
        from granian.errors import FatalError
        from granian.http import HTTP1Settings
        from granian.server.embed import Server

        class _OnSocket(Server):
            """Serves on the caller's socket instead of binding one of its own."""

            def _init_shared_socket(self) -> None:
                from granian._granian import SocketHolder

                self._ssp = None
                # A duplicate descriptor: granian closes the one it holds when it stops, the caller closes its own.
                # granian's stubs lag its 2.x constructor (fd, is_unix, backlog); tests/test_serving.py covers it
                self._shd = SocketHolder(os.dup(sock.fileno()), False, self.backlog)  # type: ignore[call-arg,assignment]

        granian = _OnSocket(
            self.app,
            interface=Interfaces.ASGI,
            http=HTTPModes.http1,  # what uvicorn speaks too: the same mock whichever server runs it
            websockets=False,
            http1_settings=HTTP1Settings(
                header_read_timeout=self.head_read_timeout_ms, max_buffer_size=self.max_buffer_size
            ),
            log_level=_granian_level(self.log_level),
            log_dictconfig=_GRANIAN_LOGGING,
        )
        _quiet_granian_logs()
        granian.workers_kill_timeout = math.ceil(self.graceful_timeout)
        self._granian = granian
        self._loop = asyncio.get_running_loop()
        if self._should_exit:  # a stop asked for before the loop ran
            return
        # Requests past the graceful timeout were cancelled (TimeoutError); a failed lifespan start-up
        # ends the worker with FatalError (logged by granian; run() then exits 3).
        with contextlib.suppress(asyncio.TimeoutError, FatalError):
            await granian.serve()


class _LifespanWatch:
    """The app, plus a callback once its lifespan start-up completed (granian has no ``started``).

    An app that raises during start-up without answering is reported as a failed start-up, so
    granian stops (as uvicorn does with ``lifespan="on"``) instead of serving without a lifespan.
    """

    def __init__(self, app: Any, on_startup: Any) -> None:
        self.app = app
        self.on_startup = on_startup

    def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "lifespan":
            return self.app(scope, receive, send)  # the app's own coroutine: no extra frame per request
        return self._lifespan(scope, receive, send)

    async def _lifespan(self, scope: Any, receive: Any, send: Any) -> None:
        answered = False

        async def watched_send(message: Any) -> None:
            nonlocal answered
            await send(message)
            if message["type"].startswith("lifespan.startup."):
                answered = True
            if message["type"] == "lifespan.startup.complete":
                self.on_startup()

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if answered:
                raise
            await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:  # Windows
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _granian_level(level: str) -> Any:
    from granian.log import LogLevels

    return LogLevels(level.lower()) if level.lower() in LogLevels.__members__ else LogLevels.warning


class _NotExperimental(logging.Filter):
    """granian calls its embedded server experimental, at WARNING, on every start: not news to a mock's user."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "experimental" not in record.getMessage()


# granian logs to stdout by default: here its lines go to stderr, so stdout stays the CLI's (``--json``).
_GRANIAN_LOGGING = {
    "handlers": {
        "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    }
}


def _quiet_granian_logs() -> None:
    logger = logging.getLogger("_granian")
    if not any(isinstance(f, _NotExperimental) for f in logger.filters):
        logger.addFilter(_NotExperimental())


def make_server(
    name: str,
    app: Any,
    log_level: str = "warning",
    graceful_timeout: float = GRACEFUL_SHUTDOWN_S,
    on_started: Callable[[], None] | None = None,
    **limits: Any,
) -> Any:
    """The server called ``name`` (one of :data:`SERVERS`) for ``app``, ready to ``run(sockets=[sock])``.

    ``limits``: ``max_head_bytes``, ``head_timeout``, ``keep_alive_timeout`` (the module docstring
    says how each server holds a connection to them), and for uvicorn any :func:`server_config` keyword.

    ``on_started`` runs once the server accepts connections (the CLI's ``--json`` line and
    ``--url-file``), unless a stop was requested during start-up.
    """
    if name == "granian":
        return GranianServer(
            app, log_level=log_level, graceful_timeout=graceful_timeout, on_started=on_started, **limits
        )
    if name == "uvicorn":
        # with the connection limits (head size 431/414, head timeout 408, keep-alive): docs/security.md
        config = server_config(
            app, log_level=log_level, timeout_graceful_shutdown=math.ceil(graceful_timeout), **limits
        )
        return QuietExitServer(config, on_started=on_started)
    raise ValueError(f"unknown server {name!r} (use {' or '.join(SERVERS)})")


class ServerThread:
    """Run ``app`` in a daemon thread on 127.0.0.1 and a free port (under :data:`DEFAULT_SERVER`).

    ``with ServerThread(app) as server: server.base_url`` — the server is
    accepting connections when the block starts and stopped when it ends.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 10.0,
        server: str | None = None,
        **limits: Any,
    ) -> None:
        """``limits``: ``max_head_bytes``, ``head_timeout``, ``keep_alive_timeout`` (:func:`make_server`)."""
        self.sock = bind_socket(host, port)
        self.sock.listen(2048)
        self.port: int = self.sock.getsockname()[1]
        self.host = host
        self.server = make_server(server or DEFAULT_SERVER, app, graceful_timeout=1.0, **limits)
        self.startup_timeout = startup_timeout
        self.thread = threading.Thread(target=self._run, name=f"uphunt-mock:{self.port}", daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        with contextlib.suppress(SystemExit):  # a failed start-up: start() reports it
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
