"""Serving an ASGI app on a socket: the CLI, the pytest plugin and the tests all go through here.

Two things are easy to get wrong and are done once here: the listening socket
is created with ``IPPROTO_TCP`` so asyncio sets TCP_NODELAY on accepted
connections (without it, keep-alive clients wait ~40 ms per request for
Nagle + delayed ACK), and a background server thread reports its port before
returning and stops within a bounded time.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn


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

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, startup_timeout: float = 10.0) -> None:
        self.sock = bind_socket(host, port)
        self.port: int = self.sock.getsockname()[1]
        self.host = host
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False)
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
