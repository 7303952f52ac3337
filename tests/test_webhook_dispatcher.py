"""The webhook dispatcher under load and with hostile receivers (issue 13, items 2 and 6).

Before: one shared HTTP client with httpx's default pool of 100 connections inside a 5 s
``wait_for``, so time spent queuing for a connection counted as a timed-out attempt: 500
deliveries due at once to a healthy receiver gave 100 delivered and 400 failed, one hanging
receiver starved every other account's receiver, and a URL httpx refused killed its attempt
task, leaving the delivery ``pending`` forever. Now each receiver has its own lane (a bounded
number of attempts in flight, as many connections, the rest waiting untimed).

Each test serves its own mock (manual clock, fixed latency) over HTTP and a receiver on
127.0.0.1; events are made in-process, many accounts at once, then one ``advance`` runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
import types
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_server.core import webhooks
from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread
from mock_server.vendors.uphunt.domain.simulator import ApplyRequest
from mock_server.vendors.uphunt.world import World, merge_worlds, parse_world_text

JOB = "~022053140178050136031"
DEMO_KEY = "sk_uphunt_demo_key"


@dataclass
class Receiver:
    """POST /ok -> 204; /slow -> 204 after 50 ms; /hang -> sleeps 5 s; /fail -> 500 (connection kept alive)."""

    hits: list[tuple[str, str, int]] = field(default_factory=list)  # (mode, delivery id, client port)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def endpoint(self, request: Request) -> Response:
        mode = request.path_params["mode"]
        with self.lock:
            self.hits.append((mode, request.headers["x-uphunt-delivery"], request.client.port if request.client else 0))
        if mode == "slow":
            await asyncio.sleep(0.05)
        elif mode == "hang":
            await asyncio.sleep(5)
        return Response(status_code=500 if mode == "fail" else 204)

    def seen(self, mode: str) -> list[str]:
        with self.lock:
            return [d for m, d, _ in self.hits if m == mode]


@pytest.fixture(scope="module")
def receiver_base() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{mode}", receiver.endpoint, methods=["POST"])])
    with ServerThread(app) as server:
        yield receiver, server.base_url


@pytest.fixture
def receiver(receiver_base: tuple[Receiver, str]) -> tuple[Receiver, str]:
    rec, base = receiver_base
    with rec.lock:
        rec.hits.clear()
    return rec, base


def world(webhooks: dict[str, Any]) -> World:
    fixed = {"median": 1, "p95": 1, "low": 1, "high": 1}
    overlay = {
        "settings": {
            "pacingSeconds": 0,
            "latency": {"pickup": fixed, "submission": fixed, "workers": 100_000},
            "rateLimits": {"enabled": False},
            "webhooks": webhooks,
        }
    }
    return World(merge_worlds(World.default().data, parse_world_text(yaml.safe_dump(overlay), "<test>")))


@contextlib.contextmanager
def serve(webhooks: dict[str, Any]) -> Iterator[tuple[Runtime, httpx.Client]]:
    rt = Runtime(world(webhooks), clock="manual")
    with ServerThread(create_app(rt)) as server, httpx.Client(base_url=server.base_url, timeout=120) as http:
        yield rt, http


def applications(rt: Runtime, url: str, count: int, prefix: str) -> None:
    """``count`` new accounts, each with ``url`` as its webhook and one application queued now."""
    for i in range(count):
        key = f"sk_{prefix}_{i:05d}"
        rt.put_account(key, {"credits": 1, "webhookUrl": url})
        rt.sim.apply(rt.sim.accounts[key], ApplyRequest(job_ref=JOB, cover_letter="x"))


def deliveries(http: httpx.Client) -> list[dict[str, Any]]:
    r = http.get("/_mock/webhooks/deliveries")
    assert r.status_code == 200
    return r.json()["deliveries"]


def test_500_deliveries_due_at_once_to_a_healthy_receiver_arrive_exactly_once(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve({"timeoutSeconds": 2}) as (rt, http):
        applications(rt, f"{base}/ok", 500, "many")
        assert http.post("/_mock/clock/advance", json={"seconds": 3}).status_code == 200
        log = deliveries(http)
    assert len(log) == 500
    assert Counter(d["state"] for d in log) == {"delivered": 500}
    assert all(len(d["attempts"]) == 1 and d["attempts"][0]["status"] == 204 for d in log)
    seen = rec.seen("ok")
    assert len(seen) == 500 and set(seen) == {d["deliveryId"] for d in log}  # each exactly once


def test_a_hanging_receiver_does_not_starve_another_tenants_receiver(receiver: tuple[Receiver, str]) -> None:
    rec, base = receiver
    with serve(
        {"timeoutSeconds": 1, "maxAttempts": 1, "maxConcurrentPerReceiver": 60, "maxConcurrentPerHost": 120}
    ) as (rt, http):
        applications(rt, f"{base}/hang", 120, "hang")  # first in line: their events come first
        healthy = f"http://localhost:{base.rsplit(':', 1)[1]}/ok"  # another host name: another receiver
        applications(rt, healthy, 30, "ok")
        assert http.post("/_mock/clock/advance", json={"seconds": 3}).status_code == 200
        log = deliveries(http)
    ok = [d for d in log if d["url"] == healthy]
    hung = [d for d in log if d["url"] != healthy]
    assert len(ok) == 30 and len(hung) == 120
    assert [(d["state"], len(d["attempts"]), d["attempts"][0]["status"], d["attempts"][0]["error"]) for d in ok] == [
        ("delivered", 1, 204, None)
    ] * 30
    assert {(d["state"], d["attempts"][0]["error"]) for d in hung} == {("failed", "timeout after 1 s")}
    assert len(rec.seen("ok")) == 30


def test_the_attempt_after_a_failure_opens_a_new_connection(receiver: tuple[Receiver, str]) -> None:
    """A retry on the connection the receiver answered 500 on was the suspect of an empty ``ReadError``
    (issue 16): after a failure the next attempt never reuses a connection."""
    rec, base = receiver
    with serve({"maxAttempts": 3, "baseDelaySeconds": 1}) as (rt, http):
        applications(rt, f"{base}/fail", 1, "fail")
        assert http.post("/_mock/clock/advance", json={"seconds": 10}).status_code == 200
        [d] = deliveries(http)
    assert [(a["status"], a["error"]) for a in d["attempts"]] == [(500, None)] * 3
    ports = [port for mode, _, port in rec.hits if mode == "fail"]
    assert len(ports) == 3 and len(set(ports)) == 3


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "http://127.0.0.1:39300/a\r\nX-Injected: 1",
            "webhookUrl must not contain spaces or control characters (found '\\r')",
        ),
        ("http://127.0.0.1:39300/a b", "webhookUrl must not contain spaces or control characters (found ' ')"),
        ("http://" + "é" * 70 + ".com/", "webhookUrl is not a URL the mock can send to: Invalid IDNA hostname"),
    ],
)
def test_a_url_the_mock_cannot_send_to_is_refused_at_put(client: Any, url: str, reason: str) -> None:
    r = client.put(f"/_mock/accounts/{DEMO_KEY}", json={"webhookUrl": url})
    assert r.status_code == 422
    assert r.json()["error"].startswith(reason)
    assert client.get(f"/_mock/accounts/{DEMO_KEY}").json()["webhookUrl"] is None


def test_any_exception_in_an_attempt_is_a_recorded_failed_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """D6: httpx.InvalidURL (not an httpx.HTTPError) killed the attempt task; the delivery stayed pending forever."""
    with serve({"maxAttempts": 2, "baseDelaySeconds": 1}) as (rt, http):
        applications(rt, "http://127.0.0.1:1/ok", 1, "bad")
        rt.sim.accounts[
            "sk_bad_00000"
        ].webhook_url = "http://127.0.0.1:1/a\r\nX-Injected: 1"  # as an old world could hold
        applications(rt, "http://127.0.0.1:1/ok", 1, "boom")
        real = rt.vendor.webhook_headers

        def headers(delivery_id: str, event: Any, *args: Any) -> dict[str, str]:
            if event.api_key == "sk_boom_00000":
                raise RuntimeError("signing key missing")
            return real(delivery_id, event, *args)

        monkeypatch.setattr(rt.vendor, "webhook_headers", headers)
        assert http.post("/_mock/clock/advance", json={"seconds": 60}).status_code == 200
        log = {d["url"][:24]: d for d in deliveries(http)}
    bad, boom = log["http://127.0.0.1:1/a\r\nX-"], log["http://127.0.0.1:1/ok"]
    assert (bad["state"], len(bad["attempts"])) == ("failed", 2)
    assert bad["attempts"][0]["status"] is None and bad["attempts"][0]["error"].startswith("InvalidURL: ")
    assert (boom["state"], [a["error"] for a in boom["attempts"]]) == (
        "failed",
        ["RuntimeError: signing key missing"] * 2,
    )


def test_a_hanging_receiver_does_not_starve_another_path_of_the_same_host(receiver: tuple[Receiver, str]) -> None:
    """Receivers are often paths of one local test server: each URL has its own slots (16 by default)
    within the host's (64), so 40 hanging deliveries hold 16 slots and the other path gets the rest."""
    rec, base = receiver
    with serve({"timeoutSeconds": 1, "maxAttempts": 1}) as (rt, http):
        applications(rt, f"{base}/hang", 40, "hang")
        applications(rt, f"{base}/ok", 30, "ok")
        assert http.post("/_mock/clock/advance", json={"seconds": 3}).status_code == 200
        log = deliveries(http)
    ok = [d for d in log if d["url"].endswith("/ok")]
    assert [(d["state"], len(d["attempts"]), d["attempts"][0]["error"]) for d in ok] == [("delivered", 1, None)] * 30
    assert len(rec.seen("ok")) == 30 and len(rec.seen("hang")) == 40


