"""The /_mock control API (openapi/control.yaml): every operation, exact bodies and statuses."""

from __future__ import annotations

import json

from conftest import APPLY, DEMO, DEMO_KEY
from starlette.testclient import TestClient

from mock_server import __version__
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH
from mock_server.core.runtime import Runtime

JOB = "~022053140178050136031"
EPOCH_MS = int(DEFAULT_MANUAL_EPOCH * 1000)


def test_health_clock_and_advance(client: TestClient) -> None:
    health = client.get("/_mock/health").json()
    assert health.pop("uptimeSeconds") >= 0
    assert health == {
        "status": "ok",
        "version": __version__,
        "vendor": "uphunt",
        "clock": {"mode": "manual", "now": EPOCH_MS, "factor": None},
    }
    assert client.get("/_mock/clock").json() == {"mode": "manual", "now": EPOCH_MS, "factor": None}
    r = client.post("/_mock/clock/advance", json={"seconds": 90})
    assert r.status_code == 200 and r.json() == {
        "mode": "manual",
        "now": EPOCH_MS + 90_000,
        "factor": None,
        "eventsRun": 0,
    }
    assert client.post("/_mock/clock/advance", json={"seconds": -1}).status_code == 422
    assert client.post("/_mock/clock/advance", json={"secs": 1}).status_code == 400


def test_state_reset_and_accounts(runtime: Runtime, client: TestClient) -> None:
    assert client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"}).status_code == 200
    state = client.get("/_mock/state").json()
    assert state["clock"]["now"] == EPOCH_MS
    mine = [a for a in state["applications"] if a["jobId"] == JOB]
    assert len(mine) == 1 and mine[0]["applicationStatus"] == "processing" and mine[0]["apiKey"] == "sk_************key"
    put = client.put(f"/_mock/accounts/{DEMO_KEY}", json={"credits": 7, "connects": 3})
    assert put.status_code == 200
    assert (put.json()["credits"], put.json()["connects"]) == (
        {"available": 7, "reserved": 1, "spent": 1, "granted": 9},
        3,
    )
    new = client.put("/_mock/accounts/sk_ci_1", json={"credits": 2})
    assert new.status_code == 201 and new.json()["credits"]["available"] == 2
    assert client.get("/_mock/accounts/sk_missing").status_code == 404
    assert client.put(f"/_mock/accounts/{DEMO_KEY}", json={"credits": -1}).status_code == 422
    client.post("/_mock/clock/advance", json={"seconds": 30})
    reset = client.post("/_mock/reset")
    assert reset.json() == {"status": "reset", "clock": {"mode": "manual", "now": EPOCH_MS, "factor": None}}
    assert client.get(f"/_mock/accounts/{DEMO_KEY}").json()["credits"]["available"] == 100
    assert client.get("/_mock/accounts/sk_ci_1").status_code == 404
    assert [a["jobId"] for a in client.get("/_mock/state").json()["applications"]] == ["~01abc123def456"]


def test_scenarios_list_load_yaml_and_json_and_clear(client: TestClient) -> None:
    assert client.get("/_mock/scenarios").json() == {"scenarios": []}
    yaml_doc = "name: a\nrules:\n  - name: polls fail\n    match: {operationId: getApplicationStatus}\n    times: 2\n    respond: {status: 503}\n"
    r = client.post("/_mock/scenarios", content=yaml_doc, headers={"content-type": "application/yaml"})
    assert r.status_code == 201
    json_doc = {
        "name": "b",
        "description": "json",
        "rules": [{"match": {"operationId": "applyToJob"}, "respond": {"status": 402}}],
    }
    r = client.post("/_mock/scenarios", content=json.dumps(json_doc), headers={"content-type": "application/json"})
    assert r.status_code == 201
    assert r.json() == {
        "scenarios": [
            {
                "name": "a",
                "source": "request",
                "description": None,
                "per": "global",
                "state": "started",
                "rules": [
                    {
                        "id": "a/0",
                        "name": "polls fail",
                        "trigger": "request",
                        "hits": 0,
                        "remaining": 2,
                        "state": "active",
                    }
                ],
            },
            {
                "name": "b",
                "source": "request",
                "description": "json",
                "per": "global",
                "state": "started",
                "rules": [
                    {"id": "b/0", "name": None, "trigger": "request", "hits": 0, "remaining": None, "state": "active"}
                ],
            },
        ]
    }
    assert client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"}).status_code == 402
    assert client.get("/_mock/scenarios").json()["scenarios"][1]["rules"][0]["hits"] == 1
    assert client.delete("/_mock/scenarios").json() == {"scenarios": []}
    assert client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"}).status_code == 200


