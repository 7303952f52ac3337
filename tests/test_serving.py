"""Both HTTP servers behind mock_server.core.serving (issue 18): the same contract whichever runs the app.

``make_server(name, app)``: ``run(sockets=[sock])`` serves on the caller's socket, ``started`` once
the app's lifespan start-up completed, ``should_exit = True`` stops it gracefully (requests in
flight finish, the lifespan shutdown runs). No wall-clock assertions: order and outcomes only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest

from mock_server.core.serving import DEFAULT_SERVER, SERVERS, ServerThread, bind_socket, make_server

pytestmark = pytest.mark.parametrize("server", SERVERS)


class RecordingApp:
    """A raw ASGI app that records its lifespan and holds ``/slow`` until released."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.slow_started = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.events.append("startup")
                    await send({"type": "lifespan.startup.complete"})
                else:
                    self.events.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["path"] == "/slow":
            self.slow_started.set()
            while not self.release.is_set():  # bounded by the test's own timeout on the client
                await asyncio.sleep(0.01)
        body = scope["path"].encode()
        headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def test_serves_on_the_callers_port_after_the_lifespan_start_up(server: str) -> None:
    app = RecordingApp()
    with ServerThread(app, server=server) as running:
        assert app.events == ["startup"]
        r = httpx.get(running.base_url + "/hello", timeout=10)
        assert (r.status_code, r.text, r.headers["server"]) == (200, "/hello", server)
    assert app.events == ["startup", "shutdown"]
    assert not running.thread.is_alive()


def test_a_stop_lets_the_request_in_flight_finish(server: str) -> None:
    app = RecordingApp()
    outcome: dict[str, Any] = {}
    running = ServerThread(app, server=server).start()

    def slow_request() -> None:
        try:
            outcome["response"] = httpx.get(running.base_url + "/slow", timeout=20)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    client = threading.Thread(target=slow_request)
    client.start()
    assert app.slow_started.wait(20), "the slow request never reached the app"
    stopper = threading.Thread(target=running.stop, kwargs={"timeout": 20})
    stopper.start()
    for _ in range(2000):  # bounded: the stop has been asked for
        if running.server.should_exit:
            break
        time.sleep(0.005)
    time.sleep(0.2)  # and has begun (not an assertion: only makes the order below the likely one)
    app.release.set()  # the request finishes now, while the server is stopping
    client.join(20)
    stopper.join(20)
    assert "error" not in outcome, outcome
    assert (outcome["response"].status_code, outcome["response"].text) == (200, "/slow")
    assert app.events == ["startup", "shutdown"]
    assert not running.thread.is_alive()


def test_a_stop_asked_for_before_run_returns_without_serving(server: str) -> None:
    """The CLI sets ``should_exit`` when SIGINT/SIGTERM arrived during start-up, then calls ``run``."""
    app = RecordingApp()
    sock = bind_socket()
    sock.listen()
    try:
        instance = make_server(server, app)
        instance.should_exit = True
        finished = threading.Event()
        thread = threading.Thread(target=lambda: (instance.run(sockets=[sock]), finished.set()), daemon=True)
        thread.start()
        assert finished.wait(20), "run() did not return"
    finally:
        sock.close()
    assert app.events in ([], ["startup", "shutdown"])  # granian never starts; uvicorn starts and stops at once


def test_the_default_server_is_one_of_the_servers(server: str) -> None:
    assert DEFAULT_SERVER in SERVERS
    with pytest.raises(ValueError, match="unknown server 'nginx' \\(use granian or uvicorn\\)"):
        make_server("nginx", RecordingApp())


def test_a_failed_lifespan_start_up_stops_the_server(server: str) -> None:
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        raise RuntimeError("the app cannot start")

    with pytest.raises(RuntimeError, match="the server thread stopped during start-up"):
        ServerThread(failing, server=server).start()