# ── failed attempts and the collector policy (issue 18) ─────────────────────


@pytest.mark.parametrize("released", [False, True])
def test_a_failed_attempt_leaves_no_cycle_through_frames_frozen_while_it_waited(released: bool) -> None:
    """``serve`` freezes what is alive at a collection (gc_policy), an attempt waiting on the network
    included; httpx's exception then holds those frozen frames and they hold it: without
    ``_release_frames`` that cycle is never collected (measured: ~9 objects per failed attempt)."""
    with socket.socket() as probe:  # a port nothing listens on: every attempt fails
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]

    async def main() -> None:
        async with httpx.AsyncClient() as client:

            async def attempt() -> None:
                try:
                    await asyncio.wait_for(client.post(f"http://127.0.0.1:{dead}/hook", content=b"{}"), 5)
                except Exception as exc:
                    if released:
                        webhooks._release_frames(exc)

            task = asyncio.ensure_future(attempt())
            await asyncio.sleep(0)  # the attempt is under way, suspended in its frames
            gc.freeze()  # what the collector policy does to everything alive at a collection
            await task

    gc.collect()
    try:
        asyncio.run(main())
    finally:
        gc.unfreeze()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, types.FrameType) and "httpx" in o.f_code.co_filename]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert bool(leaked) is not released
