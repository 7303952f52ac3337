"""Live mode: the read-only contract suite against any server.

    pytest contract_tests --base-url https://uphunt.io --api-key "$UPHUNT_API_KEY"

Read-only unless --allow-apply: only GET operations are generated, so no credit is spent and
no proposal is sent. In `make test` the target is a mock started as a separate process.
Every difference between the spec and the answers fails with a message naming the field.
"""

from __future__ import annotations

import httpx
import pytest

from mock_server.core.check import (
    DriftError,
    contract_schema,
    operations_by_effect,
    run_check,
    validate_case,
)
from mock_server.core.spec import load_spec

from .conftest import LiveTarget, examples

READ_ONLY_OPERATIONS, SPENDING_OPERATIONS = operations_by_effect(load_spec("uphunt.yaml"))


@pytest.fixture(scope="module")
def live_schema(live_target: LiveTarget):
    return contract_schema(
        base_url=live_target.base_url,
        api_key=live_target.api_key,
        allow_apply=live_target.allow_apply,
        max_examples=examples(3),
    )


def test_live_server_matches_the_spec(live_target: LiveTarget) -> None:
    """Every allowed operation through schemathesis's examples, coverage and fuzzing phases."""
    live_target.refill_rate_limits()  # mock targets only: move the manual clock past the minute window
    report = run_check(
        live_target.base_url,
        api_key=live_target.api_key,
        allow_apply=live_target.allow_apply,
        max_examples=examples(2),
    )
    print(report.render())
    assert not report.drifts, DriftError(report.drifts).args[0]
    assert not report.errors, "\n".join(report.errors)
    expected = len(READ_ONLY_OPERATIONS) + (len(SPENDING_OPERATIONS) if live_target.allow_apply else 0)
    tested = [r for r in report.operations.values() if r.requests > 0]
    assert len(tested) >= expected, report.render()


def test_read_only_unless_allowed(live_schema, live_target: LiveTarget) -> None:
    ids = {r.ok().definition.raw.get("operationId") for r in live_schema.get_all_operations()}
    assert set(READ_ONLY_OPERATIONS) <= ids
    if live_target.allow_apply:
        assert set(SPENDING_OPERATIONS) <= ids
    else:
        assert ids.isdisjoint(SPENDING_OPERATIONS), "read-only mode must not generate apply/generate-proposal"


def test_missing_key_is_refused(live_target: LiveTarget, live_schema) -> None:
    live_target.refill_rate_limits()
    r = httpx.get(f"{live_target.base_url}/api/auto-apply-v2/freelancers", timeout=30)
    assert r.status_code == 401
    assert isinstance(r.json().get("error"), str) and r.json()["error"]


def test_unknown_application_is_not_found(live_target: LiveTarget, live_schema) -> None:
    live_target.refill_rate_limits()
    op = live_schema["/api/auto-apply-v2/status"]["GET"]
    response = validate_case(op.Case(query={"queueId": "queue_00000000000000000000"}))
    assert response.status_code == 404


def test_apply_then_status(live_target: LiveTarget, live_schema) -> None:
    if not live_target.allow_apply:
        pytest.skip("read-only live mode: pass --allow-apply to queue a real application")
    live_target.refill_rate_limits()
    apply_op = live_schema["/api/auto-apply-v2/apply"]["POST"]
    queued = validate_case(apply_op.Case(body={"jobId": "~022053140178050136031", "coverLetter": "Contract test"}))
    assert queued.status_code in (200, 402, 409)
    if queued.status_code == 200:
        status_op = live_schema["/api/auto-apply-v2/status"]["GET"]
        assert validate_case(status_op.Case(query={"queueId": queued.json()["queueId"]})).status_code == 200


def test_zz_no_credit_was_spent(live_target: LiveTarget) -> None:
    """Runs last in this module: on a mock target, the read-only run left credits and applications as they were."""
    if not live_target.is_mock or live_target.allow_apply:
        pytest.skip("only provable on a mock target in read-only mode")
    now = live_target.snapshot()
    assert now is not None and live_target.baseline is not None
    assert now["credits"] == live_target.baseline["credits"]
    assert now["applications"] == live_target.baseline["applications"]
    assert now["credits"]["reserved"] == 0
