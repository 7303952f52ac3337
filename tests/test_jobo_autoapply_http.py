"""Jobo Auto Apply over HTTP (in-process): exact statuses, bodies and headers; holds on the manual clock.

Most tests set ``holdSeconds: 0`` so a synchronous client gets its answer at once; the hold tests
drive the ASGI app with an async client in one event loop, so a held request and the control call
that releases it run side by side, exactly as two clients of a real server would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.vendors.jobo.domain.accounts import DEMO_FREE_KEY, DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.domain.autoapply.fields import Field, snapshot_for
from mock_server.vendors.jobo.world import JoboWorldFile

LIVE = {"X-Api-Key": DEMO_LIVE_KEY}
SANDBOX = {"X-Api-Key": DEMO_SANDBOX_KEY}
FREE = {"X-Api-Key": DEMO_FREE_KEY}
APPS = "/api/auto-apply/applications"
SCENARIO = "https://sandbox.jobo.world/apply/"
FIXED = {"queued": [2, 2], "discovery": [30, 30], "review": [10, 10]}
SEED_503 = {
    "status": 503,
    "error": "Service Unavailable",
    "message": "The service is temporarily unavailable for maintenance. Please try again in a few minutes.",
}


def world(auto_apply: dict[str, Any] | None = None, **settings: Any) -> JoboWorldFile:
    overlay = {
        "catalogue": {"jobs": 400, "companies": 20, "sandboxJobs": 40, "sandboxCompanies": 3},
        "settings": {
            "autoApply": {"enabled": True, "holdSeconds": 0, "durations": FIXED, **(auto_apply or {})},
            **settings,
        },
    }
    data = JoboWorldFile.parse_text(yaml.safe_dump(overlay), "<test overlay>")
    return JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))


def client_for(auto_apply: dict[str, Any] | None = None, **settings: Any) -> TestClient:
    return TestClient(create_app(Runtime(world(auto_apply, **settings), clock="manual")), raise_server_exceptions=False)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with client_for() as c:
        yield c


def create(
    c: TestClient, target: str = "multi-step", key: str = "k-1", headers: dict = SANDBOX, **extra: Any
) -> httpx.Response:
    body = {"apply_url": SCENARIO + target} if headers is SANDBOX else {"job_id": target}
    return c.post(APPS, json={**body, **extra}, headers={**headers, "Idempotency-Key": key})


def advance(c: TestClient, seconds: float) -> None:
    assert c.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def answers_for(app: dict[str, Any]) -> list[dict[str, Any]]:
    return snapshot_for([Field.from_data(f) for f in app["current_step"]["fields"]])


def greenhouse_job(c: TestClient) -> str:
    rt: Runtime = c.app.state.runtime
    return next(j.id for j in rt.sim.world.live.jobs if j.source == "greenhouse" and j.active)


# ── the launch gate and permission ──────────────────────────────────────────


def test_gate_closed_is_the_seed_503_with_its_code_and_reads_still_work() -> None:
    with client_for({"enabled": False}) as c:
        r = create(c, greenhouse_job(c), headers=LIVE)
        assert r.status_code == 503
        assert r.json() == {**SEED_503, "code": "auto_apply_coming_soon"}
        assert r.headers["X-RateLimit-Group"] == "general" and "X-Credits-Deducted" not in r.headers
        r = c.post("/api/auto-apply/start", json={"apply_url": SCENARIO + "multi-step"}, headers=SANDBOX)
        assert r.status_code == 503 and r.json()["code"] == "auto_apply_coming_soon"
        assert c.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()["credits"]["spent"] == 0
        r = c.get(APPS, headers=LIVE)
        assert r.status_code == 200 and r.json() == {"data": [], "has_more": False, "next_cursor": None}
        assert r.headers["X-Credits-Deducted"] == "0" and r.headers["X-Credits-Balance"] == "100000"
        # The control API opens the gate; a reset restores the world's (closed) gate.
        r = c.patch("/_mock/settings", json={"autoApply": {"enabled": True}})
        assert r.status_code == 200 and r.json()["autoApply"]["enabled"] is True
        assert create(c, "multi-step").status_code == 202
        c.post("/_mock/reset")
        assert c.get("/_mock/settings").json()["autoApply"]["enabled"] is False
        assert create(c, "multi-step", key="k-2").status_code == 503


def test_default_world_is_closed() -> None:
    data = JoboWorldFile.default_data()
    assert data["settings"]["autoApply"]["enabled"] is False
    with TestClient(create_app(Runtime(vendor="jobo", clock="manual"))) as c:
        r = c.post(APPS, json={"apply_url": SCENARIO + "multi-step"}, headers={**SANDBOX, "Idempotency-Key": "x"})
        assert r.status_code == 503 and r.json()["code"] == "auto_apply_coming_soon"


def test_settings_patch_refuses_unknown_keys(client: TestClient) -> None:
    r = client.patch("/_mock/settings", json={"autoApply": {"enabled": "yes"}})
    assert r.status_code == 422 and r.json() == {"error": "autoApply.enabled must be true or false"}
    r = client.patch("/_mock/settings", json={"gate": True})
    assert r.status_code == 422 and "unknown setting(s): gate" in r.json()["error"]
    r = client.patch("/_mock/settings", json={"autoApply": {"quotas": {"inFlight": 1}, "answersExpireSeconds": 60}})
    assert r.json()["autoApply"]["quotas"]["inFlight"] == 1 and r.json()["autoApply"]["answersExpireSeconds"] == 60


def test_keys_without_permission_get_403(client: TestClient) -> None:
    for method, path in (("GET", APPS), ("GET", "/api/auto-apply/profiles"), ("GET", f"{APPS}/x")):
        r = client.request(method, path, headers=FREE)
        assert r.status_code == 403, path
        assert r.json() == {"status": 403, "error": "Forbidden", "message": "This API key does not have Auto Apply permission.",
                            "code": "auto_apply_not_enabled"}  # fmt: skip
        assert r.headers["X-RateLimit-Limit"] == "60"
    client.put(f"/_mock/accounts/{DEMO_FREE_KEY}", json={"autoApply": True})
    assert client.get(APPS, headers=FREE).status_code == 200


def test_sandbox_scenarios_are_public(client: TestClient) -> None:
    r = client.get("/api/auto-apply/sandbox/scenarios")
    assert r.status_code == 200
    body = r.json()
    assert body["available"] is True and body["quota_per_hour"] == 20
    slugs = [s["slug"] for s in body["scenarios"]]
    assert {"all-field-types", "multi-step", "ats-rejects-twice", "captcha-required"} <= set(slugs)
    assert body["scenarios"][0]["apply_url"] == SCENARIO + body["scenarios"][0]["slug"]


# ── create, idempotency, targets ────────────────────────────────────────────


def test_create_202_location_credits_and_replay(client: TestClient) -> None:
    job = greenhouse_job(client)
    r = create(client, job, key="abc", headers=LIVE)
    assert r.status_code == 202
    app = r.json()
    assert app["status"] == "queued" and app["job_id"] == job and app["provider_id"] == "greenhouse"
    assert app["credits_charged"] == 200 and app["api_version"] == "2026-08-31"
    assert r.headers["Location"] == f"{APPS}/{app['id']}"
    assert (r.headers["X-Credits-Deducted"], r.headers["X-Credits-Balance"]) == ("200", "99800")
    assert "Idempotent-Replayed" not in r.headers
    again = create(client, job, key="abc", headers=LIVE)
    assert again.status_code == 202 and again.json()["id"] == app["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (again.headers["X-Credits-Deducted"], again.headers["X-Credits-Balance"]) == ("0", "99800")
    reuse = create(client, job, key="abc", headers=LIVE, note="changed")
    assert reuse.status_code == 409
    assert reuse.json() == {
        "status": 409,
        "error": "Conflict",
        "message": "That Idempotency-Key was already used with a different request body. Keys are bound to the exact body for 24 hours.",
        "code": "idempotency_key_reuse",
    }
    r = client.post(APPS, json={"job_id": job}, headers=LIVE)
    assert r.status_code == 400 and r.json()["code"] == "idempotency_key_required"
    assert r.json()["message"] == "Every create needs an Idempotency-Key header."


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        ({}, SANDBOX, 400, "invalid_target"),
        ({"job_id": "x", "apply_url": SCENARIO + "multi-step"}, SANDBOX, 400, "invalid_target"),
        ({"job_id": "00000000-0000-0000-0000-000000000000"}, SANDBOX, 400, "sandbox_job_id_forbidden"),
        ({"apply_url": "https://boards.greenhouse.io/a/jobs/1"}, SANDBOX, 400, "invalid_sandbox_target"),
        ({"apply_url": SCENARIO + "multi-step"}, LIVE, 400, "invalid_sandbox_target"),
        ({"apply_url": "https://careers.example.org/jobs/1"}, LIVE, 400, "unsupported_ats"),
        ({"job_id": "00000000-0000-0000-0000-000000000000"}, LIVE, 404, "job_not_found"),
    ],
)
def test_target_refusals(client: TestClient, body: dict, headers: dict, status: int, code: str) -> None:
    r = client.post(APPS, json=body, headers={**headers, "Idempotency-Key": "t"})
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert client.get(f"/_mock/accounts/{headers['X-Api-Key']}").json()["credits"]["spent"] == 0


def test_402_is_the_seed_body(client: TestClient) -> None:
    client.put(f"/_mock/accounts/{DEMO_LIVE_KEY}", json={"credits": 199})
    r = create(client, greenhouse_job(client), headers=LIVE)
    assert r.status_code == 402
    assert r.json() == {"status": 402, "error": "Insufficient credits", "credits_required": 200, "credits_balance": 199}
    assert (r.headers["X-Credits-Required"], r.headers["X-Credits-Balance"]) == ("200", "199")


def test_quota_429_with_retry_after() -> None:
    with client_for({"quotas": {"inFlight": 1}}) as c:
        assert create(c, key="a").status_code == 202
        r = create(c, key="b")
        assert r.status_code == 429
        assert r.json() == {"status": 429, "error": "Too Many Requests",
                            "message": "Application quota exceeded: 1 applications in flight. Wait for one to finish.",
                            "code": "application_quota_exceeded", "retry_after": 60}  # fmt: skip
        assert r.headers["Retry-After"] == "60" and r.headers["X-RateLimit-Group"] == "general"


def test_problem_dialect_carries_the_codes() -> None:
    with client_for(errorFormat="problem") as c:
        r = c.post(APPS, json={}, headers={**SANDBOX, "Idempotency-Key": "t"})
        assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
        assert r.json() == {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "Bad Request",
                            "status": 400, "detail": "Provide exactly one of job_id or apply_url.", "code": "invalid_target"}  # fmt: skip


# ── the life of an application over HTTP ────────────────────────────────────


def test_full_flow_with_validation_and_corrections(client: TestClient) -> None:
    app = create(client, "ats-rejects-twice").json()
    url = f"{APPS}/{app['id']}"
    assert client.post(f"{url}/answers", json={"answers": []}, headers=SANDBOX).json()["code"] == "invalid_state"
    advance(client, 32)
    r = client.get(url, headers=SANDBOX)
    app = r.json()
    assert r.status_code == 200 and app["status"] == "awaiting_answers"
    step = app["current_step"]
    assert (step["sequence"], step["correction_round"], step["command_errors"]) == (1, 0, [])
    assert step["answers_expire_at"] == "2026-01-01T00:05:32Z"
    assert [f["field_id"] for f in step["fields"]] == ["first_name", "last_name", "email", "phone", "resume"]
    r = client.post(f"{url}/answers", json={"answers": [{"field_id": "first_name", "value": 1}]}, headers=SANDBOX)
    assert r.status_code == 400
    body = r.json()
    assert (
        body["code"] == "validation_failed" and body["message"] == "The answers are not valid for this step (4 errors)."
    )
    assert body["errors"][0] == {"field_id": "first_name", "item_index": None, "field_key": None, "code": "invalid_type",
                                 "message": "Expected a string."}  # fmt: skip
    assert r.headers["X-RateLimit-Limit"]
    for round_ in (0, 1, 2):
        r = client.post(
            f"{url}/answers", json={"answers": answers_for(app), "correction_round": round_}, headers=SANDBOX
        )
        assert r.status_code == 202 and r.json()["status"] == "running"
        stale = client.post(
            f"{url}/answers", json={"answers": answers_for(app), "correction_round": round_}, headers=SANDBOX
        )
        assert (stale.status_code, stale.json()["code"]) == (409, "invalid_state")
        advance(client, 10)
        app = client.get(url, headers=SANDBOX).json()
        if round_ < 2:
            assert app["current_step"]["correction_round"] == round_ + 1
            assert app["current_step"]["command_errors"][0]["code"] == "ats_rejected"
            r = client.post(
                f"{url}/answers", json={"answers": answers_for(app), "correction_round": round_}, headers=SANDBOX
            )
            assert (r.status_code, r.json()["code"]) == (409, "stale_correction_round")
    assert app["status"] == "submitted" and app["completed_at"] == "2026-01-01T00:01:02Z"
    r = client.post(f"{url}/cancel", headers=SANDBOX)
    assert r.status_code == 409 and r.json()["code"] == "not_cancelable"
    assert r.json()["message"] == f"Application '{app['id']}' is submitted and can no longer be canceled."


def test_cancel_statuses(client: TestClient) -> None:
    queued = create(client, key="a").json()
    r = client.post(f"{APPS}/{queued['id']}/cancel", headers=SANDBOX)
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    running = create(client, key="b").json()
    advance(client, 3)
    r = client.post(f"{APPS}/{running['id']}/cancel", headers=SANDBOX)
    assert r.status_code == 202 and (r.json()["status"], r.json()["cancel_requested"]) == ("running", True)
    advance(client, 30)
    assert client.get(f"{APPS}/{running['id']}", headers=SANDBOX).json()["status"] == "canceled"
    assert client.post(f"{APPS}/nope/cancel", headers=SANDBOX).json() == {
        "status": 404, "error": "Not Found", "message": "Application 'nope' not found.", "code": "not_found"}  # fmt: skip


def test_failures_answer_in_the_application(client: TestClient) -> None:
    app = create(client, "captcha-required").json()
    advance(client, 32)
    app = client.get(f"{APPS}/{app['id']}", headers=SANDBOX).json()
    assert app["status"] == "failed" and app["current_step"] is None
    assert app["failure"] == {
        "code": "captcha_required",
        "message": "The form is protected by a CAPTCHA.",
        "retryable": False,
    }


def test_list_pages_and_cursor(client: TestClient) -> None:
    ids = [create(client, key=f"k{i}").json()["id"] for i in range(3)]
    r = client.get(APPS, params={"limit": 2}, headers=SANDBOX)
    page = r.json()
    assert [a["id"] for a in page["data"]] == ids[:0:-1] and page["has_more"] is True
    rest = client.get(APPS, params={"limit": 2, "cursor": page["next_cursor"]}, headers=SANDBOX).json()
    assert [a["id"] for a in rest["data"]] == [ids[0]] and rest == {**rest, "has_more": False, "next_cursor": None}
    r = client.get(APPS, params={"cursor": page["next_cursor"], "status": "queued"}, headers=SANDBOX)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_cursor")
    r = client.get(APPS, params={"status": "done"}, headers=SANDBOX)
    assert (r.status_code, r.json()["code"]) == (400, "invalid_status")
    assert (
        client.get(APPS, params={"limit": 0}, headers=SANDBOX).json()["message"]
        == "Parameter 'limit' must be between 1 and 100."
    )


def test_state_lists_applications_with_masked_keys(client: TestClient) -> None:
    app = create(client).json()
    state = client.get("/_mock/state").json()
    (entry,) = state["applications"]
    assert entry["id"] == app["id"] and entry["status"] == "queued" and entry["apiKey"] == "jbe_te****************n000"


# ── holds (decision J26) ─────────────────────────────────────────────────────


def async_client(rt: Runtime) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rt)), base_url="http://mock")


def test_create_holds_until_the_first_step_and_advancing_releases_it() -> None:
    rt = Runtime(world({"holdSeconds": 90}), clock="manual")

    async def scenario() -> None:
        async with async_client(rt) as c:
            held = asyncio.create_task(
                c.post(APPS, json={"apply_url": SCENARIO + "multi-step"}, headers={**SANDBOX, "Idempotency-Key": "h"})
            )
            await asyncio.sleep(0.05)
            assert not held.done()  # waiting for the clock
            other = await c.get(APPS, headers=SANDBOX)  # never blocks other requests
            assert other.status_code == 200 and other.json()["data"][0]["status"] == "queued"
            await c.post("/_mock/clock/advance", json={"seconds": 40})
            r = await asyncio.wait_for(held, 5)
            assert r.status_code == 201 and r.json()["status"] == "awaiting_answers"
            assert r.json()["current_step"]["sequence"] == 1

    asyncio.run(scenario())


def test_hold_limit_passes_on_the_simulated_clock_202() -> None:
    rt = Runtime(world({"holdSeconds": 90}), clock="manual")

    async def scenario() -> None:
        async with async_client(rt) as c:
            held = asyncio.create_task(
                c.post(
                    APPS, json={"apply_url": SCENARIO + "slow-discovery"}, headers={**SANDBOX, "Idempotency-Key": "h"}
                )
            )
            await asyncio.sleep(0.05)
            await c.post("/_mock/clock/advance", json={"seconds": 100})
            r = await asyncio.wait_for(held, 5)
            assert r.status_code == 202 and r.json()["status"] == "running"
            app_id = r.json()["id"]
            poll = asyncio.create_task(c.get(f"{APPS}/{app_id}", params={"wait_seconds": 600}, headers=SANDBOX))
            await asyncio.sleep(0.05)
            assert not poll.done()
            await c.post("/_mock/clock/advance", json={"seconds": 262})  # discovery ends at 2 + 360
            r = await asyncio.wait_for(poll, 5)
            assert r.status_code == 200 and r.json()["status"] == "awaiting_answers"

    asyncio.run(scenario())


def test_answers_hold_until_the_ats_answered() -> None:
    rt = Runtime(world({"holdSeconds": 90}), clock="manual")
    rt.sim.auto_apply.settings.hold_seconds = 0
    sandbox = rt.sim.world.accounts[DEMO_SANDBOX_KEY]
    app, _ = rt.sim.auto_apply.create(sandbox, "k", {"apply_url": SCENARIO + "ats-rejects-twice"})
    rt.advance(32)
    rt.sim.auto_apply.settings.hold_seconds = 90

    async def scenario() -> None:
        async with async_client(rt) as c:
            answers = snapshot_for(list(app.current_step.fields))
            held = asyncio.create_task(c.post(f"{APPS}/{app.id}/answers", json={"answers": answers}, headers=SANDBOX))
            await asyncio.sleep(0.05)
            assert not held.done() and app.status == "running"
            await c.post("/_mock/clock/advance", json={"seconds": 10})
            r = await asyncio.wait_for(held, 5)
            assert r.status_code == 200 and r.json()["current_step"]["correction_round"] == 1

    asyncio.run(scenario())


def test_manual_clock_hold_gives_up_after_the_real_cap() -> None:
    with client_for({"holdSeconds": 90, "holdRealSeconds": 0.2}) as c:
        r = create(c)
        assert r.status_code == 202 and r.json()["status"] == "queued"
        r = c.get(f"{APPS}/{r.json()['id']}", params={"wait_seconds": 30}, headers=SANDBOX)
        assert r.status_code == 200 and r.json()["status"] == "queued"


def test_advancing_from_another_thread_releases_a_hold() -> None:
    """A test that drives the Runtime in-process (not through the control API) still releases holds."""
    import threading

    rt = Runtime(world({"holdSeconds": 90, "holdRealSeconds": 10}), clock="manual")
    with TestClient(create_app(rt)) as c:
        timer = threading.Timer(0.2, lambda: rt.advance(40))
        timer.start()
        r = create(c)
        timer.join()
    assert r.status_code == 201 and r.json()["status"] == "awaiting_answers"


# ── profiles ─────────────────────────────────────────────────────────────────

CONTACT = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def test_profile_crud(client: TestClient) -> None:
    r = client.post("/api/auto-apply/profiles", json={"name": "Default Profile", "contact": CONTACT}, headers=LIVE)
    assert r.status_code == 201
    profile = r.json()
    assert r.headers["Location"] == f"/api/auto-apply/profiles/{profile['id']}"
    assert (profile["name"], profile["status"], profile["created_at"]) == (
        "Default Profile",
        "ready",
        "2026-01-01T00:00:00Z",
    )
    url = r.headers["Location"]
    assert client.get("/api/auto-apply/profiles", headers=LIVE).json() == [profile]
    r = client.patch(
        url,
        json={"memories": ["Prefers remote roles."], "links": [{"type": "github", "url": "https://github.com/ada"}]},
        headers=LIVE,
    )
    assert r.status_code == 200 and r.json()["memories"] == ["Prefers remote roles."]
    r = client.put(
        url,
        json={"first_name": "Grace", "last_name": "Hopper", "email": "g@navy.mil", "city": "Arlington"},
        headers=LIVE,
    )
    assert r.status_code == 200 and r.json()["contact"]["first_name"] == "Grace" and r.json()["links"] == []
    assert r.json()["location"] == {"city": "Arlington"}
    r = client.delete(url, headers=LIVE)
    assert r.status_code == 204 and r.content == b"" and "content-type" not in r.headers
    r = client.get(url, headers=LIVE)
    assert r.status_code == 404
    assert r.json()["message"] == f"Profile '{profile['id']}' not found."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"contact": CONTACT, "name": "x" * 101}, "Field 'name' must be at most 100 characters."),
        ({"contact": CONTACT, "memories": ["m" * 1001]}, "Field 'memories[0]' must be at most 1000 characters."),
        ({"contact": CONTACT, "memories": ["m"] * 101}, "Field 'memories' must have at most 100 items."),
        ({"contact": CONTACT, "links": [{"url": "ftp://x"}]}, "Field 'links[0].url' must be an absolute http(s) URL of at most 500 characters."),
        ({"contact": {"first_name": "Ada", "last_name": "L"}}, "Field 'contact.email' is required."),
        ({"memories": []}, "Field 'contact.first_name' is required."),
        ({"contact": CONTACT, "self_identification": {"gender": "F"}}, "Field 'self_identification.gender' must be one of male, female, non_binary, decline_to_state."),
    ],
)  # fmt: skip
def test_profile_400_names_the_field(client: TestClient, body: dict, message: str) -> None:
    r = client.post("/api/auto-apply/profiles", json=body, headers=LIVE)
    assert r.status_code == 400
    assert r.json() == {"status": 400, "error": "Bad Request", "message": message, "code": "invalid_parameter"}


def test_profile_import_multipart(client: TestClient) -> None:
    files = {"file": ("ada.md", b"# Ada Lovelace\nada@example.com\n", "text/markdown")}
    r = client.post("/api/auto-apply/profiles/import", files=files, headers=LIVE)
    assert r.status_code == 202
    assert r.json() == {"profile_id": r.json()["profile_id"], "status": "importing"}
    url = r.headers["Location"]
    r = client.patch(url, json={"memories": []}, headers=LIVE)
    assert (r.status_code, r.json()["code"]) == (409, "profile_importing")
    advance(client, 20)
    profile = client.get(url, headers=LIVE).json()
    assert profile["status"] == "ready" and profile["contact"]["last_name"] == "Lovelace"
    assert profile["resume"] == {"filename": "ada.md", "content_type": "text/markdown", "size_bytes": 31,
                                 "uploaded_at": "2026-01-01T00:00:00Z"}  # fmt: skip
    r = client.post(
        "/api/auto-apply/profiles/import", files={"file": ("cv.exe", b"MZ", "application/octet-stream")}, headers=LIVE
    )
    assert (r.status_code, r.json()["code"]) == (400, "unsupported_file_type")
    r = client.post(
        "/api/auto-apply/profiles/import", content=b"{}", headers={**LIVE, "Content-Type": "application/json"}
    )
    assert (r.status_code, r.json()["code"]) == (400, "invalid_parameter")
    big = {"file": ("cv.txt", b"x" * (10 * 1024 * 1024 + 1), "text/plain")}
    r = client.post("/api/auto-apply/profiles/import", files=big, headers=LIVE)
    assert (r.status_code, r.json()["code"]) == (400, "file_too_large")


# ── the older generation (J21) ───────────────────────────────────────────────


def test_legacy_session_start_answers_end(client: TestClient) -> None:
    r = client.post("/api/auto-apply/start", json={"apply_url": SCENARIO + "multi-step"}, headers=SANDBOX)
    assert r.status_code == 200
    session = r.json()
    assert (session["status"], session["is_terminal"], session["fields"]) == ("running", False, [])
    sid = session["session_id"]
    advance(client, 32)
    meta = client.get(f"/api/auto-apply/sessions/{sid}", headers=SANDBOX).json()
    assert (meta["state"], meta["mode"], meta["job_url"]) == ("running", "interactive", SCENARIO + "multi-step")
    app = client.get(f"{APPS}/{sid}", headers=SANDBOX).json()
    fields = app["current_step"]["fields"]
    legacy = [{"field_id": f["field_id"], "type": "Text", "value": "Ada"} for f in fields if f["type"] == "text"]
    legacy.append({"field_id": "resume", "type": "File", "value": "https://files.example.com/cv.pdf"})
    r = client.post("/api/auto-apply/set-answers", json={"session_id": sid, "answers": legacy}, headers=SANDBOX)
    assert r.status_code == 400 and {e["field_id"] for e in r.json()["errors"]} == {"email"}
    legacy = [a if a["field_id"] != "email" else {**a, "value": "ada@example.com"} for a in legacy]
    r = client.post("/api/auto-apply/set-answers", json={"session_id": sid, "answers": legacy}, headers=SANDBOX)
    assert r.status_code == 200 and r.json()["status"] == "running"
    advance(client, 10)
    r = client.post(f"{APPS}/{sid}", headers=SANDBOX)  # wrong method
    assert r.status_code == 405
    ready = client.get(f"{APPS}/{sid}", headers=SANDBOX).json()
    assert ready["current_step"]["sequence"] == 2
    r = client.delete(f"/api/auto-apply/sessions/{sid}", headers=SANDBOX)
    assert r.status_code == 200 and r.json() == {"session_id": sid, "ended": True, "status": "canceled"}
    assert client.delete("/api/auto-apply/sessions/nope", headers=SANDBOX).status_code == 404


def test_legacy_form_ready_fields_are_pascal_case() -> None:
    rt = Runtime(world({"holdSeconds": 90, "holdRealSeconds": 10}), clock="manual")
    import threading

    with TestClient(create_app(rt)) as c:
        timer = threading.Timer(0.2, lambda: rt.advance(40))
        timer.start()
        r = c.post("/api/auto-apply/start", json={"apply_url": SCENARIO + "all-field-types"}, headers=SANDBOX)
        timer.join()
    session = r.json()
    assert session["status"] == "form_ready" and session["success"] is False
    assert {f["type"] for f in session["fields"]} == {"Text", "TextArea", "Select", "MultiSelect", "Radio", "Checkbox",
                                                      "File", "Date", "Number", "Typeahead", "Toggle", "RichText"}  # fmt: skip
    country = next(f for f in session["fields"] if f["field_id"] == "country")
    assert country["options"][0] == {"value": "gb", "text": "United Kingdom", "is_selected": False}


def test_legacy_run_from_a_profile(client: TestClient) -> None:
    profile = client.post("/api/auto-apply/profiles", json={"contact": CONTACT}, headers=SANDBOX).json()
    r = client.post(
        "/api/auto-apply/run", json={"profile_id": profile["id"], "apply_url": SCENARIO + "multi-step"}, headers=SANDBOX
    )
    assert r.status_code == 200 and r.json()["status"] == "running" and r.json()["success"] is False
    sid = r.json()["session_id"]
    advance(client, 200)
    assert client.get(f"/api/auto-apply/sessions/{sid}", headers=SANDBOX).json()["mode"] == "automated"
    r = client.post(
        "/api/auto-apply/run", json={"profile_id": "nope", "apply_url": SCENARIO + "multi-step"}, headers=SANDBOX
    )
    assert r.status_code == 404 and r.json()["message"] == "Profile 'nope' not found."
