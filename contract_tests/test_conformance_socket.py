"""The mock over a real socket against openapi/uphunt.yaml, driven by `uphunt-mock check`.

A mock is started with the CLI as a separate process (`uphunt-mock serve --port 0 --clock
manual`, rate-limit windows raised so generated traffic is not refused), then the check
command runs every phase of schemathesis against it (examples, coverage, fuzzing and the
stateful apply -> status links) with --allow-apply. Zero drift, exit 0.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from mock_server.core.check import rate_limit_overlay

from .conftest import ROOT, MockProcess, examples, mock_process


@pytest.fixture(scope="module")
def socket_mock() -> Iterator[MockProcess]:
    with mock_process(world=rate_limit_overlay()) as mock:
        yield mock


def test_mock_conforms_over_socket_via_check_command(socket_mock: MockProcess) -> None:
    cmd = [sys.executable, "-m", "mock_server", "check", "--base-url", socket_mock.base_url, "--allow-apply"]
    cmd += ["--examples", str(examples(2))]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.splitlines()[0].startswith(f"uphunt-mock check: {socket_mock.base_url} (ALLOW-APPLY")
    assert "13 operations" not in out or "no drift" in out
    assert out.rstrip().endswith("no drift"), out
    for label in (
        "POST /api/auto-apply-v2/apply",
        "GET /api/v1/jobs/{ciphertext}",
        "stateful links (applyToJob -> getApplicationStatus)",
    ):
        line = next((line for line in out.splitlines() if line.strip().startswith(label)), None)
        assert line is not None and line.rstrip().endswith("ok") and " 0 requests" not in line, out


def test_cli_banner_names_the_url_and_the_demo_key(socket_mock: MockProcess) -> None:
    assert socket_mock.output[0].startswith("uphunt-mock ")
    assert socket_mock.output[0].endswith(socket_mock.base_url)
    assert "sk_uphunt_demo_key" in socket_mock.output[1]
