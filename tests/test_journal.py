"""The bounded request journal: capacity, eviction count, masking, clipping, matched rule."""

from __future__ import annotations

from conftest import DEMO, world_with
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.journal import MAX_BODY_CHARS, Journal, mask_secret
from mock_server.core.runtime import Runtime

FREELANCERS = "/api/auto-apply-v2/freelancers"


def test_oldest_entries_are_dropped_at_capacity() -> None:
    journal = Journal(capacity=3)
    for i in range(5):
        journal.start(i, "GET", f"/p{i}", {}, {}, None)
    assert [e["path"] for e in journal.as_list()] == ["/p2", "/p3", "/p4"]
    assert journal.dropped == 2
    journal.clear()
    assert (journal.as_list(), journal.dropped) == ([], 0)
    zero = Journal(capacity=0)
    zero.start(0, "GET", "/", {}, {}, None)
    assert (zero.as_list(), zero.dropped) == ([], 1)


def test_secrets_masked_and_large_bodies_clipped() -> None:
    journal = Journal()
    headers = {"x-api-key": "sk_uphunt_demo_key", "Authorization": "Bearer up_demo_legacy_key", "accept": "*/*"}
    entry = journal.start(0, "POST", "/", {}, headers, "x" * (MAX_BODY_CHARS + 10))
    assert entry.headers == {
        "x-api-key": "sk_************key",
        "Authorization": "Bearer up_************key",
        "accept": "*/*",
    }
    assert entry.body.endswith(f"… ({MAX_BODY_CHARS + 10} chars)") and len(entry.body) < MAX_BODY_CHARS + 40
    assert mask_secret("short") == "****"


def test_capacity_from_runtime_argument_and_world_settings() -> None:
    assert Runtime(clock="manual", journal_capacity=2).journal.capacity == 2
    world = world_with({"settings": {"journal": {"capacity": 3}}})
    rt = Runtime(world, clock="manual")
    with TestClient(create_app(rt)) as c:
        for _ in range(5):
            c.get(FREELANCERS, headers=DEMO)
        body = c.get("/_mock/requests").json()
    assert (len(body["requests"]), body["dropped"], body["capacity"]) == (3, 2, 3)
    assert [e["id"] for e in body["requests"]] == [3, 4, 5]


def test_entries_record_the_rule_that_acted(runtime: Runtime, client: TestClient) -> None:
    runtime.scenarios.load(
        {
            "name": "j",
            "rules": [
                {
                    "name": "side effect only",
                    "match": {"operationId": "listFreelancers", "nth": 1},
                    "account": {"connects": 9},
                },
                {"match": {"operationId": "listFreelancers", "nth": 2}, "respond": {"status": 500}},
            ],
        }
    )
    statuses = [client.get(FREELANCERS, headers=DEMO).status_code for _ in range(3)]
    assert statuses == [200, 500, 200]
    assert [(e["status"], e["matchedRule"]) for e in runtime.journal.as_list()] == [
        (200, "j/0"),
        (500, "j/1"),
        (200, None),
    ]
