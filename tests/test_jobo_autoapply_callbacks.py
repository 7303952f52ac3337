"""Jobo Auto Apply callbacks against a real receiver (decision J34): signed events, commands in the
response body, the documented retry schedules on the simulated clock, rotation, duplicates.

The mock (manual clock) and a :class:`~mock_server.testing.jobo_callbacks.CallbackReceiver` each run
under uvicorn on a free 127.0.0.1 port; the tests drive the mock over HTTP only and advance its clock
(``POST /_mock/clock/advance`` waits for the callbacks that fell due and applies their answers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings

from mock_server.core.app import create_app
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread, bind_socket
from mock_server.testing.jobo_callbacks import (
    CallbackFault,
    CallbackReceiver,
    SignatureError,
    callback_faults,
    callback_scenario,
    expected_signature,
    verify,
)
from mock_server.vendors.jobo.domain.accounts import DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.domain.autoapply.fields import Field, snapshot_for
from mock_server.vendors.jobo.world import JoboWorldFile

SANDBOX = {"X-Api-Key": DEMO_SANDBOX_KEY}
SCENARIO = "https://sandbox.jobo.world/apply/"
T0 = DEFAULT_MANUAL_EPOCH
FIXED = {"queued": [2, 2], "discovery": [30, 30], "review": [10, 10]}


class Mock:
    def __init__(self) -> None:
        overlay = {
            "catalogue": {"jobs": 200, "companies": 10, "sandboxJobs": 20, "sandboxCompanies": 2},
            "settings": {"autoApply": {"enabled": True, "holdSeconds": 0, "durations": FIXED}},
        }
        data = JoboWorldFile.parse_text(yaml.safe_dump(overlay), "<test overlay>")
        self.rt = Runtime(JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data)), clock="manual")
        self.server = ServerThread(create_app(self.rt)).start()
        self.http = httpx.Client(base_url=self.server.base_url, timeout=30)
        self.secret = self.http.get(f"/_mock/accounts/{DEMO_SANDBOX_KEY}").json()["callbackSecret"]

    def close(self) -> None:
        self.http.close()
        self.server.stop()

    def callback_to(self, url: str | None) -> None:
        assert self.http.put(f"/_mock/accounts/{DEMO_SANDBOX_KEY}", json={"callbackUrl": url}).status_code == 200

    def create(self, target: str = "multi-step", key: str = "k") -> dict[str, Any]:
        r = self.http.post(
            "/api/auto-apply/applications",
            json={"apply_url": SCENARIO + target},
            headers={**SANDBOX, "Idempotency-Key": key},
        )
        assert r.status_code == 202, r.text
        return r.json()

    def get(self, app_id: str) -> dict[str, Any]:
        return self.http.get(f"/api/auto-apply/applications/{app_id}", headers=SANDBOX).json()

    def advance(self, seconds: float) -> None:
        assert self.http.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200

    def deliveries(self) -> list[dict[str, Any]]:
        return self.http.get("/_mock/webhooks/deliveries").json()["deliveries"]

    def now(self) -> float:
        return self.http.get("/_mock/clock").json()["now"] / 1000


@pytest.fixture
def mock() -> Iterator[Mock]:
    m = Mock()
    yield m
    m.close()


def proceed(event: dict[str, Any]) -> dict[str, Any]:
    fields = [Field.from_data(f) for f in event["step"]["fields"]]
    return {"action": "proceed", "answers": snapshot_for(fields)}


def test_signed_fields_requested_answered_in_the_response_body(mock: Mock) -> None:
    with CallbackReceiver(mock.secret, answer=proceed, clock=lambda: mock.rt.clock.now()) as receiver:
        mock.callback_to(receiver.url)
        app = mock.create()
        mock.advance(32)
        (delivery,) = receiver.deliveries
        assert delivery.error is None and delivery.status == 200
        headers = delivery.headers
        assert headers["x-jobo-webhook-timestamp"] == str(int(T0 + 32)) and headers["x-jobo-delivery-attempt"] == "1"
        assert headers["x-jobo-webhook-signature"] == "v1=" + expected_signature(
            mock.secret, headers["x-jobo-webhook-id"], int(T0 + 32), delivery.body
        )
        event = delivery.event
        assert event["type"] == "application.fields_requested" and event["api_version"] == "2026-07-21"
        assert event["attempt"] == 1 and event["created_at"] == "2026-01-01T00:00:32Z"
        assert event["application"] == {"id": app["id"], "status": "awaiting_answers"}
        assert event["step"]["sequence"] == 1 and event["step"]["correction_round"] == 0
        # The receiver's answer was applied: the ATS is reviewing it.
        assert mock.get(app["id"])["status"] == "running"
        for _ in range(3):
            mock.advance(10)
        assert mock.get(app["id"])["status"] == "submitted"
        types = [e["type"] for e in receiver.events()]
        assert types == ["application.fields_requested"] * 3 + ["application.submitted"]
        submitted = receiver.events("application.submitted")[0]
        assert submitted["application"] == {"id": app["id"], "status": "submitted"} and "step" not in submitted
        log = mock.deliveries()
        assert [d["eventType"] for d in log] == types and all(d["state"] == "delivered" for d in log)
        assert log[0]["eventId"] == event["id"] and log[0]["applicationId"] == app["id"]


def test_receiver_cancel_and_rejection(mock: Mock) -> None:
    with CallbackReceiver(mock.secret, answer=lambda e: {"action": "cancel"}) as receiver:
        mock.callback_to(receiver.url)
        app = mock.create()
        mock.advance(32)
        assert mock.get(app["id"])["status"] == "canceled"
        assert [e["type"] for e in receiver.events()] == ["application.fields_requested", "application.canceled"]
    with CallbackReceiver(mock.secret, answer=lambda e: 500) as receiver:
        mock.callback_to(receiver.url)
        app = mock.create(key="k2")
        mock.advance(32)
        failed = mock.get(app["id"])
        assert failed["failure"]["code"] == "callback_rejected"
        assert failed["failure"]["message"] == "The callback URL answered 500; a non-2xx is not retried."
        fields_requested = [d for d in mock.deliveries() if d["eventType"] == "application.fields_requested"][-1]
        assert fields_requested["state"] == "failed" and len(fields_requested["attempts"]) == 1


def test_empty_2xx_leaves_the_answers_to_the_api(mock: Mock) -> None:
    with CallbackReceiver(mock.secret) as receiver:
        mock.callback_to(receiver.url)
        app = mock.create()
        mock.advance(32)
        current = mock.get(app["id"])
        assert current["status"] == "awaiting_answers" and len(receiver.deliveries) == 1
        answers = snapshot_for([Field.from_data(f) for f in current["current_step"]["fields"]])
        r = mock.http.post(
            f"/api/auto-apply/applications/{app['id']}/answers", json={"answers": answers}, headers=SANDBOX
        )
        assert r.status_code == 202


def test_transport_errors_retry_at_0_5_20_then_callback_unavailable(mock: Mock) -> None:
    with bind_socket() as closed:  # a port nothing listens on
        port = closed.getsockname()[1]
    mock.callback_to(f"http://127.0.0.1:{port}/callbacks")
    app = mock.create()
    mock.advance(32)
    mock.advance(5)
    assert mock.get(app["id"])["status"] == "awaiting_answers"
    mock.advance(15)
    assert mock.get(app["id"])["failure"]["code"] == "callback_unavailable"
    delivery, failed = mock.deliveries()
    assert delivery["eventType"] == "application.fields_requested"
    assert [a["at"] for a in delivery["attempts"]] == [int((T0 + t) * 1000) for t in (32, 37, 52)]
    assert all(a["status"] is None and a["error"].startswith("connection failed") for a in delivery["attempts"])
    assert delivery["state"] == "failed" and delivery["nextAttemptAt"] is None
    # The terminal event is retried on its own schedule (the next attempt 60 s later).
    assert failed["eventType"] == "application.failed" and failed["nextAttemptAt"] == int((T0 + 52 + 60) * 1000)


def test_terminal_events_retry_on_their_schedule_with_attempt_rewritten(mock: Mock) -> None:
    with CallbackReceiver(mock.secret, clock=lambda: mock.rt.clock.now()) as receiver:
        mock.callback_to(receiver.url)
        app = mock.create("captcha-required")
        receiver.statuses.extend([500, 503])
        mock.advance(32)  # fails at discovery: application.failed, answered 500
        mock.advance(60)  # 2nd attempt at +60: 503
        mock.advance(240)  # 3rd at +300: 200
        (delivery,) = mock.deliveries()
        assert delivery["eventType"] == "application.failed" and delivery["state"] == "delivered"
        assert [(a["at"] - int(T0 * 1000)) // 1000 for a in delivery["attempts"]] == [32, 92, 332]
        assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
        bodies = [json.loads(d.body) for d in receiver.deliveries]
        assert [b["attempt"] for b in bodies] == [1, 2, 3] and len({d.event_id for d in receiver.deliveries}) == 1
        assert all(d.error is None for d in receiver.deliveries)  # each attempt signed over its own bytes
        assert bodies[0]["application"] == {"id": app["id"], "status": "failed"}


def test_rotation_sends_two_signatures(mock: Mock) -> None:
    new = "whsec_rotated_secret_for_the_test"
    r = mock.http.put(
        f"/_mock/accounts/{DEMO_SANDBOX_KEY}", json={"callbackSecret": new, "previousCallbackSecret": mock.secret}
    )
    assert r.json()["callbackSecret"] == new and r.json()["previousCallbackSecret"] == mock.secret
    with CallbackReceiver(mock.secret) as old_receiver:  # a receiver still holding the old secret
        mock.callback_to(old_receiver.url)
        mock.create()
        mock.advance(32)
        (delivery,) = old_receiver.deliveries
        assert delivery.error is None
        entries = delivery.headers["x-jobo-webhook-signature"].split(" ")
        assert len(entries) == 2 and entries[0].startswith("v1=")
        verify(delivery.headers, delivery.body, new)  # and the new one verifies too
        with pytest.raises(SignatureError, match="no v1= signature"):
            verify(delivery.headers, delivery.body, "whsec_someone_else_entirely")
        with pytest.raises(SignatureError, match="outside"):
            verify(delivery.headers, delivery.body, new, now=T0 + 32 + 301)
    r = mock.http.put(f"/_mock/accounts/{DEMO_SANDBOX_KEY}", json={"callbackSecret": "nope"})
    assert r.status_code == 422


def test_duplicates_reach_the_receiver_once_applied(mock: Mock) -> None:
    calls: list[str] = []

    def answer(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event["id"])
        return proceed(event)

    fault = CallbackFault(event_type="application.fields_requested", duplicates=2, times=1)
    assert mock.http.post("/_mock/scenarios", content=json.dumps(callback_scenario([fault]))).status_code == 201
    with CallbackReceiver(mock.secret, answer=answer) as receiver:
        mock.callback_to(receiver.url)
        app = mock.create()
        mock.advance(32)
        assert len(receiver.deliveries) == 3 and len({d.event_id for d in receiver.deliveries}) == 1
        assert calls == [receiver.deliveries[0].event_id]  # the receiver deduped on x-jobo-webhook-id
        assert mock.get(app["id"])["status"] == "running"
        mock.advance(10)
        steps = [e["step"] for e in receiver.events("application.fields_requested")]
        # applied once, not three times: the next step opened, in its first round
        assert [(st["sequence"], st["correction_round"]) for st in steps] == [(1, 0), (2, 0)]


# ── any duplicated, delayed or reordered deliveries ──────────────────────────


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Mock, CallbackReceiver]]:
    m = Mock()
    receiver = CallbackReceiver(m.secret, answer=proceed).start()
    yield m, receiver
    receiver.stop()
    m.close()


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(faults=callback_faults(max_faults=2, max_duplicates=2, max_delay=5.0))
@example(faults=[CallbackFault(event_type="application.submitted", reorder=True)])
@example(faults=[CallbackFault(event_type="application.fields_requested", reorder=True, times=1)])
@example(faults=[CallbackFault(duplicates=2, delay_seconds=5.0)])
def test_a_deduping_receiver_survives_any_delivery_faults(shared: tuple[Mock, CallbackReceiver], faults) -> None:
    """Whatever the copies, delays and order: every event id is answered once, no round is applied twice,
    and the application ends with one terminal event."""
    mock, receiver = shared
    assert mock.http.post("/_mock/reset").status_code == 200
    mock.http.delete("/_mock/scenarios")
    receiver.deliveries.clear()
    receiver._answers.clear()
    if faults:
        assert mock.http.post("/_mock/scenarios", content=json.dumps(callback_scenario(faults))).status_code == 201
    mock.callback_to(receiver.url)
    app = mock.create()
    for _ in range(40):
        mock.advance(15)
        if mock.get(app["id"])["status"] in ("submitted", "failed", "canceled"):
            break
    final = mock.get(app["id"])
    assert final["status"] in ("submitted", "failed")
    mock.rt.webhooks.release_held()  # a reordered last event waits for a next one that never comes
    mock.advance(120)  # delayed or held terminal deliveries arrive
    requested = [
        (e["step"]["sequence"], e["step"]["correction_round"]) for e in receiver.events("application.fields_requested")
    ]
    assert len(requested) == len(set(requested))  # one event per step and round, however often delivered
    terminal = receiver.events(f"application.{final['status']}")
    assert len(terminal) == 1 and terminal[0]["application"]["id"] == app["id"]
    assert all(d.error is None for d in receiver.deliveries)  # every copy and retry is signed over its own bytes
