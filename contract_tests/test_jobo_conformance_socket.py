"""The Jobo mock over a real socket against openapi/jobo.yaml, driven by `uphunt-mock check --vendor jobo`.

A Jobo mock is started with the CLI as a separate process (`uphunt-mock serve --vendor jobo --port 0
--clock manual`, with windows too large to meet and a large wallet), then the check command runs every
phase of schemathesis against it (examples, coverage, fuzzing and the stateful phase, which follows
the spec's links: a search's first job, its company, a feed page's next page) with --allow-apply, so
the spending operations (searches, feeds, geocoding) run too. Zero drift, exit 0.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from mock_server.core.check import operations_by_effect
from mock_server.core.spec import load_spec

from .conftest import JOBO_OVERLAY, ROOT, MockProcess, examples, mock_process

READ, SPEND = operations_by_effect(load_spec("jobo.yaml"))


@pytest.fixture(scope="module")
def jobo_socket_mock() -> Iterator[MockProcess]:
    with mock_process("--vendor", "jobo", world=JOBO_OVERLAY) as mock:
        yield mock


def test_jobo_mock_conforms_over_socket_via_check_command(jobo_socket_mock: MockProcess) -> None:
    base = jobo_socket_mock.base_url
    cmd = [sys.executable, "-m", "mock_server", "check", "--vendor", "jobo", "--base-url", base, "--allow-apply"]
    cmd += ["--examples", str(examples(1))]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert out.splitlines()[0].startswith(f"uphunt-mock check: {base} (ALLOW-APPLY: credits will be spent)")
    assert f"uphunt-mock check: {base} against openapi/jobo.yaml" in out
    assert out.rstrip().endswith("no drift"), out
    lines = [line.strip() for line in out.splitlines()]
    assert len(READ) + len(SPEND) == 14  # every data operation; Auto Apply (x-mock-check: separate) is left out
    for label in (
        "GET /api/jobs ",
        "POST /api/jobs/feed ",
        "GET /api/feed/jobs/expired",
        "stateful links (getCompanyJobs",
    ):
        line = next((line for line in lines if line.startswith(label)), None)
        assert line is not None and line.endswith("ok") and " 0 requests" not in line, out
    assert not any("auto-apply" in line for line in lines), out


def test_jobo_banner_names_the_url_and_the_demo_key(jobo_socket_mock: MockProcess) -> None:
    assert "Jobo Enterprise API" in jobo_socket_mock.output[0]
    assert jobo_socket_mock.output[0].endswith(jobo_socket_mock.base_url)
    assert "jbe_live_DemoKeyUphuntMockLive" in "\n".join(jobo_socket_mock.output[1:3])
