"""POST /_mock/snapshot and /_mock/restore (issue 16): the whole world saved and restored exactly.

The property: from any state reachable through the API and the control API, a snapshot restored
into another mock answers every later request exactly as the original does (statuses, bodies,
headers, the state, the journal, scenarios and webhook deliveries).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO_KEY, LOW_CONNECTS_KEY, NO_CREDITS_KEY, SECOND_KEY, AsgiClient, default_world
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st

from mock_server import __version__
from mock_server.core import recording
from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.vendor import register, unregister
from mock_server.vendors.uphunt import UpHuntVendor
from mock_server.vendors.uphunt.world import World

ROOT = Path(__file__).resolve().parent.parent
KEYS = [DEMO_KEY, SECOND_KEY, NO_CREDITS_KEY, LOW_CONNECTS_KEY, "sk_snapshot_new"]
JOBS = [
    "~022053140178050136031",
    "~022052895097657407455",
    "~01abc123def456",
    "~022040846723050472167",
    "~022055000000000000001",
    "~022055000000000000002",
    "~0nope",
]


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


REFUSED = refused_url()  # nothing listens: every attempt fails fast, retries are scheduled
SCENARIOS = {
    "chaos": (ROOT / "scenarios/chaos.yaml").read_text(),
    "rate-limited": (ROOT / "scenarios/rate-limited.yaml").read_text(),
    "logged-out": (ROOT / "scenarios/logged-out-then-recovers.yaml").read_text(),
    "server-errors": (ROOT / "scenarios/server-errors.yaml").read_text(),
    "webhook-copies": "name: copies\nrules:\n  - trigger: webhook\n    times: 2\n    webhook: {duplicates: 1, delaySeconds: 3}\n",
    "start-and-delay": (
        "name: start-and-delay\nrules:\n  - trigger: start\n    account: {apiKey: sk_uphunt_second_key, credits: 3}\n"
        "  - match: {operationId: getApplicationStatus, everyNth: 2}\n    delay: {seconds: 4}\n"
        "  - match: {operationId: applyToJob, nth: 3}\n    drop: true\n"
        "  - match: {operationId: applyToJob, nth: 2}\n    account: {connects: 20}\n"
    ),
}


def _call(client: AsgiClient, op: tuple[Any, ...], queues: list[str]) -> Any:
    """Run one operation; returns what a client would observe of it."""
    kind = op[0]
    if kind == "apply":
        r = client.post(
            "/api/auto-apply-v2/apply",
            headers={"x-api-key": KEYS[op[1]]},
            json_body={"jobId": JOBS[op[2]], "coverLetter": "Hello", "proposal": {"boostBids": op[3]}},
        )
        if r.status_code == 200:
            # a scenario may drop the connection: a client sees a transport error, so no queueId to remember
            with contextlib.suppress(ValueError):
                queues.append(r.json()["queueId"])
    elif kind == "status":
        params = (
            {"queueId": queues[op[2] % len(queues)]}
            if queues and op[2] >= 0
            else {"jobId": JOBS[abs(op[2]) % len(JOBS)]}
        )
        r = client.get("/api/auto-apply-v2/status", headers={"x-api-key": KEYS[op[1]]}, params=params)
    elif kind == "list":
        r = client.get("/api/auto-apply-v2/applied-jobs", headers={"x-api-key": KEYS[op[1]]}, params={"limit": 5})
    elif kind == "proposal":
        r = client.post(
            "/api/auto-apply-v2/generate-proposal", headers={"x-api-key": KEYS[op[1]]}, json_body={"jobId": JOBS[op[2]]}
        )
    elif kind == "advance":
        r = client.post("/_mock/clock/advance", json_body={"seconds": op[1]})
    elif kind == "credits":
        r = client.put(f"/_mock/accounts/{KEYS[op[1]]}", json_body={"credits": op[2]})
    elif kind == "webhook":
        r = client.put(f"/_mock/accounts/{KEYS[op[1]]}", json_body={"webhookUrl": REFUSED if op[2] else None})
    elif kind == "scenario":
        r = client.post(
            "/_mock/scenarios", content=SCENARIOS[op[1]].encode(), headers={"content-type": "application/yaml"}
        )
    elif kind == "until":
        r = client.post("/_mock/clock/advance", json_body={"until": op[1]})
    elif kind == "redeliver":
        deliveries = client.get("/_mock/webhooks/deliveries").json()["deliveries"]
        target = deliveries[op[1] % len(deliveries)]["deliveryId"] if deliveries else "dlv_none"
        r = client.post(f"/_mock/webhooks/deliveries/{target}/redeliver")
        if r.status_code == 200:  # the attempts' real latencies differ; everything else must not
            body = r.json()
            for a in body["attempts"]:
                a.pop("latencyMs")
            return r.status_code, body
    elif kind == "clear":
        r = client.request("DELETE", "/_mock/scenarios")
    elif kind == "reset":
        r = client.post("/_mock/reset")
        queues.clear()
    else:  # pragma: no cover
        raise AssertionError(op)
    return r.status_code, dict(r.headers), r.content


def observe(client: AsgiClient) -> dict[str, Any]:
    """Everything the control API shows, minus real (wall-clock) durations of *later* requests and attempts."""
    deliveries = client.get("/_mock/webhooks/deliveries").json()
    for d in deliveries["deliveries"]:
        for a in d["attempts"]:
            a.pop("latencyMs")
    journal = client.get("/_mock/requests").json()
    for e in journal["requests"]:
        e.pop("latencyMs")
    return {
        "state": client.get("/_mock/state").json(),
        "scenarios": client.get("/_mock/scenarios").json(),
        "journal": journal,
        "deliveries": deliveries,
    }


applies = st.tuples(st.just("apply"), st.integers(0, 4), st.integers(0, len(JOBS) - 1), st.integers(0, 2))
operations = st.one_of(
    applies,
    applies,
    st.tuples(st.just("advance"), st.sampled_from([0, 1, 2.5, 5, 30, 61, 300])),
    st.tuples(st.just("status"), st.integers(0, 3), st.integers(-6, 6)),
    st.tuples(st.just("list"), st.integers(0, 3)),
    st.tuples(st.just("proposal"), st.integers(0, 1), st.integers(0, 2)),
    st.tuples(st.just("advance"), st.sampled_from([0, 1, 2.5, 5, 30, 61, 300])),
    st.tuples(st.just("credits"), st.integers(0, 4), st.integers(-1, 3)),
    st.tuples(st.just("webhook"), st.integers(0, 1), st.booleans()),
    st.tuples(st.just("scenario"), st.sampled_from(sorted(SCENARIOS))),
    st.tuples(st.just("clear")),
    st.tuples(st.just("reset")),
    st.tuples(st.just("until"), st.sampled_from(["nextEvent", "settled"])),
    st.tuples(st.just("redeliver"), st.integers(0, 5)),
)


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[AsgiClient, AsgiClient]]:
    a, b = Runtime(default_world(), clock="manual"), Runtime(default_world(), clock="manual")
    ca, cb = AsgiClient(create_app(a)), AsgiClient(create_app(b))
    yield ca, cb
    ca.close()
    cb.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(warm=st.booleans(), before=st.lists(operations, max_size=14), after=st.lists(operations, max_size=10))
def test_a_restored_snapshot_answers_every_later_request_like_the_original(pair, warm, before, after) -> None:
    original, restored = pair
    original.request("DELETE", "/_mock/scenarios")
    original.post("/_mock/reset")
    original.put(f"/_mock/accounts/{DEMO_KEY}", json_body={"webhookUrl": REFUSED})  # events to deliver (until a reset)
    restored.post(
        "/api/auto-apply-v2/apply", headers={"x-api-key": DEMO_KEY}, json_body={"jobId": JOBS[0], "coverLetter": "x"}
    )
    queues: list[str] = []
    if warm:  # an application that ended and a webhook delivery with retries scheduled
        before = [("apply", 0, 0, 0), ("advance", 300), *before]
    for op in before:
        _call(original, op, queues)
    kinds = {op[0] for op in before}
    event(
        f"before: {'scenarios' if 'scenario' in kinds else 'no scenarios'}, {'reset' if 'reset' in kinds else 'no reset'}"
    )
    snap = original.post("/_mock/snapshot")
    assert snap.status_code == 200
    document = json.loads(json.dumps(snap.json()))  # through JSON text, as a file would
    r = restored.post("/_mock/restore", json_body=document)
    assert r.status_code == 200, r.text
    assert r.json()["inputs"] == len(document["inputs"])
    assert restored.post("/_mock/snapshot").json() == snap.json()  # the restored world snapshots identically
    seen = observe(original)
    attempts = sum(len(d["attempts"]) for d in seen["deliveries"]["deliveries"])
    event(f"attempts before the snapshot: {min(attempts, 3)}{'+' if attempts > 3 else ''}")
    target(float(attempts + len(seen["state"]["applications"])), label="attempts + applications")
    assert observe(restored) == seen
    queues_restored = list(queues)
    for op in after:
        assert _call(restored, op, queues_restored) == _call(original, op, queues), op
    assert observe(restored) == observe(original)


def test_restore_replaces_state_scenarios_journal_and_keeps_retries_scheduled() -> None:
    a = AsgiClient(create_app(Runtime(default_world(), clock="manual")))
    b = AsgiClient(create_app(Runtime(default_world(), clock="manual")))
    a.put(f"/_mock/accounts/{DEMO_KEY}", json_body={"webhookUrl": REFUSED})
    a.post(
        "/_mock/scenarios", content=SCENARIOS["webhook-copies"].encode(), headers={"content-type": "application/yaml"}
    )
    assert (
        a.post(
            "/api/auto-apply-v2/apply",
            headers={"x-api-key": DEMO_KEY},
            json_body={"jobId": JOBS[0], "coverLetter": "Hi"},
        ).status_code
        == 200
    )
    a.post("/_mock/clock/advance", json_body={"seconds": 120})  # applied, first attempts refused, retries scheduled
    pending = [d for d in a.get("/_mock/webhooks/deliveries").json()["deliveries"] if d["state"] == "pending"]
    assert len(pending) == 2 and all(d["nextAttemptAt"] for d in pending)
    b.post("/_mock/scenarios", content=SCENARIOS["chaos"].encode(), headers={"content-type": "application/yaml"})
    assert b.post("/_mock/restore", json_body=a.post("/_mock/snapshot").json()).status_code == 200
    assert [s["name"] for s in b.get("/_mock/scenarios").json()["scenarios"]] == ["copies"]
    assert observe(b) == observe(a)
    for client in (a, b):  # the scheduled retries run on both, identically
        client.post("/_mock/clock/advance", json_body={"seconds": 600})
    assert observe(b) == observe(a)
    assert all(
        len(d["attempts"]) == 5 and d["state"] == "failed"
        for d in b.get("/_mock/webhooks/deliveries").json()["deliveries"]
    )


@pytest.mark.parametrize("clock", ["real", "scale=0.001"])
def test_on_real_and_scaled_clocks_the_state_comes_back_to_the_millisecond(clock) -> None:
    a = AsgiClient(create_app(Runtime(default_world(), clock=clock)))
    for job in JOBS[:2]:
        assert (
            a.post(
                "/api/auto-apply-v2/apply",
                headers={"x-api-key": DEMO_KEY},
                json_body={"jobId": job, "coverLetter": "Hi"},
            ).status_code
            == 200
        )
    document = a.post("/_mock/snapshot").json()
    b = AsgiClient(create_app(Runtime(default_world(), clock=clock)))
    assert b.post("/_mock/restore", json_body=document).status_code == 200
    before, after = a.get("/_mock/state").json(), b.get("/_mock/state").json()
    assert after["accounts"] == before["accounts"]
    assert after["applications"] == before["applications"]  # createdAt, pickupAt, completesAt exact
    if clock.startswith("scale"):  # simulated time goes on from the snapshot's
        assert after["clock"]["now"] >= round(document["now"] * 1000)


def test_refusals_are_clear_and_change_nothing(runtime: Runtime) -> None:
    client = AsgiClient(create_app(runtime))
    client.post("/_mock/clock/advance", json_body={"seconds": 7})
    good = client.post("/_mock/snapshot").json()
    cases = [
        ({**good, "format": "x"}, 422, "format: 'uphunt-mock-snapshot/1' was expected"),
        ({**good, "vendor": "jobo"}, 409, "the snapshot is of the 'jobo' vendor; this mock serves 'uphunt'"),
        ({**good, "version": "0.0.1"}, 409, f"taken by uphunt-mock 0.0.1; this is {__version__}"),
        ({**good, "inputs": [{"op": "teleport", "t": 1}]}, 422, 'inputs[0].op: "teleport" is not one of'),
        ({**good, "inputs": [{"op": "api", "t": 1}]}, 400, "malformed snapshot input: KeyError: 'headers'"),
    ]
    for document, status, text in cases:
        r = client.post("/_mock/restore", json_body=document)
        assert r.status_code == status and text in r.json()["error"], r.text
    assert client.get("/_mock/clock").json()["now"] == 1_767_225_607_000  # untouched
    broken = {
        **good,
        "inputs": [
            {
                "op": "api",
                "t": 1767225600,
                "id": 1,
                "operationId": "getNothing",
                "method": "GET",
                "path": "/x",
                "query": "",
                "headers": [],
                "body": "",
                "pathParams": {},
            }
        ],
    }
    r = client.post("/_mock/restore", json_body=broken)
    assert r.status_code == 422 and "reset to the world it served before" in r.json()["error"]
    assert client.get("/_mock/clock").json()["now"] == 1_767_225_600_000  # reset, not half-restored
    assert client.post("/_mock/restore", content=b"[]", headers={"content-type": "application/json"}).status_code == 400


def test_a_vendor_without_exact_replay_answers_501_naming_it() -> None:
    class NoSnapshotWorld(World):
        pass

    class NoSnapshots(UpHuntVendor):
        name = "nosnap"
        title = "No-Snapshot"
        snapshots = False

        def load_world(self, path: Any = None, seed: int | None = None) -> World:
            return NoSnapshotWorld(World.default_data(), seed or 0)

    NoSnapshotWorld.vendor = NoSnapshots()
    register(NoSnapshotWorld.vendor)
    try:
        client = AsgiClient(create_app(Runtime(clock="manual", vendor="nosnap")))
        document = AsgiClient(create_app(Runtime(default_world(), clock="manual"))).post("/_mock/snapshot").json()
        for r in (client.post("/_mock/snapshot"), client.post("/_mock/restore", json_body=document)):
            assert r.status_code == 501
            assert r.json()["error"].startswith(
                "snapshot and restore are not available for the No-Snapshot vendor ('nosnap')"
            )
    finally:
        unregister("nosnap")


def test_past_the_input_cap_a_snapshot_is_refused_until_a_reset(runtime: Runtime) -> None:
    runtime.recorder.capacity = 4  # the real cap is 400,000 inputs (about 200,000 requests, ~0.7 KB each)
    client = AsgiClient(create_app(runtime))
    for _ in range(3):  # 2 inputs each (arrival, handler)
        client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": DEMO_KEY})
    r = client.post("/_mock/snapshot")
    assert r.status_code == 409
    assert r.json()["error"] == (
        "cannot snapshot: more than 4 inputs since the last reset were recorded; POST /_mock/reset starts a fresh log"
    )
    client.post("/_mock/reset")
    client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": DEMO_KEY})
    assert [i["op"] for i in client.post("/_mock/snapshot").json()["inputs"]] == ["api", "handle"]


def test_an_overflowing_input_log_is_freed_a_slice_per_later_request(runtime: Runtime, monkeypatch) -> None:
    """Freeing 400,000 inputs at once stalled the server ~20 ms (issue 18): they go a slice at a time."""
    monkeypatch.setattr(recording, "FREE_PER_INPUT", 1)
    runtime.recorder.capacity = 4
    client = AsgiClient(create_app(runtime))
    sizes = []
    for _ in range(6):
        client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": DEMO_KEY})
        sizes.append((len(runtime.recorder.entries), len(runtime.recorder._discarded)))
    # 2 inputs a request: the 5th overflows (its request's handler step frees one dropped entry),
    # then each later request, no longer recorded, frees one more
    assert sizes == [(2, 0), (4, 0), (0, 3), (0, 2), (0, 1), (0, 0)]
