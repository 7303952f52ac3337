"""`uphunt-mock check` as CI runs it (issue 16): formats, one finding per root cause, pasteable
reproduce commands, capped values, and an immediate stop when the target cannot be reached."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from mock_server.core.check import Drift, Report, curl_command, root_causes
from mock_server.core.check_report import MAX_LINE, MAX_REPRODUCE

from .broken_server import DROPPED_FIELD
from .conftest import ROOT, MockProcess, mock_process

CHECK = [sys.executable, "-m", "mock_server", "check"]


@pytest.fixture(scope="module")
def broken() -> Iterator[MockProcess]:
    argv = [
        sys.executable,
        str(ROOT / "contract_tests" / "broken_server.py"),
        "--defect",
        "missing-field",
        "--defect",
        "server-error",
    ]
    with mock_process(argv=argv) as server:
        yield server


def check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHECK, *args], cwd=ROOT, capture_output=True, text=True, timeout=180, env={**os.environ, **(env or {})}
    )


def test_json_report_has_one_finding_per_root_cause_and_reproduce_commands_that_run(broken: MockProcess) -> None:
    done = check(
        "--base-url",
        broken.base_url,
        "--operation",
        "getApplicationStatus",
        "--operation",
        "listFreelancers",
        "--examples",
        "2",
        "--format",
        "json",
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)  # stdout is the report only; the progress went to stderr
    assert done.stderr.startswith(f"uphunt-mock check: {broken.base_url} (read-only")
    by_op = {d["operation"]: d for d in report["drifts"]}
    assert sorted(by_op) == ["GET /api/auto-apply-v2/freelancers", "GET /api/auto-apply-v2/status"]  # 2 root causes
    server_error = by_op["GET /api/auto-apply-v2/freelancers"]
    assert (server_error["check"], server_error["status"]) == ("not_a_server_error", 500)
    assert "positive_data_acceptance" in server_error["consequences"]  # one finding, not one per failed check
    assert "RuntimeError: the freelancer directory is down" in server_error["detail"]
    missing = by_op["GET /api/auto-apply-v2/status"]
    assert (missing["field"], missing["status"]) == (DROPPED_FIELD, 200)
    assert missing["occurrences"] >= 1
    # the reproduce command pastes and runs: the key comes from the environment, quotes are whole
    assert '"x-api-key: $UPHUNT_API_KEY"' in missing["reproduce"] and "sk_uphunt_demo_key" not in missing["reproduce"]
    ran = subprocess.run(
        ["bash", "-c", missing["reproduce"]],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "UPHUNT_API_KEY": "sk_uphunt_demo_key"},
    )
    assert ran.returncode == 0, ran.stderr
    body = json.loads(ran.stdout)
    assert "applicationStatus" in body and DROPPED_FIELD not in body  # the drift, reproduced


def test_junit_report_written_to_a_file_names_each_drifting_operation(broken: MockProcess, tmp_path) -> None:
    out = tmp_path / "check.xml"
    done = check(
        "--base-url",
        broken.base_url,
        "--operation",
        "getApplicationStatus",
        "--operation",
        "listAppliedJobs",
        "--examples",
        "1",
        "--format",
        "junit",
        "--output",
        str(out),
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.rstrip().endswith(f"1 drift(s), 0 error(s); report: {out}")
    suite = ET.parse(out).getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("testsuite", "2", "1", "0")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases["GET /api/auto-apply-v2/status"].find("failure")
    assert failure is not None and failure.get("type") == "response_schema_conformance"
    assert f"field: {DROPPED_FIELD}" in failure.text and '-H "x-api-key: $UPHUNT_API_KEY"' in failure.text
    assert cases["GET /api/auto-apply-v2/applied-jobs"].find("failure") is None


def test_an_unreachable_target_stops_at_once_with_cannot_connect() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"  # nothing listens once the socket closes
    done = check("--base-url", url)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f"uphunt-mock check: {url} (read-only: no credit spent, no proposal sent; --allow-apply to include apply); 10 examples per operation"
    ]
    assert (
        done.stderr
        == f"uphunt-mock check: cannot connect to {url}: connection refused (is the server running on that port?); nothing was checked\n"
    )


def test_unknown_vendor_is_refused() -> None:
    done = check("--base-url", "http://127.0.0.1:9", "--vendor", "nosuch")
    assert done.returncode == 2
    assert done.stderr.startswith("uphunt-mock: unknown vendor 'nosuch' (known: ")


def test_long_values_are_capped_and_an_over_long_command_is_never_cut() -> None:
    cipher = "0" * 2000
    drift = Drift(
        "GET /api/jobs/by-ciphertext",
        "response_schema_conformance",
        "response body does not match the spec",
        404,
        "error",
        f'"No archived job with ciphertext \'{cipher}\'" is not one of "bad_request", "not_found"',
        reproduce="curl -sS -X GET 'http://h/x?cipher=" + cipher + "'",
    )
    text = drift.describe()
    assert max(len(line) for line in text.splitlines()) <= MAX_LINE + 40  # "  " indents and the "reproduce:" label
    assert "characters)" in text.splitlines()[2]  # the detail line, cut and saying how long it was
    assert f"(a command of {len(drift.reproduce)} characters: see the JSON report, --format json)" in text
    assert len(drift.reproduce) > MAX_REPRODUCE and drift.as_dict()["reproduce"] == drift.reproduce  # whole in JSON


def test_root_causes_group_the_failures_of_one_response() -> None:
    failures = [("positive_data_acceptance", 1), ("content_type_conformance", 2), ("not_a_server_error", 3)]
    assert root_causes(failures) == [
        ("not_a_server_error", 3, ["content_type_conformance", "positive_data_acceptance"])
    ]
    independent = [("response_schema_conformance", 1), ("missing_required_header", 2)]
    assert [c for c, _, _ in root_causes(independent)] == ["missing_required_header", "response_schema_conformance"]


def test_curl_command_quotes_everything_and_hides_the_key() -> None:
    cmd = curl_command(
        "POST",
        "http://h/apply?q=a b",
        {"x-api-key": "sk_secret", "Content-Type": "application/json", "User-Agent": "schemathesis"},
        b'{"coverLetter": "it\'s $5"}',
        "sk_secret",
        "UPHUNT_API_KEY",
    )
    assert cmd == (
        "curl -sS -X POST 'http://h/apply?q=a b' -H \"x-api-key: $UPHUNT_API_KEY\" -H 'Content-Type: application/json' "
        '--data-binary \'{"coverLetter": "it\'"\'"\'s $5"}\''
    )


def test_summary_text_report_still_lists_operations() -> None:
    report = Report(target="http://x", allow_apply=False)
    assert report.render().splitlines()[-1] == "0 operations, 0 requests, 0.0 s: no drift"
