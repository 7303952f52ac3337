"""The control API behind the dashboard (issue 17): exact statuses and bodies of every new operation.

Timeline, application detail, meters, advance to the next event / until settled, journal filters
and responses, webhook redelivery, the scenario library, the event stream and the page's assets.
Bodies are checked against openapi/control.yaml's schemas as well as by value.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import APPLY, DEMO, DEMO_KEY, SECOND_KEY, STATUS, default_world, world_with
from jsonschema import Draft202012Validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH
from mock_server.core.dashboard import library
from mock_server.core.dashboard.live import ChangeFeed, Subscriber
from mock_server.core.dashboard.meters import Meters
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread

ROOT = Path(__file__).resolve().parents[1]
EPOCH_MS = int(DEFAULT_MANUAL_EPOCH * 1000)
JOB = "~022053140178050136031"
OTHER_JOB = "~022052895097657407455"
# Fixed latencies and no pacing, so every instant below is known exactly.
FIXED = {
    "settings": {
        "pacingSeconds": 0,
        "latency": {"pickup": {"median": 3, "p95": 3}, "submission": {"median": 40, "p95": 40}},
    }
}


@functools.cache
def schema(name: str) -> Draft202012Validator:
    spec = yaml.safe_load((ROOT / "openapi" / "control.yaml").read_text())
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


def conforms(name: str, body: Any) -> Any:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in schema(name).iter_errors(body)]
    assert not errors, f"{name}: {errors}"
    return body


@pytest.fixture
def fixed_client() -> Iterator[TestClient]:
    with TestClient(create_app(Runtime(world_with(FIXED), clock="manual")), raise_server_exceptions=False) as c:
        yield c


def apply(client: TestClient, job: str = JOB, headers: dict[str, str] = DEMO) -> str:
    r = client.post(APPLY, headers=headers, json={"jobId": job, "coverLetter": "Hi"})
    assert r.status_code == 200, r.text
    return r.json()["queueId"]


# ── timeline ─────────────────────────────────────────────────────────────


def test_timeline_follows_an_application_from_queued_to_terminal(fixed_client: TestClient) -> None:
    queue_id = apply(fixed_client)
    body = conforms("Timeline", fixed_client.get("/_mock/timeline").json())
    assert (body["now"], body["total"]) == (EPOCH_MS, 2)  # the world's preseeded application + this one
    assert body["applications"][0]["id"] == "queue_abc123"
    assert body["applications"][1] == {
        "id": queue_id,
        "label": JOB,
        "account": "sk_************key",
        "group": "agency_demo",
        "state": "processing",
        "terminal": False,
        "createdAt": EPOCH_MS,
        "pickupAt": EPOCH_MS + 3_000,
        "completesAt": EPOCH_MS + 43_000,
        "finishedAt": None,
    }
    assert fixed_client.post("/_mock/clock/advance", json={"until": "settled"}).status_code == 200
    row = fixed_client.get("/_mock/timeline", params={"limit": 1}).json()["applications"]
    assert [(r["id"], r["state"], r["terminal"], r["finishedAt"]) for r in row] == [
        (queue_id, "applied", True, EPOCH_MS + 43_000)
    ]


def test_timeline_limit_is_validated(client: TestClient) -> None:
    assert client.get("/_mock/timeline", params={"limit": "x"}).status_code == 400
    r = client.get("/_mock/timeline", params={"limit": 0})
    assert r.status_code == 422 and r.json() == {"error": "parameter limit: 0 is less than the minimum of 1"}


# ── application detail ───────────────────────────────────────────────────


def test_application_detail_has_the_record_its_requests_and_no_one_elses(fixed_client: TestClient) -> None:
    mine = apply(fixed_client)
    other = apply(fixed_client, OTHER_JOB)
    fixed_client.get(STATUS, headers=DEMO, params={"queueId": mine})
    fixed_client.get(STATUS, headers=DEMO, params={"queueId": other})
    detail = conforms("ApplicationDetail", fixed_client.get(f"/_mock/applications/{mine}").json())
    assert detail["id"] == mine
    assert detail["record"]["queueId"] == mine and detail["record"]["applicationStatus"] == "processing"
    assert detail["record"] == fixed_client.get("/_mock/state").json()["applications"][1]
    # the apply that created it (its response names the queueId) and its own status poll
    assert [(e["id"], e["operationId"]) for e in detail["requests"]] == [(1, "applyToJob"), (3, "getApplicationStatus")]
    assert detail["requests"][0]["response"]["body"]["queueId"] == mine
    assert detail["deliveries"] == []


def test_application_detail_of_an_unknown_id_is_404(client: TestClient) -> None:
    r = client.get("/_mock/applications/queue_nope")
    assert r.status_code == 404 and r.json() == {"error": "No application with id 'queue_nope'"}


# ── meters ───────────────────────────────────────────────────────────────


def test_meters_keep_each_change_at_its_simulated_time(fixed_client: TestClient) -> None:
    apply(fixed_client)
    fixed_client.post("/_mock/clock/advance", json={"until": "settled"})
    body = conforms("Meters", fixed_client.get("/_mock/meters").json())
    assert (body["now"], body["capacity"]) == (EPOCH_MS + 43_000, 500)
    demo = next(a for a in body["accounts"] if a["apiKey"] == DEMO_KEY)
    assert demo["group"] == "agency_demo"
    assert demo["values"] == {
        "credits.available": 99,
        "credits.reserved": 0,
        "credits.spent": 2,
        "credits.granted": 101,
        "connects": 482,
        "rate.applyToJob.minute": 1,
        "rate.applyToJob.day": 1,
    }
    # the apply reserved a credit at the epoch; the submission spent it 43 s later (the terminal event's time)
    credits = [
        (p["t"], p["values"]["credits.available"], p["values"]["credits.reserved"], p["values"]["credits.spent"])
        for p in demo["history"]
    ]
    assert credits == [(EPOCH_MS, 99, 1, 1), (EPOCH_MS + 43_000, 99, 0, 2)]
    assert demo["rateLimits"] == [
        {"operation": "applyToJob", "window": "minute", "limit": 60, "used": 1, "resetsAt": EPOCH_MS + 60_000},
        {"operation": "applyToJob", "window": "day", "limit": 1000, "used": 1, "resetsAt": EPOCH_MS + 86_400_000},
    ]
    # a window that rolls over shows as reset, without any request
    fixed_client.post("/_mock/clock/advance", json={"seconds": 60})
    demo = next(a for a in fixed_client.get("/_mock/meters").json()["accounts"] if a["apiKey"] == DEMO_KEY)
    assert demo["rateLimits"][0] == {
        "operation": "applyToJob",
        "window": "minute",
        "limit": 60,
        "used": 0,
        "resetsAt": EPOCH_MS + 120_000,
    }
    assert demo["history"][-1]["values"]["rate.applyToJob.minute"] == 0


def test_a_publish_after_api_requests_samples_only_the_accounts_that_made_them() -> None:
    """Issue 18: sampling every account ten times a second under traffic stalled a 1,000-account mock."""
    rt = Runtime(world_with(FIXED), clock="manual")
    client = TestClient(create_app(rt))  # no lifespan: no publisher task, this test publishes
    rt.meters.sample()
    rt.changes.publish()
    read_one: list[str] = []
    read_all: list[int] = []
    one, every = rt.meters.account, rt.meters.accounts
    rt.meters.account = lambda key: read_one.append(key) or one(key)  # type: ignore[func-returns-value]
    rt.meters.accounts = lambda: read_all.append(1) or every()  # type: ignore[func-returns-value]

    def reserved() -> list[tuple[int, float]]:
        return [(p["t"], p["values"]["credits.reserved"]) for p in rt.meters.history.history(DEMO_KEY)]

    apply(client)
    assert client.get(STATUS, headers={"x-api-key": SECOND_KEY}, params={"queueId": "queue_nope"}).status_code == 404
    assert (read_one, reserved()) == ([], [(EPOCH_MS, 0)])  # nothing sampled on the request path
    rt.changes.publish()
    assert (sorted(read_one), read_all) == (sorted([DEMO_KEY, SECOND_KEY]), [])
    assert reserved() == [(EPOCH_MS, 1)]  # the apply's reservation (same instant: the point is replaced)

    client.get(STATUS, headers={"x-api-key": "sk_nobody"}, params={"queueId": "q"})  # 401: no account
    rt.changes.publish()
    assert (sorted(read_one), read_all) == (sorted([DEMO_KEY, SECOND_KEY]), [])

    rule = {"match": {"operationId": "getApplicationStatus"}, "respond": {"status": 503}}
    assert client.post("/_mock/scenarios", json={"rules": [rule]}).status_code == 201
    rt.changes.publish()  # a control operation may change anything: every account
    assert read_all
    read_all.clear()
    assert client.get(STATUS, headers=DEMO, params={"queueId": "q"}).status_code == 503
    rt.changes.publish()  # a rule matched: its side effects may reach any account
    assert read_all == [1]


def test_a_touched_account_past_the_first_200_is_not_charted_by_the_touched_sample_either() -> None:
    records = {f"k{i:03d}": {"credits": {"available": i}} for i in range(250)}
    meters = Meters(lambda: records.items(), lambda: 7, records.get)
    meters.sample()
    assert sorted(meters.history.points) == sorted(records)[:200]
    records["k005"]["credits"]["available"] = -1
    records["k240"]["credits"]["available"] = -1
    meters.touch("k005")
    meters.touch("k240")
    meters.touch("k_gone")  # an account deleted since: nothing to chart
    meters.on_publish({"request", "journal"})
    assert meters.history.history("k005") == [{"t": 7, "values": {"credits.available": -1}}]
    assert "k240" not in meters.history.points and "k_gone" not in meters.history.points
    assert meters.touched == {}


def test_a_publish_samples_at_most_32_touched_accounts_and_keeps_the_rest_for_the_next() -> None:
    records = {f"k{i:02d}": {"credits": {"available": i}} for i in range(40)}
    now = [1]
    meters = Meters(lambda: records.items(), lambda: now[0], records.get)
    meters.sample()
    for key in records:
        records[key]["credits"]["available"] += 100
        meters.touch(key)
    now[0] = 2
    meters.on_publish({"request"})
    moved = sorted(k for k in records if meters.history.history(k)[-1]["t"] == 2)
    assert moved == sorted(records)[:32] and list(meters.touched) == sorted(records)[32:]
    records["k00"]["credits"]["available"] = -1
    meters.touch("k00")  # changed again meanwhile: sampled after the ones still waiting
    now[0] = 3
    meters.on_publish({"request"})
    assert sorted(k for k in records if meters.history.history(k)[-1]["t"] == 3) == ["k00", *sorted(records)[32:]]
    assert meters.touched == {}


def test_meters_history_restarts_on_reset(client: TestClient) -> None:
    apply(client)
    client.post("/_mock/reset")
    demo = next(a for a in client.get("/_mock/meters").json()["accounts"] if a["apiKey"] == DEMO_KEY)
    assert demo["history"] == [{"t": EPOCH_MS, "values": demo["values"]}]
    assert demo["values"]["credits.available"] == 100 and demo["rateLimits"] == []


# ── clock ────────────────────────────────────────────────────────────────


def test_advance_to_the_next_event_and_until_settled(fixed_client: TestClient) -> None:
    apply(fixed_client)
    r = fixed_client.post("/_mock/clock/advance", json={"until": "nextEvent"})
    assert r.status_code == 200 and conforms("AdvanceResult", r.json()) == {
        "mode": "manual",
        "now": EPOCH_MS + 3_000,
        "factor": None,
        "eventsRun": 1,  # the pickup
    }
    r = fixed_client.post("/_mock/clock/advance", json={"until": "settled"})
    assert r.json() == {"mode": "manual", "now": EPOCH_MS + 43_000, "factor": None, "eventsRun": 1}  # the submission
    # nothing processing: settled stays put; the next event is the demo world's job closing at 30 s... already past
    assert fixed_client.post("/_mock/clock/advance", json={"until": "settled"}).json()["eventsRun"] == 0


def test_advance_body_needs_exactly_one_of_seconds_and_until(client: TestClient) -> None:
    message = {"error": "body must have exactly 1 of the fields seconds, until"}
    for body in ({}, {"seconds": 1, "until": "settled"}):
        r = client.post("/_mock/clock/advance", json=body)
        assert (r.status_code, r.json()) == (400, message)
    r = client.post("/_mock/clock/advance", json={"until": "tomorrow"})
    assert (r.status_code, r.json()) == (422, {"error": 'until: "tomorrow" is not one of "nextEvent", "settled"'})


def test_advance_until_needs_the_manual_clock() -> None:
    with TestClient(create_app(Runtime(default_world(), clock="scale=0.01"))) as c:
        r = c.post("/_mock/clock/advance", json={"until": "nextEvent"})
    assert (r.status_code, r.json()) == (422, {"error": "the clock is scaled; only the manual clock can be advanced"})


# ── journal ──────────────────────────────────────────────────────────────


def test_journal_entries_carry_the_response_as_sent(client: TestClient) -> None:
    queue_id = apply(client)
    client.get(STATUS, headers={"x-api-key": "nope"}, params={"queueId": queue_id})
    rows = conforms("RequestJournal", client.get("/_mock/requests").json())["requests"]
    assert rows[0]["response"] == {
        "status": 200,
        "headers": {
            "content-type": "application/json",
            "x-ratelimit-limit": "60",
            "x-ratelimit-remaining": "59",
            "x-ratelimit-reset": str(EPOCH_MS // 1000 + 60),
        },
        "body": {
            "queueId": queue_id,
            "jobId": JOB,
            "processedJobId": rows[0]["response"]["body"]["processedJobId"],
            "applicationStatus": "processing",
            "creditsRemaining": 99,
        },
    }
    assert rows[1]["response"]["status"] == 401 and rows[1]["response"]["body"]["error"]


def test_journal_filters_by_key_rule_and_after(client: TestClient) -> None:
    doc = "name: t\nrules:\n  - match: {operationId: listFreelancers, apiKey: sk_uphunt_second_key}\n    respond: {status: 503}\n"
    assert client.post("/_mock/scenarios", content=doc).status_code == 201
    client.get("/api/auto-apply-v2/freelancers", headers=DEMO)  # 1
    client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": SECOND_KEY})  # 2, answered by t/0
    client.get("/api/auto-apply-v2/freelancers", headers=DEMO)  # 3

    def ids(**params: Any) -> list[int]:
        r = client.get("/_mock/requests", params=params)
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["requests"]]

    assert ids(apiKey=DEMO_KEY) == [1, 3]
    # a masked key matches every key masked alike (here only the demo key: the second key is longer,
    # so its mask has more stars)
    assert ids(apiKey="sk_************key") == [1, 3]
    assert ids(apiKey="sk_**************key") == [2]
    assert ids(apiKey=SECOND_KEY) == [2]
    assert ids(matchedRule="t/0") == [2] and ids(matchedRule="*") == [2] and ids(matchedRule="t/9") == []
    assert ids(after=1) == [2, 3] and ids(after=1, limit=1) == [3] and ids(after=3) == []
    assert ids(apiKey=DEMO_KEY, after=1) == [3]
    answered = client.get("/_mock/requests", params={"matchedRule": "t/0"}).json()["requests"][0]["response"]
    assert (answered["status"], answered["body"]) == (503, {"error": answered["body"]["error"]})
    assert client.get("/_mock/requests", params={"after": -1}).status_code == 422
    assert client.get("/_mock/requests", params={"apiKey": ""}).status_code == 400


def test_a_dropped_connection_has_no_response(client: TestClient) -> None:
    client.post("/_mock/scenarios", content="rules:\n  - match: {operationId: listFreelancers}\n    drop: true\n")
    client.get(
        "/api/auto-apply-v2/freelancers", headers=DEMO
    )  # cut off (over a socket the client gets a transport error)
    entry = client.get("/_mock/requests").json()["requests"][0]
    assert (entry["status"], entry["response"]) == (0, None)


# ── webhooks: redelivery ─────────────────────────────────────────────────


class Receiver:
    """A webhook receiver on a free port: answers ``status`` and records what it got."""

    def __init__(self) -> None:
        self.status = 500
        self.hits: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            self.hits.append((request.headers["x-uphunt-delivery"], body))
        return Response(status_code=self.status)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    with ServerThread(Starlette(routes=[Route("/hooks", rec.endpoint, methods=["POST"])])) as server:
        yield rec, server.base_url + "/hooks"


def served(world: Any) -> tuple[ServerThread, httpx.Client]:
    server = ServerThread(create_app(Runtime(world, clock="manual"))).start()
    return server, httpx.Client(base_url=server.base_url, timeout=30)


def test_redeliver_sends_the_same_delivery_again_now(receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    world = world_with({**FIXED, "settings": {**FIXED["settings"], "webhooks": {"maxAttempts": 1}}})
    server, http = served(world)
    try:
        http.put(f"/_mock/accounts/{DEMO_KEY}", json={"webhookUrl": url})
        http.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"})
        http.post("/_mock/clock/advance", json={"until": "settled"})
        [failed] = http.get("/_mock/webhooks/deliveries").json()["deliveries"]
        assert (failed["state"], [a["status"] for a in failed["attempts"]]) == ("failed", [500])
        rec.status = 200
        http.post("/_mock/clock/advance", json={"seconds": 5})
        r = http.post(f"/_mock/webhooks/deliveries/{failed['deliveryId']}/redeliver")
        assert r.status_code == 200
        again = conforms("Delivery", r.json())
        assert again["deliveryId"] == failed["deliveryId"] and again["state"] == "delivered"
        assert [(a["attempt"], a["at"], a["status"]) for a in again["attempts"]] == [
            (1, EPOCH_MS + 43_000, 500),
            (2, EPOCH_MS + 48_000, 200),  # now, not on the retry schedule
        ]
        assert http.get("/_mock/webhooks/deliveries").json()["deliveries"] == [again]
        assert len(rec.hits) == 2 and rec.hits[0] == rec.hits[1]  # same id, same body
    finally:
        http.close()
        server.stop()


def test_redeliver_unknown_or_held_deliveries(receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    server, http = served(world_with(FIXED))
    try:
        r = http.post("/_mock/webhooks/deliveries/dlv_nope/redeliver")
        assert (r.status_code, r.json()) == (404, {"error": "No delivery with id 'dlv_nope'"})
        doc = "name: hold\nrules:\n  - trigger: webhook\n    match: {eventType: application.applied}\n    times: 1\n    webhook: {reorder: true}\n"
        assert http.post("/_mock/scenarios", content=doc).status_code == 201
        http.put(f"/_mock/accounts/{DEMO_KEY}", json={"webhookUrl": url})
        http.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"})
        http.post("/_mock/clock/advance", json={"until": "settled"})
        [held] = http.get("/_mock/webhooks/deliveries").json()["deliveries"]
        assert held["held"] is True
        r = http.post(f"/_mock/webhooks/deliveries/{held['deliveryId']}/redeliver")
        assert (r.status_code, r.json()) == (
            409,
            {
                "error": f"delivery {held['deliveryId']} is held by a scenario (reorder) until the next event for its URL"
            },
        )
        assert rec.hits == []
    finally:
        http.close()
        server.stop()


# ── scenario library ─────────────────────────────────────────────────────


def test_the_library_lists_every_file_checked_and_loads_one_by_name(client: TestClient) -> None:
    body = conforms("ScenarioLibrary", client.get("/_mock/scenarios/library").json())
    assert body["directory"] == str(ROOT / "scenarios")
    assert [f["file"] for f in body["files"]] == sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
    assert all(f["error"] is None and f["rules"] > 0 for f in body["files"])
    out = next(f for f in body["files"] if f["file"] == "out-of-credits.yaml")
    assert out["name"] == "out-of-credits" and out["text"] == (ROOT / "scenarios" / "out-of-credits.yaml").read_text()
    assert client.get("/_mock/scenarios").json() == {"scenarios": []}  # listing loads nothing
    r = client.post("/_mock/scenarios/library/out-of-credits")  # ".yaml" is optional
    assert r.status_code == 201
    assert [(s["name"], s["source"]) for s in r.json()["scenarios"]] == [
        ("out-of-credits", str(ROOT / "scenarios" / "out-of-credits.yaml"))
    ]
    r = client.post("/_mock/scenarios/library/nope.yaml")
    assert r.status_code == 404 and r.json()["error"].startswith(
        "No scenario file 'nope.yaml' in the library (known: chaos.yaml, "
    )


def test_a_broken_library_file_is_listed_with_its_error_and_refused(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: bad\nrules:\n  - match: {operationId: applyTo}\n    respond: {status: 402}\n"
    )
    monkeypatch.setattr(library, "library_dir", lambda: tmp_path)
    [listed] = client.get("/_mock/scenarios/library").json()["files"]
    assert (listed["name"], listed["rules"]) == (None, 0)
    assert listed["error"].startswith("bad.yaml:3: rules[0].match.operationId: ")
    r = client.post("/_mock/scenarios/library/bad.yaml")
    assert r.status_code == 400
    body = conforms("ScenarioError", r.json())
    assert (body["file"], body["line"]) == ("bad.yaml", 3) and body["reason"].startswith("rules[0].match.operationId: ")
    assert client.get("/_mock/scenarios").json() == {"scenarios": []}


# ── the event stream ─────────────────────────────────────────────────────


def test_changes_are_counted_on_the_request_path_and_coalesced_by_the_publisher() -> None:
    feed = ChangeFeed(lambda: {"mode": "manual", "now": 0, "factor": None})
    subscriber = Subscriber()
    feed.subscribers.add(subscriber)
    for _ in range(1000):
        feed.bump("request")  # what every API request does: a counter, nothing sent
    assert (subscriber.pending, feed.seq) == (set(), 0)
    feed.bump("deliveries")
    feed.publish()  # what the publisher task does at most ten times a second
    assert subscriber.take() == {
        "seq": 1,
        "topics": ["deliveries", "journal", "scenarios", "state"],
        "clock": {"mode": "manual", "now": 0, "factor": None},
    }
    feed.publish()  # nothing new: no notice
    assert (subscriber.pending, feed.seq) == (set(), 1)
    feed.bump("world")
    feed.publish()
    assert subscriber.take()["topics"] == ["clock", "deliveries", "journal", "scenarios", "state"]


def test_a_runtime_served_twice_keeps_publishing_when_one_server_stops() -> None:
    # e.g. two TestClients on one app: two lifespans, two publishers on one feed
    async def scenario() -> list[int]:
        feed = ChangeFeed(lambda: {}, interval=0)
        subscriber = Subscriber()
        feed.subscribers.add(subscriber)
        first = asyncio.ensure_future(feed.run())
        await asyncio.sleep(0)
        second = asyncio.ensure_future(feed.run())
        await asyncio.sleep(0)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)
        seqs = []
        for _ in range(2):
            feed.bump("journal")
            await asyncio.wait_for(subscriber.wake.wait(), 5)
            subscriber.wake.clear()
            seqs.append(subscriber.take()["seq"])
        assert not second.done()
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)
        return seqs

    assert asyncio.run(scenario()) == [1, 2]


def read_events(lines: Iterator[str], count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` events of an SSE stream as (name, data); comments and retry lines skipped."""
    events: list[tuple[str, dict[str, Any]]] = []
    name = None
    for line in lines:  # bounded by the client's read timeout
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name:
            events.append((name, json.loads(line[6:])))
            if len(events) == count:
                break
    return events


