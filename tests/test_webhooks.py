"""Webhook delivery against a real receiver (docs/decisions.md #13, openapi/uphunt.yaml `webhooks:`).

A small Starlette receiver runs under uvicorn on a free 127.0.0.1 port for the
whole module; each test serves its own mock (manual clock, fixed latency: an
application applied at the epoch ends 6 s later) the same way and drives it
over HTTP only. Retry times are simulated: the tests advance the clock, they
never sleep for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.core.app import create_app
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread
from mock_server.core.webhooks import USER_AGENT
from mock_server.vendors.uphunt.world import World, merge_worlds, parse_world_text

OPENAPI = Path(__file__).resolve().parent.parent / "openapi"
DEMO_KEY = "sk_uphunt_demo_key"
DEMO = {"x-api-key": DEMO_KEY}
APPLIED_JOBS = ["~022053140178050136031", "~022052895097657407455", "~022055000000000000003", "~022055000000000000002"]
CLOSED_JOB = "~022040846723050472167"  # ends not_available -> application.failed
T0 = int(DEFAULT_MANUAL_EPOCH * 1000)
TERMINAL = T0 + 6000  # pickup 1 s + submission 5 s
DLV = re.compile(r"^dlv_[0-9a-f]{32}$")


# ── the receiver ─────────────────────────────────────────────────────────


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def delivery(self) -> str:
        return self.headers["x-uphunt-delivery"]

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """POST /hooks/ok -> 204; /hooks/flaky -> 500 twice per delivery id, then 200; /hooks/slow -> 200 after `hang` s."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.hang = 1.0
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hooks/{mode}", self.endpoint, methods=["POST"])])

    async def endpoint(self, request: Request) -> Response:
        hit = Hit(request.url.path, dict(request.headers), await request.body())
        with self.lock:
            self.hits.append(hit)
            seen = sum(1 for h in self.hits if h.delivery == hit.delivery)
        mode = request.path_params["mode"]
        if mode == "flaky" and seen <= 2:
            return Response(status_code=500)
        if mode == "slow":
            await asyncio.sleep(self.hang)
            return Response(status_code=200)
        return Response(status_code=204 if mode == "ok" else 200)


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with ServerThread(receiver.app) as server:
        yield receiver, server.base_url


@pytest.fixture
def receiver(receiver_server: tuple[Receiver, str]) -> tuple[Receiver, str]:
    rec, base = receiver_server
    rec.hits.clear()
    rec.hang = 1.0
    return rec, base


# ── the mock ─────────────────────────────────────────────────────────────


def fixed(seconds: float) -> dict[str, float]:
    return {"median": seconds, "p95": seconds, "low": seconds, "high": seconds}


def make_world(webhooks: dict[str, Any] | None = None, accounts: list[dict[str, Any]] | None = None) -> World:
    overlay: dict[str, Any] = {
        "settings": {
            "pacingSeconds": 0,
            "latency": {"pickup": fixed(1), "submission": fixed(5)},
            "rateLimits": {"enabled": False},
            "webhooks": webhooks or {},
        }
    }
    if accounts:
        overlay["accounts"] = accounts
    data = parse_world_text(yaml.safe_dump(overlay), "<test overlay>")
    return World(merge_worlds(World.default().data, data))


@dataclass
class Mock:
    rt: Runtime
    http: httpx.Client

    def apply(self, job: str) -> str:
        r = self.http.post("/api/auto-apply-v2/apply", headers=DEMO, json={"jobId": job, "coverLetter": "Hello"})
        assert r.status_code == 200, r.text
        return r.json()["queueId"]

    def advance(self, seconds: float) -> dict[str, Any]:
        r = self.http.post("/_mock/clock/advance", json={"seconds": seconds})
        assert r.status_code == 200, r.text
        return r.json()

    def set_url(self, url: str | None) -> None:
        r = self.http.put(f"/_mock/accounts/{DEMO_KEY}", json={"webhookUrl": url})
        assert r.status_code == 200, r.text
        assert r.json()["webhookUrl"] == url

    def deliveries(self) -> list[dict[str, Any]]:
        r = self.http.get("/_mock/webhooks/deliveries")
        assert r.status_code == 200
        body = r.json()
        errors = list(control_validator("DeliveryList").iter_errors(body))
        assert not errors, errors[0].message
        return body["deliveries"]


