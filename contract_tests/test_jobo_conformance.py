"""The Jobo vendor, in-process (ASGI, no socket), against openapi/jobo.yaml: every schemathesis check.

Rate limits stay on (the spec requires their headers) with windows too large to meet; the demo key
has a large wallet. The Auto Apply operations have their own run (test_jobo_autoapply_conformance.py:
an open launch gate, a scaled clock, the stateful links).
"""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, settings
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.check import contract_schema, validate_case
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec, spec_path
from mock_server.vendors.jobo.world import JoboWorldFile

from .conftest import JOBO_OVERLAY, examples

DATA_OPERATIONS = [
    op["operationId"]
    for path, item in load_spec("jobo.yaml")["paths"].items()
    for op in item.values()
    if isinstance(op, dict) and "operationId" in op and not path.startswith("/api/auto-apply/")
]


def make_app():
    data = JoboWorldFile.parse_text(yaml.safe_dump(JOBO_OVERLAY), "<contract overlay>")
    world = JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))
    return create_app(Runtime(world, clock="manual"))


APP = make_app()
schema = contract_schema(app=APP, max_examples=examples(5), vendor="jobo", operation_ids=DATA_OPERATIONS)


def test_served_spec_is_the_contract() -> None:
    with TestClient(APP) as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(yaml.safe_load(spec_path("jobo.yaml").read_text())))


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_operation_conforms(case) -> None:
    validate_case(case)


def test_every_data_operation_is_exercised() -> None:
    labels = {result.ok().label for result in schema.get_all_operations()}
    assert len(labels) == len(DATA_OPERATIONS) == 14
    assert "POST /api/jobs/feed" in labels and "GET /api/feed/jobs/expired" in labels


class JoboLinks(schema.as_state_machine()):  # type: ignore[misc]
    """Stateful: follow the spec's links (a search's first job and its company, a job's company and its
    jobs, a feed page's next page); every response checked against the spec."""

    def setup(self) -> None:
        with TestClient(APP) as client:
            assert client.post("/_mock/reset").status_code == 200


JoboLinks.TestCase.settings = settings(
    max_examples=examples(5), stateful_step_count=6, deadline=None, suppress_health_check=list(HealthCheck)
)
TestJoboLinks = JoboLinks.TestCase


def test_the_state_machine_follows_the_feed_and_search_links() -> None:
    steps = set(dir(JoboLinks))  # schemathesis names a step per link: <operation>___<status>_<link>__<target>
    for step in (
        "POST_api_jobs_feed___200_NextPage__POST_api_jobs_feed",
        "GET_api_jobs___200_GetFirstJob__GET_api_jobs_id_",
        "GET_api_jobs___200_GetFirstJobsCompany__GET_api_companies_id_",
        "GET_api_jobs_id___200_GetCompany__GET_api_companies_id_",
        "GET_api_jobs_id___200_GetCompanyJobs__GET_api_companies_id_jobs",
    ):
        assert step in steps, step
