"""The Jobo vendor over HTTP (in-process): the Status Codes page's exact statuses, bodies and headers, credits, limits.

The default Jobo world on the manual clock, with a smaller catalogue where a test needs many requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.vendors.jobo.domain.accounts import DEMO_FREE_KEY, DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.world import JoboWorldFile

LIVE = {"X-Api-Key": DEMO_LIVE_KEY}
SANDBOX = {"X-Api-Key": DEMO_SANDBOX_KEY}
FREE = {"X-Api-Key": DEMO_FREE_KEY}
SMALL = {"catalogue": {"jobs": 1500, "companies": 60, "sandboxJobs": 200, "sandboxCompanies": 8}}


def jobo_world(overlay: dict | None = None) -> JoboWorldFile:
    data = JoboWorldFile.parse_text(yaml.safe_dump({**SMALL, **(overlay or {})}), "<test overlay>")
    return JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))


def client_for(overlay: dict | None = None) -> TestClient:
    return TestClient(create_app(Runtime(jobo_world(overlay), clock="manual")), raise_server_exceptions=False)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with client_for() as c:
        yield c


def rate_headers_ok(headers: dict, limit: int) -> None:
    assert headers["X-RateLimit-Limit"] == str(limit)
    assert int(headers["X-RateLimit-Remaining"]) <= limit
    assert int(headers["X-RateLimit-Reset"]) > 1_767_225_600


# ── the Status Codes page, status by status ───────────────────────────────────────────────


def test_200_search_shape_and_headers(client: TestClient) -> None:
    r = client.get("/api/jobs", params={"q": "engineer", "page_size": 3}, headers=LIVE)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"jobs", "total", "page", "page_size", "total_pages", "facets"}
    assert (body["page"], body["page_size"], len(body["jobs"])) == (1, 3, 3)
    assert r.headers["X-Total-Count"] == str(body["total"])
    assert r.headers["X-Total-Pages"] == str(body["total_pages"]) and r.headers["X-Page"] == "1"
    assert r.headers["X-Credits-Deducted"] == "3" and r.headers["X-Credits-Balance"] == "99997"
    assert r.headers["X-RateLimit-Group"] == "general"
    rate_headers_ok(r.headers, 360)


def test_seed_envelope_setting_answers_the_seed_example_shape() -> None:
    with client_for({"settings": {"searchEnvelope": "data"}}) as c:
        body = c.get("/api/jobs", params={"page_size": 1}, headers=LIVE).json()
    assert set(body) == {"data", "total", "page", "page_size"}
    assert {"id", "title", "company"} <= set(body["data"][0]) and "name" in body["data"][0]["company"]


def test_400_page_size_is_the_seed_body(client: TestClient) -> None:
    for params in ({"page_size": 101}, {"page_size": 0}):
        r = client.get("/api/jobs", params=params, headers=LIVE)
        assert r.status_code == 400
        assert r.json() == {
            "status": 400,
            "error": "Bad Request",
            "message": "Parameter 'page_size' must be between 1 and 100.",
        }
        rate_headers_ok(r.headers, 360)
    r = client.post("/api/jobs/search", json={"page_size": 500}, headers=LIVE)
    assert r.json()["message"] == "Parameter 'page_size' must be between 1 and 100."
    r = client.post("/api/jobs/feed", json={"batch_size": 1001}, headers=LIVE)
    assert r.json() == {
        "status": 400,
        "error": "Bad Request",
        "message": "Parameter 'batch_size' must be between 1 and 1000.",
    }


def test_400_other_bad_input(client: TestClient) -> None:
    for bad in ("2026-13-45", "2026-02-30", "yesterday"):
        r = client.get("/api/jobs", params={"posted_after": bad}, headers=LIVE)
        assert r.json()["message"] == "Parameter 'posted_after' must be an ISO-8601 date-time."
    assert client.get("/api/jobs", params={"posted_after": "2026-01-31"}, headers=LIVE).status_code == 200
    r = client.get("/api/jobs", params={"posted_after": "2026-13-45"}, headers=LIVE)
    assert r.status_code == 400 and r.json()["message"] == "Parameter 'posted_after' must be an ISO-8601 date-time."
    r = client.get("/api/jobs/not-a-uuid", headers=LIVE)
    assert r.json() == {"status": 400, "error": "Bad Request", "message": "Parameter 'id' must be a UUID."}
    r = client.post("/api/jobs/search", content=b"{not json", headers={**LIVE, "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "Bad Request"
    r = client.get("/api/locations/geocode", headers=LIVE)
    assert r.status_code == 400 and "location" in r.json()["message"]


def test_401_is_the_seed_body_without_rate_headers(client: TestClient) -> None:
    for headers in ({}, {"X-Api-Key": "jbe_live_nope"}, {"Authorization": f"Bearer {DEMO_LIVE_KEY}"}):
        r = client.get("/api/jobs", headers=headers)
        assert r.status_code == 401
        assert r.json() == {
            "status": 401,
            "error": "Unauthorized",
            "message": "Missing or invalid API key. Include 'X-Api-Key' header.",
        }
        assert "X-RateLimit-Limit" not in r.headers


def test_402_is_the_seed_body_and_charges_nothing(client: TestClient) -> None:
    client.put(f"/_mock/accounts/{DEMO_LIVE_KEY}", json={"credits": 3})
    r = client.get("/api/jobs", params={"page_size": 10}, headers=LIVE)
    assert r.status_code == 402
    assert r.json() == {"status": 402, "error": "Insufficient credits", "credits_required": 10, "credits_balance": 3}
    assert r.headers["X-Credits-Required"] == "10" and r.headers["X-Credits-Balance"] == "3"
    rate_headers_ok(r.headers, 360)
    account = client.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()
    assert account["credits"]["balance"] == 3
    # Fractional: a feed batch of 7 at 0.5 credit needs 3.5.
    r = client.post("/api/jobs/feed", json={"batch_size": 7}, headers=LIVE)
    assert r.json() == {"status": 402, "error": "Insufficient credits", "credits_required": 3.5, "credits_balance": 3}
    assert r.headers["X-Credits-Required"] == "3.5"


def test_403_feed_without_access_is_the_seed_body(client: TestClient) -> None:
    r = client.post("/api/jobs/feed", json={}, headers=FREE)
    assert r.status_code == 403
    assert r.json() == {
        "status": 403,
        "error": "Forbidden",
        "message": "Your subscription does not include access to the Feed API.",
    }
    assert client.get("/api/jobs/expired", headers=FREE).status_code == 403
    r = client.post("/api/jobs/feed/managed", json={}, headers=SANDBOX)
    assert r.status_code == 403 and r.json()["message"] == "Managed feeds are not available to sandbox keys."


def test_404_unknown_and_other_catalogue(client: TestClient) -> None:
    r = client.get("/api/jobs/00000000-0000-0000-0000-000000000000", headers=LIVE)
    assert r.status_code == 404
    assert r.json() == {
        "status": 404,
        "error": "Not Found",
        "message": "Job '00000000-0000-0000-0000-000000000000' not found.",
    }
    sandbox_job = client.get("/api/jobs", params={"page_size": 1}, headers=SANDBOX).json()["jobs"][0]
    assert sandbox_job["source"] == "jobosandbox"
    assert client.get(f"/api/jobs/{sandbox_job['id']}", headers=LIVE).status_code == 404
    assert client.get(f"/api/jobs/{sandbox_job['id']}", headers=SANDBOX).json()["id"] == sandbox_job["id"]


def test_409_legacy_scan_past_the_depth_limit() -> None:
    with client_for({"settings": {"legacyDepthLimit": 10}}) as c:
        first = c.post("/api/jobs/feed", json={"stable_scan": False, "batch_size": 10}, headers=SANDBOX).json()
        r = c.post("/api/jobs/feed", json={"cursor": first["next_cursor"]}, headers=SANDBOX)
    assert r.status_code == 409
    assert r.json() == {
        "status": 409,
        "error": "Conflict",
        "message": "The feed cursor reached the legacy scan depth limit. Start a new scan with stable_scan enabled.",
        "code": "feed_cursor_restart_required",
        "replacement_request": {"stable_scan": True, "batch_size": 10},
    }


def test_429_is_the_seed_body_with_retry_after_and_is_not_charged() -> None:
    with client_for() as c:
        for _ in range(60):
            assert c.get("/api/connectors/filters", headers=FREE).status_code == 200
        r = c.get("/api/jobs", params={"page_size": 1}, headers=FREE)
        assert r.status_code == 429
        assert r.json() == {
            "status": 429,
            "error": "Too Many Requests",
            "message": "Rate limit exceeded. Try again in 60 seconds.",
            "retry_after": 60,
        }
        assert r.headers["Retry-After"] == "60"
        assert r.headers["X-RateLimit-Remaining"] == "0"
        assert c.get(f"/_mock/accounts/{DEMO_FREE_KEY}").json()["credits"]["spent"] == 0
        c.post("/_mock/clock/advance", json={"seconds": 60})
        assert c.get("/api/jobs", params={"page_size": 1}, headers=FREE).status_code == 200


def test_500_and_503_from_scenarios_are_the_seed_bodies(client: TestClient) -> None:
    scenario = {"name": "down", "rules": [{"match": {"operationId": "searchJobs"}, "respond": {"status": 503, "retryAfter": 45}},
                                          {"match": {"operationId": "getJob"}, "respond": {"status": 500}}]}  # fmt: skip
    assert client.post("/_mock/scenarios", content=json.dumps(scenario)).status_code in (200, 201)
    r = client.get("/api/jobs", headers=LIVE)
    assert r.status_code == 503
    assert r.json() == {
        "status": 503,
        "error": "Service Unavailable",
        "message": "The service is temporarily unavailable for maintenance. Please try again in a few minutes.",
    }
    assert r.headers["Retry-After"] == "45"
    r = client.get("/api/jobs/00000000-0000-0000-0000-000000000000", headers=LIVE)
    assert r.json() == {
        "status": 500,
        "error": "Internal Server Error",
        "message": "An unexpected error occurred. Please retry your request.",
    }


def test_auto_apply_creates_answer_the_seed_503_behind_the_launch_gate(client: TestClient) -> None:
    """Decision J22 (the whole flow is in test_jobo_autoapply_http.py): creates 503, reads work."""
    r = client.post("/api/auto-apply/start", json={"apply_url": "https://boards.greenhouse.io/a/jobs/1"}, headers=LIVE)
    assert r.status_code == 503 and r.json()["error"] == "Service Unavailable"
    assert client.get("/api/auto-apply/applications", headers=LIVE).status_code == 200


def test_problem_json_error_format() -> None:
    with client_for({"settings": {"errorFormat": "problem"}}) as c:
        c.put(f"/_mock/accounts/{DEMO_LIVE_KEY}", json={"credits": 3})
        r = c.get("/api/jobs", params={"page_size": 10}, headers=LIVE)
        assert r.status_code == 402 and r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert {k: body[k] for k in ("title", "status", "code", "credits_required", "credits_balance")} == {
            "title": "Insufficient credits", "status": 402, "code": "insufficient_credits",
            "credits_required": 10, "credits_balance": 3,
        }  # fmt: skip
        assert body["detail"].startswith("Your Jobo wallet does not have enough credits")
        r = c.post("/api/jobs/feed", json={}, headers=FREE)
        assert r.json()["code"] == "feed_not_included" and r.json()["type"].startswith("https://")
        r = c.get("/api/jobs")
        assert r.status_code == 401 and r.json()["detail"] == "Missing or invalid API key. Include 'X-Api-Key' header."


# ── behaviour over HTTP ───────────────────────────────────────────────────────


def test_company_is_public_and_its_jobs_are_metered(client: TestClient) -> None:
    job = client.get("/api/jobs", params={"page_size": 1}, headers=LIVE).json()["jobs"][0]
    company_id = job["company"]["id"]
    r = client.get(f"/api/companies/{company_id}")
    assert r.status_code == 200 and r.json()["id"] == company_id and "X-RateLimit-Limit" not in r.headers
    r = client.get(f"/api/companies/{company_id}", headers=LIVE)
    assert r.headers["X-Credits-Deducted"] == "0" and "X-RateLimit-Limit" in r.headers
    assert client.get(f"/api/companies/{company_id}", headers={"X-Api-Key": "jbe_live_bad"}).status_code == 401
    r = client.get(f"/api/companies/{company_id}/jobs", params={"page_size": 5}, headers=LIVE)
    jobs = r.json()["jobs"]
    assert jobs and all(j["company"]["id"] == company_id for j in jobs)
    assert r.headers["X-Credits-Deducted"] == str(len(jobs))
    assert client.get("/api/companies/00000000-0000-0000-0000-000000000000/jobs", headers=LIVE).status_code == 404


def test_include_fields_tri_state(client: TestClient) -> None:
    whole = client.get("/api/jobs", params={"page_size": 1}, headers=SANDBOX).json()["jobs"][0]
    core = client.get("/api/jobs", params={"page_size": 1, "include_fields": ""}, headers=SANDBOX).json()["jobs"][0]
    some = client.get("/api/jobs", params={"page_size": 1, "include_fields": "summary"}, headers=SANDBOX).json()[
        "jobs"
    ][0]
    heavy = {"description", "summary", "qualifications", "responsibilities", "benefits"}
    assert heavy <= set(whole) == set(core) == set(some)
    assert (core["description"], core["summary"], core["benefits"]) == ("", None, [])
    assert some["summary"] == whole["summary"] and some["description"] == ""


def test_feed_pages_with_cursor_and_has_more_header(client: TestClient) -> None:
    seen: list[str] = []
    body = {"batch_size": 90}
    for _ in range(100):
        r = client.post("/api/jobs/feed", json=body, headers=SANDBOX)
        assert r.status_code == 200
        page = r.json()
        assert r.headers["X-Has-More"] == ("true" if page["has_more"] else "false")
        seen += [j["id"] for j in page["jobs"]]
        if not page["has_more"]:
            break
        body = {"cursor": page["next_cursor"]}
    active = client.get("/_mock/state").json()["catalogue"]["sandbox"]["active"]
    assert len(seen) == len(set(seen)) == active
    tampered = body["cursor"][:-3] + "AAA" if "cursor" in body else "x.y"
    r = client.post("/api/jobs/feed", json={"cursor": tampered}, headers=SANDBOX)
    assert r.status_code == 400 and r.json()["message"] == "Invalid cursor."


def test_control_api_account_fields(client: TestClient) -> None:
    key = "jbe_live_newkey"
    r = client.put(f"/_mock/accounts/{key}", json={"credits": 10, "plan": "paid", "feed": True, "autoApply": True})
    assert r.status_code == 201
    view = client.get(f"/_mock/accounts/{key}").json()
    assert view["credits"] == {"balance": 10, "spent": 0, "granted": 10}
    assert (view["plan"], view["feed"], view["autoApply"]) == ("paid", "subscription", True)
    assert (
        client.post("/api/jobs/feed", json={"batch_size": 5}, headers={"X-Api-Key": key}).headers["X-Credits-Deducted"]
        == "0"
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(
        st.one_of(
            st.tuples(st.just("search"), st.integers(1, 100)),
            st.tuples(st.just("feed"), st.integers(1, 300)),
            st.tuples(st.just("geocode"), st.just(0)),
            st.tuples(st.just("job"), st.just(0)),
        ),
        max_size=12,
    ),
    credits=st.integers(0, 400),
)
def test_balance_plus_spent_is_granted_and_spent_is_the_sum_of_deducted_headers(calls: list, credits: int) -> None:
    with client_for() as c:
        c.put(f"/_mock/accounts/{DEMO_LIVE_KEY}", json={"credits": credits})
        from decimal import Decimal

        deducted = Decimal(0)
        for kind, size in calls:
            if kind == "search":
                r = c.get("/api/jobs", params={"page_size": size}, headers=LIVE)
            elif kind == "feed":
                r = c.post("/api/jobs/feed", json={"batch_size": size}, headers=LIVE)
            elif kind == "geocode":
                r = c.get("/api/locations/geocode", params={"location": "Paris"}, headers=LIVE)
            else:
                r = c.get("/api/jobs/00000000-0000-0000-0000-000000000000", headers=LIVE)
            assert r.status_code in (200, 402, 404)
            if r.status_code == 200:
                deducted += Decimal(r.headers["X-Credits-Deducted"])
            else:
                assert "X-Credits-Deducted" not in r.headers
        view = c.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()["credits"]
        spent, balance, granted = (Decimal(str(view[k])) for k in ("spent", "balance", "granted"))
        assert balance + spent == granted == credits
        assert spent == deducted


def test_whole_number_floats_are_integers(client: TestClient) -> None:
    """JSON Schema's integer includes 5.0: the spec accepts it, so the domain must too (a 400 here was drift)."""
    r = client.post("/api/jobs/search", json={"page_size": 5.0, "page": 2.0}, headers=SANDBOX)
    assert (r.status_code, r.json()["page_size"], r.json()["page"], len(r.json()["jobs"])) == (200, 5, 2, 5)
    r = client.post("/api/jobs/feed", json={"batch_size": 3.0}, headers=SANDBOX)
    assert r.status_code == 200 and len(r.json()["jobs"]) == 3
    r = client.post("/api/jobs/feed", json={"batch_size": 3.5}, headers=SANDBOX)
    assert r.status_code == 400