@contextlib.contextmanager
def serve_mock(world: World | None = None) -> Iterator[Mock]:
    rt = Runtime(world or make_world(), clock="manual")
    with ServerThread(create_app(rt)) as server, httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield Mock(rt, http)


@functools.cache
def load_spec(spec_file: str) -> dict[str, Any]:
    return yaml.safe_load((OPENAPI / spec_file).read_text())


@functools.cache
def control_validator(name: str) -> Draft202012Validator:
    """Validates a value against control.yaml's ``components.schemas[name]``."""
    spec = load_spec("control.yaml")
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


@functools.cache
def webhook_validator(event_type: str) -> Draft202012Validator:
    """Validates a body against the request schema of uphunt.yaml's ``webhooks[event_type]``."""
    spec = load_spec("uphunt.yaml")
    schema = spec["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": spec["components"]})


def refused_url() -> str:
    """A 127.0.0.1 URL where nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


# ── tests ────────────────────────────────────────────────────────────────


def test_events_arrive_with_the_spec_body_and_headers(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    url = f"{base}/hooks/ok"
    world = make_world(accounts=[{"apiKey": DEMO_KEY, "agencyId": "agency_demo", "credits": 100, "webhookUrl": url}])
    with serve_mock(world) as mock:
        applied_q, failed_q = mock.apply(APPLIED_JOBS[0]), mock.apply(CLOSED_JOB)
        mock.advance(5.999)
        assert rec.hits == [] and mock.deliveries() == []
        mock.advance(0.001)
        assert len(rec.hits) == 2
        by_queue = {h.json()["data"]["queueId"]: h for h in rec.hits}
        assert set(by_queue) == {applied_q, failed_q}
        for queue_id, event_type in ((applied_q, "application.applied"), (failed_q, "application.failed")):
            hit = by_queue[queue_id]
            body = hit.json()
            errors = list(webhook_validator(event_type).iter_errors(body))
            assert not errors, errors[0].message
            assert hit.path == "/hooks/ok"
            assert hit.headers["content-type"] == "application/json"
            assert hit.headers["x-uphunt-event"] == event_type == body["type"]
            assert hit.headers["user-agent"] == USER_AGENT == "uphunt-mock-webhooks/1"
            assert DLV.match(hit.delivery)
            assert body["createdAt"] == TERMINAL
            status = mock.http.get("/api/auto-apply-v2/status", headers=DEMO, params={"queueId": queue_id})
            assert body["data"] == status.json()
        assert by_queue[failed_q].json()["data"]["applicationStatus"] == "not_available"
        assert by_queue[applied_q].delivery != by_queue[failed_q].delivery
        log = {d["queueId"]: d for d in mock.deliveries()}
        for queue_id, hit in by_queue.items():
            assert log[queue_id] == {
                "deliveryId": hit.delivery,
                "eventId": hit.json()["id"],
                "eventType": hit.json()["type"],
                "url": url,
                "queueId": queue_id,
                "state": "delivered",
                "attempts": [
                    {
                        "attempt": 1,
                        "at": TERMINAL,
                        "status": 204,
                        "latencyMs": log[queue_id]["attempts"][0]["latencyMs"],
                        "error": None,
                    }
                ],
                "nextAttemptAt": None,
                "copy": 0,
                "held": False,
            }


def test_a_url_that_is_not_http_is_refused_with_a_clear_error(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.set_url(f"{base}/hooks/ok")
        for bad in ("ftp://127.0.0.1/hooks", "127.0.0.1:9000/hooks", "http://", "file:///etc/passwd"):
            r = mock.http.put(f"/_mock/accounts/{DEMO_KEY}", json={"webhookUrl": bad})
            assert r.status_code == 422
            assert r.json() == {
                "error": "webhookUrl must be an absolute http:// or https:// URL with a host "
                f"(e.g. http://127.0.0.1:9000/hooks/uphunt), got {bad!r}"
            }
        assert mock.http.get(f"/_mock/accounts/{DEMO_KEY}").json()["webhookUrl"] == f"{base}/hooks/ok"
        # null switches webhooks off
        mock.set_url(None)
        mock.apply(APPLIED_JOBS[0])
        mock.advance(60)
        assert rec.hits == [] and mock.deliveries() == []


def test_a_receiver_failing_twice_gets_three_attempts_with_one_delivery_id(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.set_url(f"{base}/hooks/flaky")
        mock.apply(APPLIED_JOBS[0])
        mock.advance(6)
        [d] = mock.deliveries()
        assert [(a["attempt"], a["at"], a["status"], a["error"]) for a in d["attempts"]] == [(1, TERMINAL, 500, None)]
        assert (d["state"], d["nextAttemptAt"]) == ("pending", TERMINAL + 10_000)
        mock.advance(9.5)
        assert len(rec.hits) == 1 and len(mock.deliveries()[0]["attempts"]) == 1
        mock.advance(0.5)
        [d] = mock.deliveries()
        assert [(a["at"], a["status"]) for a in d["attempts"]] == [(TERMINAL, 500), (TERMINAL + 10_000, 500)]
        assert (d["state"], d["nextAttemptAt"]) == ("pending", TERMINAL + 30_000)
        mock.advance(19.5)
        assert len(rec.hits) == 2
        mock.advance(0.5)
        [d] = mock.deliveries()
        assert [(a["attempt"], a["at"], a["status"]) for a in d["attempts"]] == [
            (1, TERMINAL, 500),
            (2, TERMINAL + 10_000, 500),
            (3, TERMINAL + 30_000, 200),
        ]
        assert (d["state"], d["nextAttemptAt"]) == ("delivered", None)
        assert [h.delivery for h in rec.hits] == [d["deliveryId"]] * 3
        assert len({h.body for h in rec.hits}) == 1
        mock.advance(3600)
        assert len(rec.hits) == 3


def test_one_advance_runs_every_retry_that_falls_due_within_it(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.set_url(f"{base}/hooks/flaky")
        mock.apply(APPLIED_JOBS[0])
        result = mock.advance(100)
        assert result["now"] == T0 + 100_000
        [d] = mock.deliveries()
        assert [(a["at"], a["status"]) for a in d["attempts"]] == [
            (TERMINAL, 500),
            (TERMINAL + 10_000, 500),
            (TERMINAL + 30_000, 200),
        ]
        assert d["state"] == "delivered" and len(rec.hits) == 3


def test_a_receiver_down_throughout_ends_failed_after_the_configured_attempts() -> None:
    world = make_world(webhooks={"maxAttempts": 3, "baseDelaySeconds": 2})
    url = refused_url()
    with serve_mock(world) as mock:
        mock.set_url(url)
        mock.apply(APPLIED_JOBS[0])
        mock.advance(6)
        [d] = mock.deliveries()
        assert (d["state"], len(d["attempts"]), d["nextAttemptAt"]) == ("pending", 1, TERMINAL + 2000)
        mock.advance(3600)
        [d] = mock.deliveries()
        assert d["url"] == url
        assert [a["at"] for a in d["attempts"]] == [TERMINAL, TERMINAL + 2000, TERMINAL + 6000]
        for a in d["attempts"]:
            assert a["status"] is None
            assert a["error"] == "connection failed: connection refused"
        assert (d["state"], d["nextAttemptAt"]) == ("failed", None)
        mock.advance(86_400)
        assert len(mock.deliveries()[0]["attempts"]) == 3


def test_default_schedule_is_five_attempts_10_20_40_80_seconds_apart() -> None:
    with serve_mock() as mock:
        mock.set_url(refused_url())
        mock.apply(APPLIED_JOBS[0])
        mock.advance(1000)
        [d] = mock.deliveries()
        assert [a["at"] - TERMINAL for a in d["attempts"]] == [0, 10_000, 30_000, 70_000, 150_000]
        assert d["state"] == "failed"


def test_a_timeout_counts_as_a_failed_attempt(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    rec.hang = 1.0
    world = make_world(webhooks={"maxAttempts": 2, "timeoutSeconds": 0.25})
    with serve_mock(world) as mock:
        mock.set_url(f"{base}/hooks/slow")
        mock.apply(APPLIED_JOBS[0])
        mock.advance(6)
        [d] = mock.deliveries()
        [a] = d["attempts"]
        assert (a["status"], a["error"]) == (None, "timeout after 0.25 s")
        assert 250 <= a["latencyMs"] < 900
        assert (d["state"], d["nextAttemptAt"]) == ("pending", TERMINAL + 10_000)
        mock.advance(10)
        [d] = mock.deliveries()
        assert [(x["at"], x["error"]) for x in d["attempts"]] == [
            (TERMINAL, "timeout after 0.25 s"),
            (TERMINAL + 10_000, "timeout after 0.25 s"),
        ]
        assert d["state"] == "failed"
        # at-least-once: the receiver saw both attempts, with the same delivery id to dedupe on
        assert [h.delivery for h in rec.hits] == [d["deliveryId"]] * 2


def test_the_api_stays_responsive_while_a_receiver_hangs(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    rec.hang = 2.0
    with serve_mock() as mock:
        mock.set_url(f"{base}/hooks/slow")
        queue_id = mock.apply(APPLIED_JOBS[0])
        advanced: dict[str, float] = {}

        def advance() -> None:
            started = time.perf_counter()
            with httpx.Client(base_url=str(mock.http.base_url), timeout=10) as other:
                assert other.post("/_mock/clock/advance", json={"seconds": 6}).status_code == 200
            advanced["took"] = time.perf_counter() - started

        thread = threading.Thread(target=advance)
        thread.start()
        deadline = time.monotonic() + 5
        while not rec.hits and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rec.hits) == 1  # the attempt is in flight, the receiver is sleeping
        for _ in range(20):
            r = mock.http.get("/api/auto-apply-v2/status", headers=DEMO, params={"queueId": queue_id})
            assert r.status_code == 200 and r.json()["applicationStatus"] == "applied"
        # All 20 answers came while the attempt was still hanging (no wall-clock bound needed):
        # the advance that waits for it has not returned yet.
        assert thread.is_alive(), "the API answered only after the hanging webhook attempt ended"
        thread.join(10)
        assert advanced["took"] >= 1.0  # advance returned only once the attempt completed
        [d] = mock.deliveries()
        assert d["state"] == "delivered" and d["attempts"][0]["status"] == 200


def test_nothing_is_delivered_twice_without_a_directive(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.set_url(f"{base}/hooks/ok")
        queue_ids = [mock.apply(job) for job in APPLIED_JOBS + [CLOSED_JOB]]
        mock.advance(6)
        mock.advance(86_400)
        assert sorted(h.json()["data"]["queueId"] for h in rec.hits) == sorted(queue_ids)
        assert len({h.delivery for h in rec.hits}) == len({h.json()["id"] for h in rec.hits}) == 5
        log = mock.deliveries()
        assert [len(d["attempts"]) for d in log] == [1] * 5 and {d["state"] for d in log} == {"delivered"}
        # a reset forgets the log and sends nothing again
        assert mock.http.post("/_mock/reset").status_code == 200
        mock.advance(3600)
        assert len(rec.hits) == 5 and mock.deliveries() == []


def test_a_directive_duplicates_with_the_same_delivery_id(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.rt.webhooks.add_directive(lambda e: e.type == "application.applied", duplicates=2, times=1)
        mock.set_url(f"{base}/hooks/ok")
        first = mock.apply(APPLIED_JOBS[0])
        mock.advance(1)
        second = mock.apply(APPLIED_JOBS[1])
        mock.advance(60)
        log = mock.deliveries()
        assert [(d["queueId"], d["copy"], d["state"]) for d in log] == [
            (first, 0, "delivered"),
            (first, 1, "delivered"),
            (first, 2, "delivered"),
            (second, 0, "delivered"),
        ]
        assert log[0]["deliveryId"] == log[1]["deliveryId"] == log[2]["deliveryId"] != log[3]["deliveryId"]
        first_hits = [h for h in rec.hits if h.json()["data"]["queueId"] == first]
        assert len(first_hits) == 3 and len(rec.hits) == 4
        assert {h.delivery for h in first_hits} == {log[0]["deliveryId"]}
        assert len({h.body for h in first_hits}) == 1
        assert [d["attempts"][0]["at"] for d in log] == [TERMINAL] * 3 + [TERMINAL + 1000]


def test_a_directive_delays_the_first_attempt(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.rt.webhooks.add_directive(lambda e: True, delay_seconds=30)
        mock.set_url(f"{base}/hooks/ok")
        mock.apply(APPLIED_JOBS[0])
        mock.advance(6)
        [d] = mock.deliveries()
        assert (d["state"], d["attempts"], d["nextAttemptAt"]) == ("pending", [], TERMINAL + 30_000)
        mock.advance(29.5)
        assert rec.hits == []
        mock.advance(0.5)
        [d] = mock.deliveries()
        assert [(a["at"], a["status"]) for a in d["attempts"]] == [(TERMINAL + 30_000, 204)]
        assert len(rec.hits) == 1


def test_a_directive_reorders_an_event_after_the_next_one(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve_mock() as mock:
        mock.set_url(f"{base}/hooks/ok")
        first = mock.apply(APPLIED_JOBS[0])
        mock.rt.webhooks.add_directive(lambda e: e.application.queue_id == first, reorder=True)
        mock.advance(3)
        second = mock.apply(APPLIED_JOBS[1])
        mock.advance(3)
        [d] = mock.deliveries()
        assert (d["queueId"], d["held"], d["attempts"], d["nextAttemptAt"]) == (first, True, [], None)
        assert rec.hits == []
        mock.advance(3)
        assert [h.json()["data"]["queueId"] for h in rec.hits] == [second, first]
        log = {d["queueId"]: d for d in mock.deliveries()}
        assert log[first]["held"] is False and log[first]["state"] == "delivered"
        assert log[first]["attempts"][0]["at"] == log[second]["attempts"][0]["at"] == T0 + 9000


def test_in_process_attempts_wait_for_an_event_loop(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    rt = Runtime(make_world(), clock="manual")
    rt.put_account(DEMO_KEY, {"webhookUrl": f"{base}/hooks/ok"})
    from mock_server.vendors.uphunt.domain.simulator import ApplyRequest

    rt.sim.apply(rt.sim.accounts[DEMO_KEY], ApplyRequest(job_ref=APPLIED_JOBS[0], cover_letter="Hello"))
    rt.advance(60)  # no event loop: the attempt is queued, not lost
    [d] = rt.webhooks.deliveries()
    assert (d["state"], d["attempts"], d["nextAttemptAt"]) == ("pending", [], TERMINAL)
    assert rec.hits == []
    asyncio.run(rt.webhooks.drain(5))
    [d] = rt.webhooks.deliveries()
    assert d["state"] == "delivered" and [a["at"] for a in d["attempts"]] == [TERMINAL]
    assert len(rec.hits) == 1


# ── a pooled connection the receiver closed is not a failed attempt (issue 16) ──


class _ClosesAfter500(socketserver.StreamRequestHandler):
    """One keep-alive connection of :class:`StaleConnectionReceiver`."""

    server: StaleConnectionReceiver

    def handle(self) -> None:
        answered_500 = False
        for _ in range(100):  # requests on this connection (bounded)
            if not self.rfile.readline():
                return
            headers: dict[str, str] = {}
            while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                headers[key.strip().lower()] = value.strip()
            self.rfile.read(int(headers.get("content-length", "0")))
            if answered_500:  # the close "crosses" this request: not a byte of response
                self.server.unanswered += 1
                return
            self.server.received.append(headers.get("x-uphunt-delivery", ""))
            status = 500 if len(self.server.received) == 1 else 204
            reason = b"Internal Server Error" if status == 500 else b"No Content"
            self.wfile.write(b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\n\r\n" % (status, reason))
            self.wfile.flush()
            answered_500 = status == 500


class StaleConnectionReceiver(socketserver.ThreadingTCPServer):
    """Answers the first request 500 on a keep-alive connection, then closes that connection
    when the next request arrives on it, without answering: exactly what the mock sees when
    uvicorn's close after a 500 crosses its next attempt. New connections get 204."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ClosesAfter500)
        self.received: list[str] = []
        self.unanswered = 0
        self.url = f"http://127.0.0.1:{self.server_address[1]}/hook"
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def test_a_pooled_connection_closed_after_a_500_is_retried_fresh_not_counted() -> None:
    receiver = StaleConnectionReceiver()
    try:
        world = make_world(
            accounts=[{"apiKey": DEMO_KEY, "agencyId": "agency_demo", "credits": 100, "webhookUrl": receiver.url}]
        )
        with serve_mock(world) as mock:
            mock.apply(APPLIED_JOBS[0])
            mock.advance(6)
            mock.advance(10)
            (delivery,) = mock.deliveries()
        assert [(a["attempt"], a["status"], a["error"]) for a in delivery["attempts"]] == [
            (1, 500, None),
            (2, 204, None),
        ]
        assert delivery["state"] == "delivered"
        # The attempt after a failure goes out on a new connection (the dispatcher's lanes never reuse one
        # after a failed attempt), so the connection the receiver closes is never even tried; post_once
        # still covers a pooled connection closed while idle, for first attempts.
        assert receiver.unanswered == 0
        assert receiver.received == [delivery["deliveryId"]] * 2
    finally:
        receiver.stop()


