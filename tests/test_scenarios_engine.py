"""The scenario engine: every match condition and every action, driven through the HTTP API on the manual clock."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from conftest import APPLY, DEMO, DEMO_KEY, SECOND_KEY, STATUS, live_server
from starlette.testclient import TestClient

from mock_server.core.runtime import Runtime

JOB_A = "~022055000000000000003"  # (~01abc123def456 already has an application in the default world)
JOB_B = "~022053140178050136031"
JOB_C = "~022052895097657407455"
GENERATE = "/api/auto-apply-v2/generate-proposal"


def apply(client: TestClient, job: str = JOB_A, key: str = DEMO_KEY) -> httpx.Response:
    return client.post(APPLY, headers={"x-api-key": key}, json={"jobId": job, "coverLetter": "Hello"})


def load(runtime: Runtime, *rules: dict[str, Any], **top: Any) -> None:
    runtime.scenarios.load({"name": top.pop("name", "t"), "rules": list(rules), **top})


def statuses(responses: list[httpx.Response]) -> list[int]:
    return [r.status_code for r in responses]


# ── match conditions ────────────────────────────────────────────────────


def test_operation_id_matches_aliases_of_the_operation(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"operationId": "getJobByCiphertext"}, "respond": {"status": 503}})
    v2 = client.get("/api/jobs/by-ciphertext", params={"cipher": JOB_B}, headers=DEMO)
    v1 = client.get(f"/api/v1/jobs/{JOB_B}", headers=DEMO)
    other = client.get("/api/auto-apply-v2/freelancers", headers=DEMO)
    assert (v2.status_code, v1.status_code, other.status_code) == (503, 503, 200)
    assert v2.json() == {"error": "Upwork is unavailable, retry in a minute"}


def test_method_and_path_glob_and_regex(runtime: Runtime, client: TestClient) -> None:
    load(
        runtime,
        {"match": {"method": "GET", "path": "/api/auto-apply-v2/*"}, "respond": {"status": 500}},
        {"match": {"path": {"regex": "^/api/v1/"}}, "respond": {"status": 503}},
    )
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 500
    assert apply(client).status_code == 200  # POST: not matched by the GET rule
    assert client.get(f"/api/v1/jobs/{JOB_B}", headers=DEMO).status_code == 503
    assert client.get("/api/jobs/by-ciphertext", params={"cipher": JOB_B}, headers=DEMO).status_code == 200


def test_job_id_from_body_or_query_in_any_form_and_queue_id(runtime: Runtime, client: TestClient) -> None:
    load(
        runtime,
        {"match": {"jobId": "~0220531*"}, "respond": {"status": 409, "message": "busy"}},
        {"match": {"queueId": {"regex": "^queue_0"}}, "respond": {"status": 404}},
    )
    assert apply(client, JOB_B).status_code == 409
    url = "https://www.upwork.com/jobs/~022053140178050136031"
    assert apply(client, url).status_code == 409  # the URL form resolves to the same ciphertext
    assert client.get(STATUS, params={"jobId": JOB_B}, headers=DEMO).status_code == 409
    assert apply(client, JOB_A).status_code == 200
    assert client.get(STATUS, params={"queueId": "queue_0abc"}, headers=DEMO).status_code == 404
    assert client.get(STATUS, params={"queueId": "queue_9abc"}, headers=DEMO).json()["error"] == "Application not found"


def test_api_key_match(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"apiKey": SECOND_KEY}, "respond": {"status": 401}})
    refused = client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": SECOND_KEY})
    assert refused.status_code == 401 and "x-ratelimit-limit" not in refused.headers
    assert refused.json()["error"].startswith("Invalid API key")
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 200


def test_nth_every_nth_and_times(runtime: Runtime, client: TestClient) -> None:
    load(
        runtime,
        {"match": {"operationId": "listFreelancers", "nth": 2}, "respond": {"status": 500}},
        {"match": {"operationId": "listAppliedJobs", "everyNth": 3}, "respond": {"status": 503}},
        {"match": {"operationId": "generateProposal"}, "times": 2, "respond": {"status": 500}},
    )
    free = [client.get("/api/auto-apply-v2/freelancers", headers=DEMO) for _ in range(4)]
    listing = [client.get("/api/auto-apply-v2/applied-jobs", headers=DEMO) for _ in range(6)]
    gen = [client.post(GENERATE, headers=DEMO, json={"jobId": JOB_B}) for _ in range(3)]
    assert statuses(free) == [200, 500, 200, 200]
    assert statuses(listing) == [200, 200, 503, 200, 200, 503]
    assert statuses(gen) == [500, 500, 200]
    rules = client.get("/_mock/scenarios").json()["scenarios"][0]["rules"]
    assert [(r["hits"], r["remaining"], r["state"]) for r in rules] == [
        (1, None, "active"),
        (2, None, "active"),
        (2, 0, "exhausted"),
    ]


def seeded_run(seed: int) -> list[int]:
    rt = Runtime(clock="manual")
    rt.scenarios.load(
        {"name": "p", "seed": seed, "rules": [{"match": {"probability": 0.5}, "respond": {"status": 503}}]}
    )
    with TestClient(rt_app(rt)) as c:
        return [c.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code for _ in range(24)]


def rt_app(rt: Runtime) -> Any:
    from mock_server.core.app import create_app

    return create_app(rt)


def test_probability_is_deterministic_for_the_seed() -> None:
    first, again, other = seeded_run(1), seeded_run(1), seeded_run(2)
    assert first == again
    assert first != other
    assert 4 <= first.count(503) <= 20 and set(first) == {200, 503}


def test_clock_window_is_simulated_time_since_start(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"clock": {"from": 30, "to": 60}}, "respond": {"status": 503}})
    free = "/api/auto-apply-v2/freelancers"
    before = client.get(free, headers=DEMO).status_code
    client.post("/_mock/clock/advance", json={"seconds": 30})
    during = client.get(free, headers=DEMO).status_code
    client.post("/_mock/clock/advance", json={"seconds": 30})
    after = client.get(free, headers=DEMO).status_code
    assert (before, during, after) == (200, 503, 200)
    client.post("/_mock/reset")  # the window restarts with the clock
    assert client.get(free, headers=DEMO).status_code == 200


def test_state_sequence_and_per_key_scope(runtime: Runtime, client: TestClient) -> None:
    load(
        runtime,
        {
            "match": {"operationId": "listFreelancers"},
            "whenState": "started",
            "respond": {"status": 503},
            "setState": "one",
        },
        {"match": {"operationId": "listFreelancers"}, "whenState": "one", "respond": {"status": 500}, "setState": "ok"},
        per="apiKey",
    )
    free = "/api/auto-apply-v2/freelancers"
    demo = [client.get(free, headers=DEMO).status_code for _ in range(3)]
    second = [client.get(free, headers={"x-api-key": SECOND_KEY}).status_code for _ in range(3)]
    assert demo == [503, 500, 200] and second == [503, 500, 200]  # one sequence per API key
    scenario = client.get("/_mock/scenarios").json()["scenarios"][0]
    assert scenario["state"] == {DEMO_KEY: "ok", SECOND_KEY: "ok"}


# ── actions ─────────────────────────────────────────────────────────────


def test_injected_429_has_spec_headers_and_body(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"operationId": "applyToJob"}, "times": 1, "respond": {"status": 429, "retryAfter": 17}})
    r = apply(client)
    assert r.status_code == 429
    assert r.json() == {"error": r.json()["error"], "limit": 60, "window": "minute", "retryAfter": 17}
    assert r.headers["retry-after"] == "17"
    assert r.headers["x-ratelimit-limit"] == "60" and r.headers["x-ratelimit-remaining"] == "0"
    assert int(r.headers["x-ratelimit-reset"]) == int(runtime.clock.now()) + 17
    assert runtime.sim.accounts[DEMO_KEY].ledger.available == 100  # no side effect
    assert apply(client).status_code == 200


def test_injected_429_on_a_data_read_uses_the_data_dialect(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"operationId": "getJobByCiphertext"}, "respond": {"status": 429}})
    r = client.get("/api/jobs/by-ciphertext", params={"cipher": JOB_B}, headers=DEMO)
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    body = r.json()
    assert body["error"] == "rate_limit_exceeded" and body["retryAfter"] == 60 and body["window"] == "minute"
    assert isinstance(body["message"], str)


def test_injected_500_503_bodies_and_custom_headers(runtime: Runtime, client: TestClient) -> None:
    load(
        runtime,
        {"match": {"operationId": "applyToJob"}, "times": 1, "respond": {"status": 500}},
        {
            "match": {"operationId": "applyToJob"},
            "times": 1,
            "respond": {"status": 503, "retryAfter": 30, "headers": {"X-Upstream": "upwork"}},
        },
        {"match": {"operationId": "applyToJob"}, "times": 1, "respond": {"status": 502, "body": {"error": "custom"}}},
    )
    r500, r503, r502 = apply(client), apply(client), apply(client)
    assert (r500.status_code, r500.json()) == (500, {"error": "Internal server error"})
    assert "x-ratelimit-limit" not in r500.headers and "retry-after" not in r500.headers
    assert (r503.status_code, r503.json()) == (503, {"error": "Upwork is unavailable, retry in a minute"})
    assert r503.headers["retry-after"] == "30" and r503.headers["x-upstream"] == "upwork"
    assert (r502.status_code, r502.json()) == (502, {"error": "custom"})


def test_injected_409_and_402_carry_context_and_rate_headers(runtime: Runtime, client: TestClient) -> None:
    assert apply(client, JOB_B).status_code == 200
    queue_id = next(a.queue_id for a in runtime.sim.applications.values() if a.job_id == JOB_B)
    load(
        runtime,
        {"match": {"operationId": "applyToJob"}, "times": 1, "respond": {"status": 409}},
        {"match": {"operationId": "applyToJob"}, "respond": {"status": 402}},
    )
    r409, r402 = apply(client, JOB_B), apply(client, JOB_C)
    assert r409.json() == {
        "error": "Already applied to this job or application is already processing",
        "queueId": queue_id,
        "applicationStatus": "processing",
    }
    assert r402.json() == {"error": "Insufficient auto-apply credits", "creditsRemaining": 99, "needsCredits": True}
    assert r409.headers["x-ratelimit-limit"] == "60" and r409.headers["x-ratelimit-remaining"] == "59"


def test_delay_seconds_does_not_wait_on_the_manual_clock_real_seconds_does(
    runtime: Runtime, client: TestClient
) -> None:
    load(
        runtime,
        {"match": {"operationId": "listFreelancers"}, "delay": {"seconds": 300}},
        {"match": {"operationId": "listAppliedJobs"}, "delay": {"realSeconds": 0.3}},
    )
    started = time.perf_counter()
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 200
    assert time.perf_counter() - started < 5  # a 300 s delay that waited would take 300 s
    started = time.perf_counter()
    assert client.get("/api/auto-apply-v2/applied-jobs", headers=DEMO).status_code == 200
    assert time.perf_counter() - started >= 0.3
    entry = runtime.journal.as_list()[-1]
    assert entry["matchedRule"] == "t/1" and entry["latencyMs"] >= 300


def test_delay_seconds_is_scaled_by_the_clock_factor() -> None:
    rt = Runtime(clock="scale=0.002")  # 2 ms per simulated second
    rt.scenarios.load({"rules": [{"match": {"operationId": "listFreelancers"}, "delay": {"seconds": 150}}]})
    with TestClient(rt_app(rt)) as c:
        started = time.perf_counter()
        assert c.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 200
        assert 0.3 <= time.perf_counter() - started < 5  # 0.3 s scaled, not 150 s


def test_drop_makes_a_real_client_see_a_transport_error(runtime: Runtime) -> None:
    load(runtime, {"match": {"operationId": "applyToJob"}, "times": 1, "drop": True})
    with live_server(runtime) as base, httpx.Client(base_url=base, timeout=5) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post(APPLY, headers=DEMO, json={"jobId": JOB_A, "coverLetter": "Hello"})
        retry = http.post(APPLY, headers=DEMO, json={"jobId": JOB_A, "coverLetter": "Hello"})
        assert retry.status_code == 200
        journal = http.get("/_mock/requests").json()["requests"]
    assert [(e["status"], e["matchedRule"]) for e in journal] == [(0, "t/0"), (200, None)]
    # the dropped request had no side effect: the world's one application plus the retry's
    assert len(runtime.sim.applications) == 2


def test_outcome_forced_once_then_natural(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"jobId": JOB_B}, "times": 1, "outcome": {"status": "failed", "message": "boom"}})
    apply(client, JOB_A), apply(client, JOB_B)
    runtime.settle()
    a, b = (client.get(STATUS, params={"jobId": j}, headers=DEMO).json() for j in (JOB_A, JOB_B))
    assert (a["applicationStatus"], b["applicationStatus"], b["errorMessage"]) == ("applied", "failed", "boom")
    assert apply(client, JOB_B).status_code == 200  # failed is refunded: a new apply is allowed
    runtime.settle()
    assert client.get(STATUS, params={"jobId": JOB_B}, headers=DEMO).json()["applicationStatus"] == "applied"
    assert runtime.sim.accounts[DEMO_KEY].ledger.as_dict() == {
        "available": 98,
        "reserved": 0,
        "spent": 3,
        "granted": 101,
    }


def test_account_change_uses_put_account(runtime: Runtime, client: TestClient) -> None:
    load(
        runtime,
        {"match": {"operationId": "listFreelancers"}, "account": {"credits": 3, "connects": 7}},
        {"trigger": "start", "account": {"apiKey": "sk_new_from_scenario", "credits": 5}},
    )
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 200
    view = client.get(f"/_mock/accounts/{DEMO_KEY}").json()
    assert (view["credits"]["available"], view["connects"]) == (3, 7)
    assert client.get("/_mock/accounts/sk_new_from_scenario").json()["credits"]["available"] == 5
    # an unknown key in a request is not turned into an account by a scenario
    assert client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": "sk_nobody"}).status_code == 401
    assert client.get("/_mock/accounts/sk_nobody").status_code == 404


def test_close_job_after_n_seconds_on_the_scheduler(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"trigger": "start", "closeJob": {"jobId": JOB_C, "afterSeconds": 60}})
    job = runtime.sim.catalogue.resolve(JOB_C)
    assert job is not None and job.closed_at is None
    client.post("/_mock/clock/advance", json={"seconds": 60})
    assert job.closed_at == runtime.clock.now()
    client.post("/_mock/reset")  # start rules run again on the fresh world
    fresh = runtime.sim.catalogue.resolve(JOB_C)
    assert fresh is not None and fresh is not job and fresh.closed_at is None
    client.post("/_mock/clock/advance", json={"seconds": 61})
    assert fresh.closed_at is not None


def test_webhook_duplicate_directive(runtime: Runtime, client: TestClient) -> None:
    if getattr(runtime, "webhooks", None) is None:
        pytest.skip("runtime.webhooks is not available")
    received: list[str] = []
    load(runtime, {"match": {"eventType": "application.applied"}, "times": 1, "webhook": {"duplicates": 2}})
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from mock_server.core.app import create_app
    from mock_server.core.serving import ServerThread

    async def hook(request: Request) -> Response:
        received.append(request.headers["x-uphunt-delivery"])
        return Response(status_code=204)

    with ServerThread(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as receiver:
        runtime.put_account(DEMO_KEY, {"webhookUrl": receiver.base_url + "/hook"})
        with ServerThread(create_app(runtime)) as mock, httpx.Client(base_url=mock.base_url) as http:
            for job in (JOB_A, JOB_B):
                assert http.post(APPLY, headers=DEMO, json={"jobId": job, "coverLetter": "Hi"}).status_code == 200
            for _ in range(4):
                http.post("/_mock/clock/advance", json={"seconds": 120})
            deadline = time.monotonic() + 5
            while len(received) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
    assert len(received) == 4  # first event: 1 + 2 duplicates (same delivery id); second: once
    assert len(set(received)) == 2 and max(received.count(x) for x in received) == 3


# ── lifecycle ───────────────────────────────────────────────────────────


def test_reset_keeps_scenarios_and_restarts_counters(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"operationId": "listFreelancers"}, "times": 1, "respond": {"status": 503}})
    free = "/api/auto-apply-v2/freelancers"
    assert [client.get(free, headers=DEMO).status_code for _ in range(2)] == [503, 200]
    client.post("/_mock/reset")
    assert [client.get(free, headers=DEMO).status_code for _ in range(2)] == [503, 200]
    rule = client.get("/_mock/scenarios").json()["scenarios"][0]["rules"][0]
    assert (rule["hits"], rule["remaining"]) == (1, 0)


def test_same_name_replaces_and_clear_removes(runtime: Runtime, client: TestClient) -> None:
    load(runtime, {"match": {"operationId": "listFreelancers"}, "respond": {"status": 503}}, name="x")
    load(runtime, {"match": {"operationId": "listFreelancers"}, "respond": {"status": 500}}, name="x")
    load(runtime, {"match": {"operationId": "listAppliedJobs"}, "respond": {"status": 500}}, name="y")
    assert [s["name"] for s in runtime.scenarios.list()] == ["x", "y"]
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 500
    runtime.scenarios.clear()
    assert runtime.scenarios.list() == [] and runtime.request_hooks == []
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 200
