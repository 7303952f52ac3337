"""`uphunt-mock verify --base-url` (issue 16): the client invariants over a running mock's journal,
so a client in any language (here: curl from bash) gets the checks the Python helpers give."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.cli import main
from mock_server.testing import UpHuntMock, serve

JOB = "~022053140178050136031"
CURL_APPLY_TWICE = r"""
for i in 1 2; do
  curl -sS -o /dev/null -X POST "$B/api/auto-apply-v2/apply" -H "x-api-key: $KEY" -H 'Content-Type: application/json' \
    -d '{"jobId": "~022053140178050136031", "coverLetter": "Hi"}'
done
"""


@pytest.fixture
def mock() -> Iterator[UpHuntMock]:
    with serve() as handle:
        yield handle


@pytest.fixture
def verify(capsys: pytest.CaptureFixture[str]):
    """``uphunt-mock verify ARGS`` through the CLI's main, in-process (no interpreter start-up per call)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(["verify", *args])
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["uphunt-mock", "verify", *args], code, out, err)

    return run


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_a_shell_client_that_applies_twice_is_caught(mock: UpHuntMock, verify) -> None:
    subprocess.run(
        ["bash", "-c", CURL_APPLY_TWICE],
        check=True,
        timeout=30,
        env={**os.environ, "B": mock.base_url, "KEY": mock.api_key},
    )
    done = verify("--base-url", mock.base_url)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"uphunt-mock verify: {mock.base_url}: 2 requests, 2 applications: 1 violation(s)"
    assert lines[1].startswith(f"  [no-duplicate-apply] applied to {JOB} again while queue_")
    assert lines[1].endswith(" was processing")
    assert lines[2].strip().startswith("#1 t=") and lines[3].strip().startswith("#2 t=")


def test_a_well_behaved_client_passes_and_the_json_and_junit_reports_say_so(
    mock: UpHuntMock, tmp_path: Path, verify
) -> None:
    with mock.client() as http:
        queue = http.post("/api/auto-apply-v2/apply", json={"jobId": JOB, "coverLetter": "Hi"}).json()["queueId"]
        for i in range(40):  # poll every 5 s for a minute, then every 15 s (documented), bounded
            mock.advance(5 if i < 12 else 15)
            if (
                http.get("/api/auto-apply-v2/status", params={"queueId": queue}).json()["applicationStatus"]
                != "processing"
            ):
                break
    done = verify("--base-url", mock.base_url, "--format", "json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["violations"] == [] and report["vendor"] == "uphunt" and report["requests"] >= 2
    assert "polling-cadence" in report["checks"]
    out = tmp_path / "verify.xml"
    done = verify("--base-url", mock.base_url, "--format", "junit", "--output", str(out))
    assert done.returncode == 0
    suite = ET.parse(out).getroot()
    assert suite.get("failures") == "0" and int(suite.get("tests")) == len(report["checks"])


def test_check_selects_invariants(mock: UpHuntMock, verify) -> None:
    for _ in range(2):
        httpx.post(
            mock.base_url + "/api/auto-apply-v2/apply", headers=mock.headers, json={"jobId": JOB, "coverLetter": "Hi"}
        )
    assert verify("--base-url", mock.base_url, "--check", "retry-after").returncode == 0
    done = verify("--base-url", mock.base_url, "--check", "no-duplicate-apply", "--format", "json")
    report = json.loads(done.stdout)
    assert (done.returncode, report["checks"], len(report["violations"])) == (1, ["no-duplicate-apply"], 1)
    done = verify("--base-url", mock.base_url, "--check", "telepathy")
    assert done.returncode == 2 and "unknown checks ['telepathy']" in done.stderr


def test_an_unreachable_mock_exits_2(verify) -> None:
    done = verify("--base-url", "http://127.0.0.1:9")
    assert done.returncode == 2
    assert done.stderr.startswith("uphunt-mock verify: cannot read the mock at http://127.0.0.1:9: ConnectError")
