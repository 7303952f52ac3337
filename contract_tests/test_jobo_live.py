"""Jobo live mode: the contract suite against any Jobo server with a sandbox key, read-only and free.

    JOBO_BASE_URL=https://connect.jobo.world JOBO_API_KEY=jbe_test_... pytest contract_tests/test_jobo_live.py

A ``jbe_test_`` key reads Jobo's sandbox catalogue and is never charged, so the run includes the
searches, feeds and geocoding (``x-mock-effect: spend``) besides the free reads, and nothing that
writes (Auto Apply is left out). Another key is refused: the suite skips, saying why. Without
``JOBO_BASE_URL`` the target is a Jobo mock started here as a separate process with its default
world, rate limits included; there the suite also proves that the run changed nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mock_server.core.check import DriftError, contract_schema, free_operations, operations_by_effect, run_check
from mock_server.core.journal import mask_secret
from mock_server.core.spec import load_spec
from mock_server.vendors.jobo.domain.accounts import DEMO_LIVE_KEY, DEMO_SANDBOX_KEY

from .conftest import examples, mock_process

SPEC = load_spec("jobo.yaml")
READ, SPEND = operations_by_effect(SPEC)
FREE = free_operations(SPEC, SPEND)


@dataclass
class JoboTarget:
    base_url: str
    api_key: str
    is_mock: bool
    baseline: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, Any] | None:
        """Mock only: the sandbox key's and the demo key's credits, and the catalogue's size."""
        if not self.is_mock:
            return None
        state = httpx.get(f"{self.base_url}/_mock/state", timeout=10).json()
        accounts = {a["apiKey"]: a["credits"] for a in state["accounts"]}  # the state shows keys masked
        return {
            "sandbox": accounts[mask_secret(self.api_key)],
            "demo": accounts[mask_secret(DEMO_LIVE_KEY)],
            "catalogue": state["catalogue"],
        }


@pytest.fixture(scope="module")
def jobo_target() -> Iterator[JoboTarget]:
    base = os.environ.get("JOBO_BASE_URL")
    if base:
        key = os.environ.get("JOBO_API_KEY", "")
        if not key.startswith("jbe_test_"):
            pytest.skip("Jobo live mode runs with a sandbox key only (JOBO_API_KEY=jbe_test_...): free and read-only")
        yield JoboTarget(base.rstrip("/"), key, is_mock=False)
        return
    with mock_process("--vendor", "jobo") as mock:
        target = JoboTarget(mock.base_url, DEMO_SANDBOX_KEY, is_mock=True)
        target.baseline = target.snapshot()
        yield target


def test_live_jobo_server_matches_the_spec(jobo_target: JoboTarget) -> None:
    report = run_check(jobo_target.base_url, api_key=jobo_target.api_key, vendor="jobo", max_examples=examples(1))
    print(report.render())
    assert not report.drifts, DriftError(report.drifts).args[0]
    assert not report.errors, "\n".join(report.errors)
    assert "mode: read-only with a key that is never charged" in report.render()
    tested = {label for label, r in report.operations.items() if r.requests > 0}
    assert len(tested) >= len(READ) + len(FREE) == 14, report.render()


def test_zz_the_run_was_read_only_and_free(jobo_target: JoboTarget) -> None:
    """Runs after the check in this module: on a mock target, no key paid and the catalogue is as it was."""
    if not jobo_target.is_mock:
        pytest.skip("only provable on a mock target")
    now = jobo_target.snapshot()
    assert now == jobo_target.baseline
    assert now is not None and now["sandbox"]["spent"] == 0


def test_live_mode_runs_reads_and_free_spending_but_never_writes() -> None:
    """Which operations each kind of key gets in read-only mode (no server needed)."""

    def operation_ids(api_key: str) -> set[str]:
        schema = contract_schema(base_url="http://127.0.0.1:9", api_key=api_key, allow_apply=False, vendor="jobo")
        return {r.ok().definition.raw["operationId"] for r in schema.get_all_operations()}

    sandbox, live = operation_ids(DEMO_SANDBOX_KEY), operation_ids(DEMO_LIVE_KEY)
    assert live == set(READ) and sandbox == set(READ) | set(FREE)
    assert {"searchJobs", "getJobsFeed", "geocodeLocation"} <= sandbox - live
    writes = {op for op in SPEND if op not in FREE}
    assert not writes & sandbox and not any("AutoApply" in op for op in sandbox)
