"""The mock, in-process (ASGI, no socket), against openapi/uphunt.yaml: every schemathesis check.

Rate limits stay on (their headers are required by the spec) but with windows so large
that generated traffic never meets a 429; one test below checks that a real 429 conforms.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.check import DEMO_KEY, contract_schema, rate_limit_overlay, validate_case
from mock_server.core.runtime import Runtime
from mock_server.core.spec import spec_path
from mock_server.vendors.uphunt.world import World, merge_worlds

from .conftest import examples


def make_app(overlay: dict | None = None):
    data = merge_worlds(World.default().data, rate_limit_overlay())
    if overlay:
        data = merge_worlds(data, overlay)
    return create_app(Runtime(World(data), clock="manual"))


APP = make_app()
schema = contract_schema(app=APP, max_examples=examples(5))


def test_served_spec_is_the_contract() -> None:
    with TestClient(APP) as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/json"
    assert served.json() == json.loads(json.dumps(yaml.safe_load(spec_path("uphunt.yaml").read_text())))


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_operation_conforms(case) -> None:
    validate_case(case)


class ApplyThenStatus(schema.as_state_machine()):  # type: ignore[misc]
    """Stateful: apply, then follow the GetStatusByQueueId link; every response checked."""

    def setup(self) -> None:
        with TestClient(APP) as client:
            assert client.post("/_mock/reset").status_code == 200


ApplyThenStatus.TestCase.settings = settings(
    max_examples=examples(5), stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)
)
TestApplyThenStatus = ApplyThenStatus.TestCase


@pytest.mark.parametrize(
    ("path", "operation_id", "query", "dialect_error"),
    [
        ("/api/auto-apply-v2/freelancers", "listFreelancers", None, None),
        ("/api/jobs/by-ciphertext", "getJobByCiphertext", {"cipher": "~022052895097657407455"}, "rate_limit_exceeded"),
    ],
)
def test_rate_limited_response_conforms(
    path: str, operation_id: str, query: dict | None, dialect_error: str | None
) -> None:
    app = make_app({"settings": {"rateLimits": {operation_id: {"minute": 1}}}})
    limited = contract_schema(app=app)
    operation = limited[path]["GET"]
    first = validate_case(operation.Case(query=query))
    assert first.status_code == 200
    assert _headers(first)["x-ratelimit-remaining"] == "0"
    second = validate_case(operation.Case(query=query))  # checked against the spec's 429 response
    assert second.status_code == 429
    headers = _headers(second)
    assert headers["x-ratelimit-limit"] == "1" and headers["x-ratelimit-remaining"] == "0"
    assert int(headers["retry-after"]) >= 1
    body = second.json()
    assert body["limit"] == 1 and body["window"] == "minute" and body["retryAfter"] >= 1
    if dialect_error:
        assert body["error"] == dialect_error


def _headers(response) -> dict[str, str]:
    return {k.lower(): v[0] if isinstance(v, list) else v for k, v in response.headers.items()}


def test_every_operation_is_exercised() -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert len(labels) == 13
    assert "POST /api/auto-apply-v2/apply" in labels and "GET /api/v1/jobs/{ciphertext}" in labels
    assert DEMO_KEY == "sk_uphunt_demo_key"
