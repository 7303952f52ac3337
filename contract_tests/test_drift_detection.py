"""Proof that the conformance checks fail when the mock drifts from the spec, naming the field.

Each test breaks one response of an otherwise correct mock and expects the contract check
that the real suites use (`validate_case`, `run_check`, `uphunt-mock check`) to fail with a
message that names what differs. The unbroken control case passes, so the tests can fail.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from mock_server.core.check import DriftError, contract_schema, run_check, validate_case
from mock_server.vendors.uphunt import handlers

from .broken_server import DROPPED_FIELD, break_status_records
from .conftest import ROOT, mock_process
from .test_conformance_asgi import make_app

STATUS = "/api/auto-apply-v2/status"


def status_case(app):
    return contract_schema(app=app)[STATUS]["GET"].Case(query={"queueId": "queue_abc123"})


def test_control_unbroken_status_record_conforms() -> None:
    response = validate_case(status_case(make_app()))
    assert response.status_code == 200
    assert response.json()[DROPPED_FIELD] == "Successfully applied via auto-apply"


def test_missing_required_field_fails_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(handlers.HANDLERS, "getApplicationStatus", handlers.HANDLERS["getApplicationStatus"])
    break_status_records()
    with pytest.raises(DriftError) as caught:
        validate_case(status_case(make_app()))
    (drift,) = caught.value.drifts
    assert (drift.operation, drift.status, drift.check) == (
        "GET /api/auto-apply-v2/status",
        200,
        "response_schema_conformance",
    )
    assert drift.field == DROPPED_FIELD
    assert f"field: {DROPPED_FIELD}" in str(caught.value)
    assert f"the spec requires `{DROPPED_FIELD}`" in str(caught.value)


def test_wrong_type_fails_naming_the_nested_field(monkeypatch: pytest.MonkeyPatch) -> None:
    original = handlers.HANDLERS["listFreelancers"]

    def rate_as_text(ctx):
        status, body = original(ctx)
        body["freelancers"][1]["profiles"][0]["hourlyRate"] = "65 USD"
        return status, body

    monkeypatch.setitem(handlers.HANDLERS, "listFreelancers", rate_as_text)
    case = contract_schema(app=make_app())["/api/auto-apply-v2/freelancers"]["GET"].Case()
    with pytest.raises(DriftError) as caught:
        validate_case(case)
    (drift,) = caught.value.drifts
    assert drift.field == "freelancers[1].profiles[0].hourlyRate"
    assert "65 USD" in str(caught.value) and 'spec says type: "number"' in str(caught.value)


def test_missing_required_header_fails_naming_the_header() -> None:
    inner = make_app()

    async def strip_remaining(scope, receive, send):
        async def send_without(message):
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [(k, v) for k, v in message["headers"] if k.lower() != b"x-ratelimit-remaining"],
                }
            await send(message)

        await inner(scope, receive, send_without if scope["type"] == "http" else send)

    with pytest.raises(DriftError) as caught:
        validate_case(status_case(strip_remaining))
    (drift,) = caught.value.drifts
    assert drift.check == "response_headers_conformance"
    assert drift.field == "header X-RateLimit-Remaining"


def test_generated_suite_catches_the_missing_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only a hand-written case: the generated run of the operation finds it too."""
    monkeypatch.setitem(handlers.HANDLERS, "getApplicationStatus", handlers.HANDLERS["getApplicationStatus"])
    break_status_records()
    report = run_check(app=make_app(), operation_ids=["getApplicationStatus"], max_examples=1)
    assert not report.ok
    assert [d.field for d in report.drifts] == [DROPPED_FIELD]
    assert report.operations["GET /api/auto-apply-v2/status"].status == "drift"
    assert f"field: {DROPPED_FIELD}" in report.render()


def test_check_command_exits_non_zero_against_a_broken_server() -> None:
    with mock_process(argv=[sys.executable, str(ROOT / "contract_tests" / "broken_server.py")]) as broken:
        cmd = [sys.executable, "-m", "mock_server", "check", "--base-url", broken.base_url]
        cmd += ["--operation", "getApplicationStatus", "--examples", "1"]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "read-only" in done.stdout.splitlines()[0]
    assert "GET /api/auto-apply-v2/status" in done.stdout and "DRIFT" in done.stdout
    assert f"field: {DROPPED_FIELD}" in done.stdout
    assert "1 drift(s)" in done.stdout