def test_a_receiver_that_crashes_then_recovers_gets_exactly_two_attempts_every_time() -> None:
    """uvicorn answers an app's exception with a 500 and then closes the connection; the mock's
    next attempt used to race that close (about 1 run in 30 failed with an empty ReadError)."""
    calls = {"n": 0}

    async def crash_every_other(request: Request) -> Response:
        await request.body()
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("receiver crashed (on purpose)")
        return Response(status_code=204)

    class SlowQuietCrashLog(logging.Filter):
        """uvicorn logs the traceback before it closes the connection: make that take 20 ms (and
        keep it out of the output), so the mock's next attempt reliably crosses the close."""

        def filter(self, record: logging.LogRecord) -> bool:
            if record.getMessage().startswith("Exception in ASGI application"):
                time.sleep(0.02)
                return False
            return True

    app = Starlette(routes=[Route("/hook", crash_every_other, methods=["POST"])])
    slow_log = SlowQuietCrashLog()
    logging.getLogger("uvicorn.error").addFilter(slow_log)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(logging.getLogger("uvicorn.error").removeFilter, slow_log)
        receiver = cleanup.enter_context(ServerThread(app))
        url = receiver.base_url + "/hook"
        world = make_world(
            accounts=[{"apiKey": DEMO_KEY, "agencyId": "agency_demo", "credits": 100, "webhookUrl": url}]
        )
        with serve_mock(world) as mock:
            for _ in range(10):  # bounded repeat: before the fix most runs failed
                calls["n"] = 0
                mock.http.post("/_mock/reset")
                mock.apply(APPLIED_JOBS[0])
                mock.advance(6)
                mock.advance(10)
                (delivery,) = mock.deliveries()
                assert [(a["status"], a["error"]) for a in delivery["attempts"]] == [(500, None), (204, None)]


def test_attempt_errors_are_never_empty() -> None:
    from mock_server.core.webhooks import error_text

    reset = httpx.ReadError("")
    reset.__cause__ = ConnectionResetError(104, "Connection reset by peer")
    assert error_text(reset) == "ReadError: Connection reset by peer"
    assert error_text(httpx.ReadError("")) == "ReadError: the connection closed before the response arrived"
    assert error_text(httpx.RemoteProtocolError("Server disconnected without sending a response.")) == (
        "RemoteProtocolError: Server disconnected without sending a response."
    )
    assert error_text(httpx.DecodingError("")) == "DecodingError: no detail from the HTTP client"
