"""The reference Jobo Auto Apply client (jobo_autoapply_client.py) against the mock, under each
ready-made scenario of scenarios/jobo/, held to the client invariants of
mock_server.testing.jobo_autoapply; and a naive client the invariants catch.

The mock runs under uvicorn on a free port with the manual clock: the client's ``sleep`` advances
it and ``now`` reads it, so nothing really sleeps. One test runs on a scaled clock with the
server's holds (long polls) instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jobo_autoapply_client import AutoApplyClient, AutoApplyError

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread
from mock_server.testing.jobo_autoapply import ExchangeRecorder, assert_client_behaved, check_client
from mock_server.vendors.jobo.domain.accounts import DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.domain.autoapply.fields import Field, snapshot_for
from mock_server.vendors.jobo.world import JoboWorldFile

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios" / "jobo"
SANDBOX_URL = "https://sandbox.jobo.world/apply/"
FIXED = {"queued": [2, 2], "discovery": [30, 30], "review": [10, 10]}


class Mock:
    """A served Jobo world (gate open, no holds unless asked) and a way to drive its clock."""

    def __init__(self, clock: str = "manual", hold: float = 0, scenario: str | None = None) -> None:
        overlay = {
            "catalogue": {"jobs": 300, "companies": 15, "sandboxJobs": 20, "sandboxCompanies": 2},
            "settings": {"autoApply": {"enabled": True, "holdSeconds": hold, "durations": FIXED}},
        }
        data = JoboWorldFile.parse_text(yaml.safe_dump(overlay), "<test overlay>")
        self.rt = Runtime(JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data)), clock=clock)
        if scenario:
            self.rt.scenarios.load_file(SCENARIOS / f"{scenario}.yaml")
        self.server = ServerThread(create_app(self.rt)).start()
        self.control = httpx.Client(base_url=self.server.base_url, timeout=30)
        self.recorder = ExchangeRecorder(self.rt.clock.now)

    def client(self, api_key: str = DEMO_SANDBOX_KEY, **options: Any) -> AutoApplyClient:
        http = httpx.Client(base_url=self.server.base_url, transport=self.recorder, timeout=60)
        options.setdefault("wait_seconds", 0)
        options.setdefault("sleep", self.advance)
        return AutoApplyClient(self.server.base_url, api_key, now=self.rt.clock.now, http=http, **options)

    def advance(self, seconds: float) -> None:
        assert self.control.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200

    def applications(self) -> list[dict[str, Any]]:
        return self.control.get("/_mock/state").json()["applications"]

    def close(self) -> None:
        self.control.close()
        self.server.stop()


@pytest.fixture
def mock(request: pytest.FixtureRequest) -> Iterator[Mock]:
    m = Mock(scenario=getattr(request, "param", None))
    yield m
    m.close()


def thoughtful(mock: Mock, seconds: float = 2.0):
    """An answerer that takes ``seconds`` (simulated) to build a complete snapshot."""

    def answer(step: dict[str, Any]) -> list[dict[str, Any]]:
        mock.advance(seconds)
        return snapshot_for([Field.from_data(f) for f in step["fields"]])

    return answer


def target(slug: str) -> dict[str, str]:
    return {"apply_url": SANDBOX_URL + slug}


def test_happy_path(mock: Mock) -> None:
    app = mock.client().apply(target("multi-step"), thoughtful(mock))
    assert app["status"] == "submitted"
    assert_client_behaved(mock.recorder.exchanges)


@pytest.mark.parametrize("mock", ["auto-apply-ats-rejects-twice"], indirect=True)
def test_ats_rejects_twice_then_accepts(mock: Mock) -> None:
    app = mock.client().apply(target("multi-step"), thoughtful(mock))
    assert app["status"] == "submitted"
    rounds = [e.request_body["correction_round"] for e in mock.recorder.exchanges if e.path.endswith("/answers")]
    assert rounds == [0, 1, 2, 0, 0]  # step 1 took three rounds, steps 2 and 3 one each
    assert_client_behaved(mock.recorder.exchanges)


@pytest.mark.parametrize("mock", ["auto-apply-dropped-create"], indirect=True)
def test_dropped_create_is_retried_with_the_same_key(mock: Mock) -> None:
    job = next(j.id for j in mock.rt.sim.world.live.jobs if j.source == "greenhouse" and j.active)
    app = mock.client(DEMO_LIVE_KEY).apply({"job_id": job}, thoughtful(mock))
    assert app["status"] == "submitted"
    creates = [e for e in mock.recorder.exchanges if e.method == "POST" and e.path.endswith("/applications")]
    assert [e.status for e in creates] == [0, 202]
    assert creates[1].response_headers["idempotent-replayed"] == "true"
    assert len(mock.applications()) == 1
    assert mock.control.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()["credits"]["spent"] == 200  # charged once
    assert_client_behaved(mock.recorder.exchanges)


@pytest.mark.parametrize("mock", ["auto-apply-quota-exhausted"], indirect=True)
def test_quota_exhausted_waits_retry_after(mock: Mock) -> None:
    client = mock.client()
    assert client.apply(target("multi-step"), thoughtful(mock))["status"] == "submitted"
    app = client.apply(target("all-field-types"), thoughtful(mock))
    assert app["status"] == "submitted"
    refused = [e for e in mock.recorder.exchanges if e.status == 429]
    assert refused and refused[0].response_body["code"] == "application_quota_exceeded"
    assert_client_behaved(mock.recorder.exchanges)  # it waited Retry-After before the retry


@pytest.mark.parametrize("mock", ["auto-apply-captcha"], indirect=True)
def test_captcha_stops_at_the_terminal_state(mock: Mock) -> None:
    app = mock.client().apply(target("multi-step"), thoughtful(mock))
    assert app["status"] == "failed" and app["failure"]["code"] == "captcha_required"
    assert_client_behaved(mock.recorder.exchanges)


@pytest.mark.parametrize("mock", ["auto-apply-answers-expire"], indirect=True)
def test_answers_expire_and_late_answers_are_not_sent(mock: Mock) -> None:
    fast = mock.client().apply(target("multi-step"), thoughtful(mock, 5))
    assert fast["status"] == "submitted"
    slow = mock.client().apply(target("all-field-types"), thoughtful(mock, 45))
    assert slow["status"] == "failed" and slow["failure"] == {
        "code": "answers_timeout", "message": "No answers arrived before answers_expire_at.", "retryable": True}  # fmt: skip
    assert_client_behaved(mock.recorder.exchanges)


@pytest.mark.parametrize("mock", ["auto-apply-gate-closed"], indirect=True)
def test_gate_closed_is_final(mock: Mock) -> None:
    with pytest.raises(AutoApplyError) as info:
        mock.client().apply(target("multi-step"), thoughtful(mock))
    assert (info.value.status, info.value.code) == (503, "auto_apply_coming_soon")
    assert len(mock.recorder.exchanges) == 1  # no retry loop against the gate


def test_holds_on_a_scaled_clock() -> None:
    """Against holds (long polls) as a real server does them: 1 simulated second = 5 ms."""
    mock = Mock(clock="scale=0.005", hold=90)
    try:
        client = mock.client(wait_seconds=90, sleep=lambda s: None)
        app = client.apply(
            target("multi-step"), lambda step: snapshot_for([Field.from_data(f) for f in step["fields"]])
        )
        assert app["status"] == "submitted"
        creates = [e for e in mock.recorder.exchanges if e.path.endswith("/applications")]
        assert (
            creates[0].status == 201 and creates[0].response_body["status"] == "awaiting_answers"
        )  # held until step 1
        assert_client_behaved(mock.recorder.exchanges)
    finally:
        mock.close()


@pytest.mark.parametrize("mock", ["auto-apply-dropped-create"], indirect=True)
def test_a_naive_client_that_creates_again_is_caught(mock: Mock) -> None:
    """A new Idempotency-Key per attempt: two applications, both paid for; the invariants say why."""
    job = next(j.id for j in mock.rt.sim.world.live.jobs if j.source == "greenhouse" and j.active)
    http = httpx.Client(base_url=mock.server.base_url, transport=mock.recorder, timeout=30)
    for _ in range(2):
        try:
            http.post("/api/auto-apply/applications", json={"job_id": job},
                      headers={"X-Api-Key": DEMO_LIVE_KEY, "Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
            break
        except httpx.TransportError:
            continue
    assert len(mock.applications()) == 2
    checks = {v.check for v in check_client(mock.recorder.exchanges)}
    assert checks == {"never_create_twice", "same_key_after_error"}


@pytest.mark.parametrize("mock", ["auto-apply-dropped-create"], indirect=True)
def test_verify_reads_the_same_invariants_from_the_journal(mock: Mock, capsys: pytest.CaptureFixture[str]) -> None:
    """`uphunt-mock verify` against a Jobo mock: the reference client passes, a naive one is caught."""
    import json

    from mock_server.cli import main

    job = next(j.id for j in mock.rt.sim.world.live.jobs if j.source == "greenhouse" and j.active)
    mock.client(DEMO_LIVE_KEY).apply({"job_id": job}, thoughtful(mock))
    assert main(["verify", "--base-url", mock.server.base_url, "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["vendor"] == "jobo" and report["violations"] == [] and "never_create_twice" in report["checks"]
    other = next(j.id for j in mock.rt.sim.world.live.jobs if j.source == "lever_co" and j.active)
    http = httpx.Client(base_url=mock.server.base_url, timeout=30)
    for _ in range(2):  # a second target, created twice with two keys
        http.post("/api/auto-apply/applications", json={"job_id": other},
                  headers={"X-Api-Key": DEMO_LIVE_KEY, "Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
    assert main(["verify", "--base-url", mock.server.base_url, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {v["check"] for v in report["violations"]} == {"never_create_twice"}
