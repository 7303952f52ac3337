"""Options and fixtures of the contract-test suites.

    pytest contract_tests                                   # in-process + a local mock subprocess
    pytest contract_tests --base-url URL --api-key KEY      # live mode against any server (read-only)
    pytest contract_tests --base-url URL --api-key KEY --allow-apply   # also apply (SPENDS credits)

``--base-url`` / ``--api-key`` fall back to ``UPHUNT_BASE_URL`` / ``UPHUNT_API_KEY``.
Without a base URL the live suite runs against a mock started here as a separate
process (``uphunt-mock serve --port 0 --clock manual``); if that cannot start, the
live tests are skipped with the reason. ``UPHUNT_CONTRACT_EXAMPLES`` sets the
generated examples per operation (default small; see docs/guide/contract-tests.md).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mock_server.core.check import DEMO_KEY

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0  # seconds for a mock subprocess to print its URL


# A Jobo world for conformance runs: a smaller catalogue, rate-limit windows too large to meet (the spec
# requires their headers, so limiting stays on), and a wallet that generated traffic cannot empty.
JOBO_BIG_WINDOWS = {"minute": 10**9, "hour": 10**9, "day": 10**9}
JOBO_OVERLAY: dict[str, Any] = {
    "catalogue": {"jobs": 2000, "companies": 60, "sandboxJobs": 100, "sandboxCompanies": 5},
    "settings": {
        "rateLimits": {
            "general": {"free": JOBO_BIG_WINDOWS, "paid": JOBO_BIG_WINDOWS},
            "feed": {"paid": JOBO_BIG_WINDOWS},
        }
    },
    "accounts": [
        {"apiKey": "jbe_live_DemoKeyUphuntMockLive_LiveCatalogueMeteredPayAsYouGoFeedAccess000", "credits": 10**9}
    ],
}


def examples(default: int) -> int:
    """Generated examples per operation: ``UPHUNT_CONTRACT_EXAMPLES`` overrides the suite's default."""
    raw = os.environ.get("UPHUNT_CONTRACT_EXAMPLES")
    return int(raw) if raw else default


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("uphunt", "UpHunt contract tests (live mode)")
    group.addoption(
        "--base-url", default=None, help="server for the live suite (default $UPHUNT_BASE_URL, else a local mock)"
    )
    group.addoption("--api-key", default=None, help="x-api-key for the live suite (default $UPHUNT_API_KEY)")
    group.addoption(
        "--allow-apply",
        action="store_true",
        default=False,
        help="live suite may apply: SPENDS auto-apply credits and SENDS real proposals",
    )


def _configured_base_url(config: pytest.Config) -> str | None:
    return config.getoption("--base-url", None) or os.environ.get("UPHUNT_BASE_URL") or None


def pytest_report_header(config: pytest.Config) -> list[str]:
    base = _configured_base_url(config)
    target = base or "a local mock started for this run (uphunt-mock serve --port 0 --clock manual)"
    if config.getoption("--allow-apply", False):
        mode = "ALLOW-APPLY: the live suite WILL spend auto-apply credits and send proposals"
    else:
        mode = "read-only: the live suite spends no credit and sends no proposal (--allow-apply to change)"
    return [f"uphunt live contract suite: target {target}; {mode}"]


# ── mock subprocesses ───────────────────────────────────────────────────────


@dataclass
class MockProcess:
    base_url: str
    proc: subprocess.Popen[str]
    output: list[str]


@contextlib.contextmanager
def mock_process(
    *extra: str, world: dict[str, Any] | None = None, argv: list[str] | None = None
) -> Iterator[MockProcess]:
    """Start ``uphunt-mock serve --port 0 --clock manual`` (or ``argv``) and yield its base URL.

    The first stdout line must end with the URL (``... serving the UpHunt API at http://...``).
    Raises RuntimeError with the process output when it does not start in time.
    """
    tmp = None
    cmd = argv or [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--clock", "manual", *extra]
    if world is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="uphunt-world-", delete=False) as tmp:
            yaml.safe_dump(world, tmp)
        cmd += ["--config", tmp.name]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    output: list[str] = []
    first = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            output.append(line.rstrip("\n"))
            first.set()
        first.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not first.wait(START_TIMEOUT) or not output or "http://" not in output[0]:
            raise RuntimeError(f"mock did not start: {' | '.join(output) or 'no output'} (cmd: {' '.join(cmd)})")
        base_url = output[0][output[0].index("http://") :].strip()
        _wait_ready(base_url, proc, output)
        yield MockProcess(base_url, proc, output)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if tmp is not None:
            os.unlink(tmp.name)


def _wait_ready(base_url: str, proc: subprocess.Popen[str], output: list[str]) -> None:
    """The banner is printed before uvicorn accepts connections: poll /_mock/health (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"{base_url}/_mock/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"mock at {base_url} never became ready: {' | '.join(output)}")


# ── the live target ──────────────────────────────────────────────────────────


@dataclass
class LiveTarget:
    base_url: str
    api_key: str
    allow_apply: bool
    is_mock: bool  # answers /_mock/health: its clock can be advanced between tests
    baseline: dict[str, Any] | None = None  # mock only: the account and its applications at the start

    def snapshot(self) -> dict[str, Any] | None:
        """Mock only: the account's credits and the queueIds of its applications right now."""
        if not self.is_mock:
            return None
        account = httpx.get(f"{self.base_url}/_mock/accounts/{self.api_key}", timeout=10).json()
        state = httpx.get(f"{self.base_url}/_mock/state", timeout=10).json()
        return {"credits": account.get("credits"), "applications": sorted(a["queueId"] for a in state["applications"])}

    def refill_rate_limits(self) -> None:
        """On a mock with the manual clock, move a minute on so every per-minute window is fresh."""
        if self.is_mock:
            httpx.post(f"{self.base_url}/_mock/clock/advance", json={"seconds": 60}, timeout=10)


def _is_mock(base_url: str) -> bool:
    try:
        r = httpx.get(f"{base_url}/_mock/health", timeout=5)
        return r.status_code == 200 and r.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False


@pytest.fixture(scope="session")
def live_target(request: pytest.FixtureRequest) -> Iterator[LiveTarget]:
    config = request.config
    allow_apply = bool(config.getoption("--allow-apply", False))
    api_key = config.getoption("--api-key", None) or os.environ.get("UPHUNT_API_KEY")
    base = _configured_base_url(config)
    if base:
        if not api_key:
            pytest.skip("live mode needs an API key: --api-key KEY or UPHUNT_API_KEY")
        base = base.rstrip("/")
        target = LiveTarget(base, api_key, allow_apply, _is_mock(base))
        target.baseline = target.snapshot()
        yield target
        return
    try:
        with mock_process() as mock:
            target = LiveTarget(mock.base_url, api_key or DEMO_KEY, allow_apply, True)
            target.baseline = target.snapshot()
            yield target
    except RuntimeError as exc:
        pytest.skip(f"no --base-url/UPHUNT_BASE_URL given and a local mock could not be started: {exc}")
