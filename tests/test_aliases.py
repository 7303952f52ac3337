"""Aliases: /api/v1/*, /api/v2/* and the legacy freelancers path answer exactly like the current paths.

The list of aliases comes from the spec (operations with ``x-mock-handler``),
so a new alias fails :func:`test_every_alias_in_the_spec_is_covered` until it
is covered here. The only differences allowed are the documented ones: the
legacy Bearer key on ``/api/v1/*`` (and its quota headers).
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from mock_server.core.spec import load_spec
from tests.conftest import DEMO

LEGACY = {"Authorization": "Bearer up_demo_legacy_key"}
ACME = "1991212616395436888"

# alias operationId -> (canonical path template, alias path template); {x} is the variable part.
ALIASES = {
    "listFreelancersLegacy": ("/api/auto-apply-v2/freelancers", "/api/auto-apply/external/freelancers"),
    "getJobByCiphertextV1": ("/api/jobs/by-ciphertext?cipher={x}", "/api/v1/jobs/by-ciphertext?cipher={x}"),
    "getJobByCiphertextV2": ("/api/jobs/by-ciphertext?cipher={x}", "/api/v2/jobs/by-ciphertext?cipher={x}"),
    "getJobByCiphertextV1Path": ("/api/jobs/by-ciphertext?cipher={x}", "/api/v1/jobs/{x}"),
    "getClientJobsV1": ("/api/clients/{x}/jobs", "/api/v1/clients/{x}/jobs"),
    "getClientJobsV2": ("/api/clients/{x}/jobs", "/api/v2/clients/{x}/jobs"),
}
# Values of {x}: found, and not found.
SAMPLES = {
    "listFreelancersLegacy": [""],
    "getJobByCiphertextV1": ["~022053140178050136031", "~01abc", "~020000000000000000000"],
    "getJobByCiphertextV2": ["~022052895097657407455", "~020000000000000000000"],
    "getJobByCiphertextV1Path": ["~022040846723050472167", "~01abc", "~020000000000000000000"],
    "getClientJobsV1": [ACME, "1744092201533222913", "42"],
    "getClientJobsV2": [ACME, "42"],
}


def exchange(client: TestClient, path: str, headers: dict[str, str] | None) -> tuple[int, Any]:
    r = client.get(path, headers=headers)
    return r.status_code, r.json()


def test_every_alias_in_the_spec_is_covered() -> None:
    spec = load_spec("uphunt.yaml")
    found = {}
    for path, item in spec["paths"].items():
        for op in item.values():
            if "x-mock-handler" in op:
                found[op["operationId"]] = path
    assert set(found) == set(ALIASES)
    for op_id, (_, alias) in ALIASES.items():
        assert found[op_id] == alias.split("?")[0].replace(
            "{x}", "{ciphertext}" if "jobs/{x}" in alias else "{companyId}"
        )


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_alias_answers_exactly_like_the_current_path(client: TestClient, alias: str) -> None:
    canonical, aliased = ALIASES[alias]
    for x in SAMPLES[alias]:
        want = exchange(client, canonical.format(x=x), DEMO)
        got = exchange(client, aliased.format(x=x), DEMO)
        assert got == want, (alias, x)
        assert want[0] in (200, 404)
        # Without a key: the same 401 in the same dialect.
        assert exchange(client, aliased.format(x=x), None) == exchange(client, canonical.format(x=x), None)
    statuses = {exchange(client, canonical.format(x=x), DEMO)[0] for x in SAMPLES[alias]}
    assert 200 in statuses and (alias == "listFreelancersLegacy" or 404 in statuses)


def test_missing_cipher_is_the_same_400_on_every_query_form(client: TestClient) -> None:
    want = exchange(client, "/api/jobs/by-ciphertext", DEMO)
    assert want[0] == 400 and want[1]["error"] == "bad_request"
    for path in ("/api/v1/jobs/by-ciphertext", "/api/v2/jobs/by-ciphertext"):
        assert exchange(client, path, DEMO) == want


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_alias_shares_the_bucket_of_its_operation(client: TestClient, alias: str) -> None:
    canonical, aliased = ALIASES[alias]
    x = SAMPLES[alias][0]
    first = client.get(canonical.format(x=x), headers=DEMO).headers
    second = client.get(aliased.format(x=x), headers=DEMO).headers
    assert int(second["X-RateLimit-Limit"]) == int(first["X-RateLimit-Limit"])
    assert int(second["X-RateLimit-Remaining"]) == int(first["X-RateLimit-Remaining"]) - 1


def test_legacy_bearer_on_v1_gets_the_same_body_with_quota_headers(client: TestClient) -> None:
    for path in (
        "/api/v1/jobs/~022053140178050136031",
        "/api/v1/jobs/by-ciphertext?cipher=~022053140178050136031",
        f"/api/v1/clients/{ACME}/jobs",
        "/api/v1/clients/42/jobs",
    ):
        keyed = client.get(path, headers=DEMO)
        bearer = client.get(path, headers=LEGACY)
        assert (bearer.status_code, bearer.json()) == (keyed.status_code, keyed.json()), path
        assert keyed.headers["X-RateLimit-Limit"] == "60" and bearer.headers["X-RateLimit-Limit"] == "10000"
    # Only /api/v1/* knows the Bearer scheme.
    for path in (f"/api/v2/clients/{ACME}/jobs", "/api/v2/jobs/by-ciphertext?cipher=~01abc"):
        refused = client.get(path, headers=LEGACY)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized", path
    refused = client.get("/api/auto-apply/external/freelancers", headers=LEGACY)
    assert refused.status_code == 401 and refused.json()["error"].startswith("Missing API key")
    # The path form of the job read exists under /api/v1 only (the old documented path).
    assert client.get("/api/v2/jobs/~022053140178050136031", headers=DEMO).status_code == 404