def test_the_journal_keeps_the_start_of_a_large_response_body_not_the_page() -> None:
    """A journal of 1,000 entries must not hold 1,000 feed pages (2.7 MB each by default): a body over 16 KiB
    keeps its start and its size; small answers stay whole (parsed JSON)."""
    from mock_server.core.journal import RESPONSE_BODY_LIMIT

    rt = Runtime(jobo_world(), clock="manual")
    with TestClient(create_app(rt)) as c:
        page = c.post("/api/jobs/feed", json={"batch_size": 200}, headers=SANDBOX)
        small = c.get("/api/jobs", params={"page_size": 1}, headers=SANDBOX)
        assert len(page.content) > RESPONSE_BODY_LIMIT > len(small.content)
        kept = rt.journal.entries[-2].raw_response
        assert (len(kept.body), kept.size) == (RESPONSE_BODY_LIMIT, len(page.content))
        feed_entry, search_entry = c.get("/_mock/requests").json()["requests"][-2:]
        assert feed_entry["response"]["status"] == 200
        assert feed_entry["response"]["headers"]["x-has-more"] == page.headers["X-Has-More"]
        assert feed_entry["response"]["body"].startswith('{"jobs":[{"id":"')
        assert feed_entry["response"]["body"].endswith(f"… ({len(page.content)} bytes)")
        assert search_entry["response"]["body"] == small.json()
