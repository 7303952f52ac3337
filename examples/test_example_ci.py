"""examples/ci/run_ci.sh, the README's CI fixture, run as a CI job would run it (issue 16):
bash starts the mock on a free port, waits for it, runs a Node client, verifies it, stops it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "ci" / "run_ci.sh"
BIN = Path(sys.executable).parent  # where the uphunt-mock console script was installed

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the example client is Node")


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "ARTIFACTS": str(tmp_path), **env}
    return subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120, env=environ)


def test_the_ci_fixture_runs_a_node_client_and_passes(tmp_path: Path) -> None:
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "queue_c209629f6fbed82c07cd: applied after 90 s"
    assert lines[1].endswith(": 15 requests, 2 applications: 0 violation(s)")
    assert lines[-1] == f"artifacts: {tmp_path}"
    # the artifacts a CI job keeps
    assert (tmp_path / "mock.json").read_text().startswith('{"url":"http://127.0.0.1:')
    assert len((tmp_path / "journal.jsonl").read_text().splitlines()) == 15
    assert ET.parse(tmp_path / "verify.xml").getroot().get("failures") == "0"
    assert "uphunt-mock stopped" in (tmp_path / "mock.log").read_text()  # SIGTERM: a clean stop
    assert not (tmp_path / "mock.url").exists()


def test_the_ci_fixture_fails_the_job_when_the_client_misbehaves(tmp_path: Path) -> None:
    done = run(tmp_path, CLIENT_BUG="apply-twice")
    assert done.returncode == 1
    assert (
        "[no-duplicate-apply] applied to ~022053140178050136031 again while queue_c209629f6fbed82c07cd was processing"
        in done.stdout
    )
    assert ET.parse(tmp_path / "verify.xml").getroot().get("failures") == "1"


def test_a_mock_that_cannot_start_fails_fast_with_its_log(tmp_path: Path) -> None:
    done = run(tmp_path, MOCK_ARGS=f"--config {tmp_path / 'missing.yaml'}")
    assert done.returncode == 2
    assert done.stderr == (
        f"uphunt-mock did not start:\nuphunt-mock: {tmp_path / 'missing.yaml'}: cannot read world file: No such file or directory\n"
    )