def test_the_event_stream_says_hello_then_what_changed(runtime: Runtime) -> None:
    with (
        ServerThread(create_app(runtime)) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as http,
        http.stream("GET", "/_mock/events") as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert stream.headers["cache-control"] == "no-cache"
        lines = stream.iter_lines()
        assert next(lines) == "retry: 2000"
        [(name, hello)] = read_events(lines, 1)
        assert (name, conforms("ChangeEvent", hello)) == (
            "hello",
            {"seq": 0, "topics": [], "clock": {"mode": "manual", "now": EPOCH_MS, "factor": None}},
        )
        http.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"})
        [(name, changed)] = read_events(lines, 1)
        assert name == "changed" and conforms("ChangeEvent", changed)["seq"] == 1
        assert changed["topics"] == ["journal", "scenarios", "state"]
        http.post("/_mock/clock/advance", json={"seconds": 5})
        [(_, changed)] = read_events(lines, 1)
        assert changed["topics"] == ["clock", "deliveries", "journal", "scenarios", "state"]
        assert changed["clock"]["now"] == EPOCH_MS + 5_000


def test_stopping_the_server_ends_open_streams_cleanly(runtime: Runtime) -> None:
    # uvicorn waits for open responses before shutting down; the stream must end by itself, with its
    # final chunk (not cut off when uvicorn's graceful-shutdown timeout cancels it).
    server = ServerThread(create_app(runtime)).start()
    ended = []
    with httpx.stream("GET", server.base_url + "/_mock/events", timeout=10) as stream:
        lines = stream.iter_lines()
        read_events(lines, 1)
        server.stop(timeout=10)
        ended.extend(lines)  # raises RemoteProtocolError if the stream was cut off
    assert not server.thread.is_alive()
    assert ended in ([], [""])  # nothing after the hello event but its blank separator line


# ── the page ─────────────────────────────────────────────────────────────


def test_the_page_and_its_assets_are_served_with_their_types(client: TestClient) -> None:
    page = client.get("/_mock/ui")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script src="/_mock/ui/assets/app.js" defer></script>' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the network: works offline
    js = client.get("/_mock/ui/assets/app.js")
    assert js.status_code == 200 and js.headers["content-type"] == "text/javascript; charset=utf-8"
    assert 'new EventSource(API + "/events")' in js.text
    css = client.get("/_mock/ui/assets/app.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    for name in ("nope.js", "index.html", ".hidden.js", "assets.py"):
        r = client.get(f"/_mock/ui/assets/{name}")
        assert (r.status_code, r.json()) == (404, {"error": f"No dashboard asset {name!r}"})
    assert client.get("/_mock/ui/assets/..%2Fassets.py").status_code == 404  # no way out of static/


# ── another vendor ───────────────────────────────────────────────────────


def test_jobo_accounts_are_metered_without_dashboard_code_of_their_own() -> None:
    from mock_server.vendors.jobo.domain.accounts import DEMO_LIVE_KEY
    from mock_server.vendors.jobo.world import JoboWorldFile

    small = {"catalogue": {"jobs": 300, "companies": 20, "sandboxJobs": 50, "sandboxCompanies": 4}}
    world = JoboWorldFile(
        JoboWorldFile.merge(JoboWorldFile.default_data(), JoboWorldFile.parse_text(yaml.safe_dump(small), "<test>"))
    )
    with TestClient(create_app(Runtime(world, clock="manual"))) as c:
        before = next(
            a for a in conforms("Meters", c.get("/_mock/meters").json())["accounts"] if a["apiKey"] == DEMO_LIVE_KEY
        )
        c.post(
            "/_mock/clock/advance", json={"seconds": 1}
        )  # two instants, two points (an instant keeps its last state)
        searched = c.get("/api/jobs", params={"page_size": 3}, headers={"X-Api-Key": DEMO_LIVE_KEY})
        assert searched.headers["X-Credits-Deducted"] == "3"
        after = next(
            a for a in conforms("Meters", c.get("/_mock/meters").json())["accounts"] if a["apiKey"] == DEMO_LIVE_KEY
        )
        assert after["group"] == "live"
        assert (
            before["values"]["credits.balance"] - after["values"]["credits.balance"],
            after["values"]["credits.spent"],
        ) == (3, 3)
        assert [p["values"]["credits.balance"] for p in after["history"]] == [
            before["values"]["credits.balance"],
            after["values"]["credits.balance"],
        ]
        general = [w for w in after["rateLimits"] if w["operation"] == "general"]
        assert general and all(w["used"] == 1 for w in general)
        assert conforms("Timeline", c.get("/_mock/timeline").json())["applications"] == []  # no auto-apply queue yet
        assert c.get("/_mock/ui").status_code == 200
