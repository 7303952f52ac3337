"""A vendor defined outside mock_server (tests/toy_vendor) runs on the engine with no edit to core.

It serves its spec's operations, authenticates and renders errors in its own dialect, validates
against its spec, journals, takes scenarios (rendered in its dialect too), refuses to start when
the spec and its handlers disagree, and passes the contract checker (schemathesis) with 0 drift.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient
from toy_vendor import KEY, VENDOR, NotesVendor

from mock_server.core import vendor as registry
from mock_server.core.app import RegistryError, create_app
from mock_server.core.check import run_check
from mock_server.core.runtime import Runtime

AUTH = {"x-api-key": KEY}


@pytest.fixture
def toy() -> Iterator[Runtime]:
    registry.register(VENDOR)
    try:
        yield Runtime(vendor="toy", clock="manual")
    finally:
        registry.unregister("toy")


@pytest.fixture
def client(toy: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(toy)) as c:
        yield c


def test_serves_its_resource_with_its_own_dialect(client: TestClient) -> None:
    created = client.post("/notes", json={"text": "hello"}, headers=AUTH)
    assert created.status_code == 201
    note = created.json()
    assert note == {"id": "note_1", "text": "hello", "createdAt": note["createdAt"]}
    assert client.get(f"/notes/{note['id']}", headers=AUTH).json() == note
    assert client.get("/notes", headers=AUTH).json() == {"notes": [note]}
    missing = client.get("/notes/nope", headers=AUTH)
    assert (missing.status_code, missing.json()) == (404, {"code": "note_not_found", "detail": "no note 'nope'"})
    assert client.get("/notes").json() == {"code": "bad_key", "detail": "missing or unknown x-api-key"}
    bad = client.post("/notes", json={"text": ""}, headers=AUTH)
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed" and "text" in bad.json()["detail"]


def test_journals_and_takes_scenarios_rendered_in_its_dialect(toy: Runtime, client: TestClient) -> None:
    toy.scenarios.load(
        {
            "name": "flaky",
            "rules": [
                {"match": {"operationId": "createNote"}, "times": 1, "respond": {"status": 503, "retryAfter": 2}}
            ],
        }
    )
    first = client.post("/notes", json={"text": "a"}, headers=AUTH)
    assert first.status_code == 503 and first.headers["retry-after"] == "2"
    assert first.json() == {"code": "service_unavailable", "detail": "HTTP 503 (injected by a scenario)"}
    assert client.post("/notes", json={"text": "a"}, headers=AUTH).status_code == 201
    journal = client.get("/_mock/requests").json()["requests"]
    assert [(e["operationId"], e["status"], e["matchedRule"]) for e in journal] == [
        ("createNote", 503, "flaky/0"),
        ("createNote", 201, None),
    ]


def test_start_up_refuses_a_spec_and_handlers_that_disagree() -> None:
    class Missing(NotesVendor):
        name = "toy-missing"
        handlers = {
            "createNote": NotesVendor.handlers["createNote"],
            "listNotes": NotesVendor.handlers["listNotes"],
            "extra": lambda ctx: (200, {}),
        }

    with pytest.raises(RegistryError) as info:
        create_app(Runtime(vendor=Missing(), clock="manual"))
    assert str(info.value) == (
        "vendor 'toy-missing': operations without a handler: getNote; handlers without an operation in the spec: extra"
    )


def test_passes_the_contract_checker_with_no_drift(toy: Runtime) -> None:
    report = run_check(app=create_app(toy), vendor="toy", allow_apply=True, max_examples=15)
    assert report.ok, report.render()
    assert report.drifts == [] and report.errors == []
    assert {"POST /notes", "GET /notes", "GET /notes/{noteId}"} <= set(report.operations)