def test_requests_journal_filters_limit_and_clear(client: TestClient) -> None:
    client.post(
        "/_mock/scenarios",
        content="rules:\n  - match: {operationId: listFreelancers, nth: 2}\n    respond: {status: 503}\n",
    )
    for _ in range(3):
        client.get("/api/auto-apply-v2/freelancers", headers=DEMO)
    client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"})
    client.get("/api/nope")  # unknown path: not an API operation, not journaled
    everything = client.get("/_mock/requests").json()
    assert (everything["dropped"], everything["capacity"]) == (0, 1000)
    rows = everything["requests"]
    assert [(e["operationId"], e["status"], e["matchedRule"]) for e in rows] == [
        ("listFreelancers", 200, None),
        ("listFreelancers", 503, "request/0"),
        ("listFreelancers", 200, None),
        ("applyToJob", 200, None),
    ]
    apply_row = rows[-1]
    assert (
        apply_row["method"] == "POST" and apply_row["path"] == "/api/auto-apply-v2/apply" and apply_row["query"] == {}
    )
    assert apply_row["headers"]["x-api-key"] == "sk_************key" and apply_row["body"] == {
        "jobId": JOB,
        "coverLetter": "Hi",
    }
    assert apply_row["time"] == EPOCH_MS and apply_row["latencyMs"] >= 0
    assert [e["status"] for e in client.get("/_mock/requests", params={"status": 503}).json()["requests"]] == [503]
    only_apply = client.get("/_mock/requests", params={"operationId": "applyToJob"}).json()["requests"]
    assert [e["id"] for e in only_apply] == [rows[-1]["id"]]
    assert [e["id"] for e in client.get("/_mock/requests", params={"limit": 2}).json()["requests"]] == [
        rows[2]["id"],
        rows[3]["id"],
    ]
    assert client.get("/_mock/requests", params={"limit": 0}).status_code == 422
    assert client.get("/_mock/requests", params={"limit": "x"}).status_code == 400
    assert client.delete("/_mock/requests").json() == {
        "requests": [],
        "dropped": 0,
        "capacity": 1000,
        "bytes": 0,
        "maxBytes": 16 * 1024 * 1024,
    }
    assert client.get("/_mock/requests").json()["requests"] == []


def test_control_api_is_not_journaled_nor_rate_limited(client: TestClient) -> None:
    for _ in range(3):
        r = client.get("/_mock/health")
        assert "x-ratelimit-limit" not in r.headers
    assert client.get("/_mock/requests").json()["requests"] == []


def test_a_new_key_gets_an_agency_of_its_own_that_can_apply(client: TestClient) -> None:
    demo = client.get(f"/_mock/accounts/{DEMO_KEY}").json()
    new = client.put("/_mock/accounts/sk_ci_own", json={"credits": 3, "connects": 50})
    assert new.status_code == 201
    body = new.json()
    assert body["agencyId"] != demo["agencyId"] and body["agencyId"].startswith("agency_")
    assert body["connects"] == 50 and demo["connects"] == client.get(f"/_mock/accounts/{DEMO_KEY}").json()["connects"]
    (bd,) = body["freelancers"]
    assert bd["isBusinessDeveloper"] is True and [p["isDefault"] for p in bd["profiles"]] == [True]
    # its first apply is accepted (not 422 "has no freelancer profile") and settles applied
    r = client.post(APPLY, headers={"x-api-key": "sk_ci_own"}, json={"jobId": JOB, "coverLetter": "Hi"})
    assert r.status_code == 200, r.text
    client.post("/_mock/clock/advance", json={"seconds": 600})
    status = client.get(
        "/api/auto-apply-v2/status", params={"queueId": r.json()["queueId"]}, headers={"x-api-key": "sk_ci_own"}
    )
    assert status.json()["applicationStatus"] == "applied"
    after = client.get("/_mock/accounts/sk_ci_own").json()
    assert after["credits"] == {"available": 2, "reserved": 0, "spent": 1, "granted": 3}
    assert after["connects"] < 50 and client.get(f"/_mock/accounts/{DEMO_KEY}").json()["connects"] == demo["connects"]


def test_a_named_new_agency_gets_a_business_developer_unless_freelancers_are_given(client: TestClient) -> None:
    first = client.put("/_mock/accounts/sk_ci_a", json={"agencyId": "agency_ci"}).json()
    assert first["agencyId"] == "agency_ci" and len(first["freelancers"]) == 1
    assert first["freelancers"][0]["isBusinessDeveloper"] is True
    given = [
        {
            "id": "~01x",
            "name": "X",
            "title": "Dev",
            "hourlyRate": 50,
            "isBusinessDeveloper": False,
            "profiles": [{"id": "p1", "name": "P", "isDefault": True, "hourlyRate": 50, "skills": []}],
        }
    ]
    second = client.put("/_mock/accounts/sk_ci_b", json={"agencyId": "agency_ci2", "freelancers": given}).json()
    assert [f["id"] for f in second["freelancers"]] == ["~01x"]
    # two keys naming the same agency share it (and its Connects)
    third = client.put("/_mock/accounts/sk_ci_c", json={"agencyId": "agency_ci"}).json()
    assert third["agencyId"] == "agency_ci" and third["freelancers"] == first["freelancers"]
