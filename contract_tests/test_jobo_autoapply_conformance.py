"""Jobo Auto Apply, in-process (ASGI), against openapi/jobo.yaml: every schemathesis check, positive and
negative, plus the stateful phase over the spec's links (create profile → create application →
answers → get; start → get/end session). 0 failures.

The world opens the launch gate, gives the demo key a large wallet and quotas too large to meet,
and runs on a scaled clock (1 simulated second = 1 ms) so applications move between requests and
holds last milliseconds. Rules the spec states in prose (exactly one supported target, a contact on
create, a complete snapshot for the current step) are applied to *positive* cases by the vendor's
``fit_contract_case``.
"""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.check import contract_schema, validate_case
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec
from mock_server.vendors.jobo.world import JoboWorldFile

from .conftest import examples

BIG = {"minute": 10**9, "hour": 10**9, "day": 10**9}
LIVE_KEY = "jbe_live_DemoKeyUphuntMockLive_LiveCatalogueMeteredPayAsYouGoFeedAccess000"
OVERLAY = {
    "catalogue": {"jobs": 300, "companies": 20, "sandboxJobs": 20, "sandboxCompanies": 2},
    "settings": {
        "rateLimits": {"general": {"free": BIG, "paid": BIG}, "feed": {"paid": BIG}},
        "autoApply": {
            "enabled": True,
            "holdSeconds": 20,
            "quotas": {"livePerDay": 10**6, "sandboxPerHour": 10**6, "inFlight": 10**6, "capacity": 10**6},
        },
    },
    "accounts": [{"apiKey": LIVE_KEY, "credits": 10**9, "autoApply": True}],
}
AUTO_APPLY_OPERATIONS = [
    op["operationId"]
    for path, item in load_spec("jobo.yaml")["paths"].items()
    for op in item.values()
    if isinstance(op, dict) and "operationId" in op and path.startswith("/api/auto-apply/")
]


def make_app():
    data = JoboWorldFile.parse_text(yaml.safe_dump(OVERLAY), "<contract overlay>")
    world = JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))
    return create_app(Runtime(world, clock="scale=0.001"))


APP = make_app()
schema = contract_schema(app=APP, max_examples=examples(5), vendor="jobo", operation_ids=AUTO_APPLY_OPERATIONS)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_operation_conforms(case) -> None:
    validate_case(case)


class StatefulAutoApply(schema.as_state_machine()):  # type: ignore[misc]
    """Stateful: follow the spec's links (profile → application → answers → get; session start → get/end)."""

    def setup(self) -> None:
        with TestClient(APP) as client:
            assert client.post("/_mock/reset").status_code == 200

    def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """Every check but ``ignored_auth``: in the stateful phase schemathesis sees the configured demo key as a
        *generated* credential, so an idempotent replay's 2xx reads as "auth ignored". The parametrized
        test above runs ``ignored_auth`` on every operation with the key marked explicit (and it passes)."""
        from schemathesis.specs.openapi.checks import ignored_auth

        case.validate_response(response, additional_checks=additional_checks, excluded_checks=[ignored_auth],
                               transport_kwargs=kwargs or None)  # fmt: skip


StatefulAutoApply.TestCase.settings = settings(
    max_examples=examples(8), stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)
)
TestStatefulAutoApply = StatefulAutoApply.TestCase


def test_every_auto_apply_operation_is_exercised() -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert len(labels) == len(AUTO_APPLY_OPERATIONS) == 18
    assert "POST /api/auto-apply/applications/{applicationId}/answers" in labels


def test_the_stateful_links_chain_profile_application_answers_get() -> None:
    spec = load_spec("jobo.yaml")["paths"]
    created = spec["/api/auto-apply/profiles"]["post"]["responses"]["201"]["links"]
    assert created["CreateApplication"]["operationId"] == "createAutoApplyApplication"
    answers = spec["/api/auto-apply/applications"]["post"]["responses"]["202"]["links"]["SubmitAnswers"]
    assert answers["parameters"] == {"applicationId": "$response.body#/id"}
    got = spec["/api/auto-apply/applications/{applicationId}/answers"]["post"]["responses"]["200"]["links"]
    assert got["GetApplication"]["operationId"] == "getAutoApplyApplication"


def test_the_app_serves() -> None:
    with TestClient(APP) as client:
        assert client.get("/api/auto-apply/sandbox/scenarios").status_code == 200
