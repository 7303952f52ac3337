"""Every ready-made Jobo file in scenarios/jobo/ loads and produces the effect its comment claims.

Driven through the HTTP API (in-process) on the manual clock, against a small Jobo world. The
library's UpHunt files are tested in test_scenarios_library.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.vendors.jobo.domain.accounts import DEMO_FREE_KEY, DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.world import JoboWorldFile

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios" / "jobo"
LIVE = {"X-Api-Key": DEMO_LIVE_KEY}
SANDBOX = {"X-Api-Key": DEMO_SANDBOX_KEY}
SMALL = {"catalogue": {"jobs": 400, "companies": 30, "sandboxJobs": 120, "sandboxCompanies": 5,
                       "life": {"discoveredPerHour": 0, "updatedPerHour": 0, "expiredPerHour": 0}}}  # fmt: skip
SEED_503 = {
    "status": 503,
    "error": "Service Unavailable",
    "message": "The service is temporarily unavailable for maintenance. Please try again in a few minutes.",
}

TESTS: dict[str, Callable[[Runtime, TestClient], None]] = {}


def effect(name: str) -> Callable[[Callable[[Runtime, TestClient], None]], Callable[[Runtime, TestClient], None]]:
    def register(fn: Callable[[Runtime, TestClient], None]) -> Callable[[Runtime, TestClient], None]:
        TESTS[name] = fn
        return fn

    return register


def advance(c: TestClient, seconds: float) -> None:
    assert c.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def search(c: TestClient, headers: dict[str, str] = LIVE) -> httpx.Response:
    return c.get("/api/jobs", params={"page_size": 1}, headers=headers)


def feed(c: TestClient, body: dict[str, Any], headers: dict[str, str] = LIVE) -> httpx.Response:
    return c.post("/api/jobs/feed", json=body, headers=headers)


def credits(c: TestClient, key: str = DEMO_LIVE_KEY) -> dict[str, Any]:
    return c.get(f"/_mock/accounts/{key}").json()["credits"]


@effect("maintenance")
def _maintenance(rt: Runtime, c: TestClient) -> None:
    assert search(c).status_code == 200
    before = credits(c)
    for elapsed, retry_after in ((60, "60"), (179, "60"), (180, "30"), (239, "30")):
        advance(c, elapsed - (rt.clock.now() - 1_767_225_600))
        for r in (search(c), feed(c, {"batch_size": 5}), c.get("/api/jobs/expired", headers=LIVE)):
            assert (r.status_code, r.json(), r.headers["Retry-After"]) == (503, SEED_503, retry_after)
            assert "X-Credits-Deducted" not in r.headers
    assert credits(c) == before  # nothing charged
    advance(c, 1)  # t = 240 s: the window is over
    r = search(c)
    assert r.status_code == 200
    assert (
        c.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()["rateLimits"]["general"]["hour"]["used"] == 2
    )  # 503s took none
    # The seed's recipe gets through: at most 5 retries, 30-60 s apart, from the window's first second.
    rt.reset()
    advance(c, 60)
    statuses = []
    for _ in range(6):
        r = search(c)
        statuses.append(r.status_code)
        if r.status_code == 200:
            break
        advance(c, int(r.headers["Retry-After"]))
    assert statuses == [503, 503, 503, 503, 200]  # at 60, 120, 180 and 210 s (Retry-After 60, 60, 30, 30); 240 s


@effect("feed-under-load")
def _load(rt: Runtime, c: TestClient) -> None:
    first = feed(c, {"batch_size": 10})
    second = feed(c, {"cursor": first.json()["next_cursor"]})
    third = feed(c, {"cursor": second.json()["next_cursor"]})
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 503]
    assert third.json() == SEED_503 and third.headers["Retry-After"] == "5"
    again = feed(c, {"cursor": second.json()["next_cursor"]})  # the same cursor, retried: it is still valid
    assert again.status_code == 200 and again.json()["jobs"][0]["id"] not in {
        j["id"] for r in (first, second) for j in r.json()["jobs"]
    }
    assert [feed(c, {"batch_size": 1}).status_code for _ in range(3)] == [200, 503, 200]  # every third, counted on
    assert search(c).status_code == 200  # searches are not the feed
    assert credits(c)["spent"] == (10 + 10 + 10 + 2) / 2 + 1  # delivered feed jobs (0.5 each) and the search's 1


@effect("cursor-restart")
def _restart(rt: Runtime, c: TestClient) -> None:
    first = feed(c, {"work_models": ["remote"], "batch_size": 10}, SANDBOX)
    second = feed(c, {"cursor": first.json()["next_cursor"]}, SANDBOX)
    cursor = second.json()["next_cursor"]
    refused = feed(c, {"cursor": cursor}, SANDBOX)
    assert refused.status_code == 409
    assert refused.json() == {
        "status": 409,
        "error": "Conflict",
        "message": "The feed cursor reached the legacy scan depth limit. Start a new scan with stable_scan enabled.",
        "code": "feed_cursor_restart_required",
        "replacement_request": {"work_models": ["remote"], "stable_scan": True, "batch_size": 10},
    }
    # A new scan from the replacement request runs to the end: once per key.
    body: dict[str, Any] = refused.json()["replacement_request"]
    seen: list[str] = []
    for _ in range(50):
        r = feed(c, body, SANDBOX)
        assert r.status_code == 200
        seen += [j["id"] for j in r.json()["jobs"]]
        if not r.json()["has_more"]:
            break
        body = {"cursor": r.json()["next_cursor"]}
    assert len(seen) == len(set(seen)) > 30 and all(
        j["workplace_type"] == "Remote" for j in feed(c, {"work_models": ["remote"]}, SANDBOX).json()["jobs"]
    )
    # Another key gets its own restart at its own second continuation.
    one = feed(c, {"batch_size": 5})
    two = feed(c, {"cursor": one.json()["next_cursor"]})
    assert feed(c, {"cursor": two.json()["next_cursor"]}).json()["replacement_request"] == {
        "stable_scan": True,
        "batch_size": 5,
    }


@effect("out-of-credits-mid-sync")
def _credits_out(rt: Runtime, c: TestClient) -> None:
    one = feed(c, {"batch_size": 50})
    two = feed(c, {"cursor": one.json()["next_cursor"]})
    three = feed(c, {"cursor": two.json()["next_cursor"]})
    assert [r.headers.get("X-Credits-Deducted") for r in (one, two)] == ["25", "25"]
    assert three.status_code == 402
    assert three.json() == {
        "status": 402,
        "error": "Insufficient credits",
        "credits_required": 25,
        "credits_balance": 0,
    }
    assert (three.headers["X-Credits-Required"], three.headers["X-Credits-Balance"]) == ("25", "0")
    assert search(c).status_code == 402  # every metered request, until topped up
    assert c.put(f"/_mock/accounts/{DEMO_LIVE_KEY}", json={"credits": 100}).status_code == 200
    resumed = feed(c, {"cursor": two.json()["next_cursor"]})  # the cursor survived the 402
    assert resumed.status_code == 200 and resumed.headers["X-Credits-Balance"] == "75"
    assert credits(c) == {"balance": 75, "spent": 75, "granted": 150}
    # The sandbox key's feed is free: its third page is served.
    pages = [feed(c, {"batch_size": 10}, SANDBOX)]
    for _ in range(2):
        pages.append(feed(c, {"cursor": pages[-1].json()["next_cursor"]}, SANDBOX))
    assert [p.status_code for p in pages] == [200, 200, 200]


@effect("free-plan")
def _free(rt: Runtime, c: TestClient) -> None:
    r = feed(c, {"batch_size": 5})
    assert r.status_code == 403
    assert r.json() == {
        "status": 403,
        "error": "Forbidden",
        "message": "Your subscription does not include access to the Feed API.",
    }
    assert c.get("/api/jobs/expired", headers=LIVE).status_code == 403
    r = search(c)
    assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "60"
    view = c.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()
    assert (view["plan"], view["feed"]) == ("free", "none")
    assert feed(c, {}, SANDBOX).status_code == 403  # every key, from its first request


@effect("rate-limited")
def _rate(rt: Runtime, c: TestClient) -> None:
    remaining = []
    for _ in range(10):
        r = search(c)
        remaining.append(r.headers["X-RateLimit-Remaining"])
        advance(c, 1)
    assert remaining == [str(n) for n in range(9, -1, -1)] and r.headers["X-RateLimit-Limit"] == "10"
    refused = search(c)  # t = 10 s; the oldest request (t = 0) leaves the window at t = 60
    assert refused.status_code == 429
    assert refused.json() == {
        "status": 429,
        "error": "Too Many Requests",
        "message": "Rate limit exceeded. Try again in 50 seconds.",
        "retry_after": 50,
    }
    assert (refused.headers["Retry-After"], refused.headers["X-RateLimit-Remaining"]) == ("50", "0")
    advance(c, 50)
    assert search(c).status_code == 200  # exactly Retry-After later
    feeds = [feed(c, {"batch_size": 1}).status_code for _ in range(6)]
    assert feeds == [200] * 5 + [429]  # the feed's own window: 5 a minute
    assert credits(c)["spent"] == 11 + 5 / 2  # 429s are never charged
    rt.reset()  # start rules run again after a reset
    assert search(c).headers["X-RateLimit-Limit"] == "10"


def test_every_jobo_library_file_has_an_effect_test() -> None:
    """The data API's files are tested here; Auto Apply's in tests/test_jobo_autoapply_scenarios.py."""
    stems = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
    assert [s for s in stems if not s.startswith("auto-apply-")] == sorted(TESTS)
    auto_apply_tests = (Path(__file__).with_name("test_jobo_autoapply_scenarios.py")).read_text(encoding="utf-8")
    for stem in (s for s in stems if s.startswith("auto-apply-")):
        assert stem in auto_apply_tests, stem


@pytest.mark.parametrize("name", sorted(TESTS))
def test_jobo_library_file(name: str) -> None:
    data = JoboWorldFile.parse_text(yaml.safe_dump(SMALL), "<test overlay>")
    rt = Runtime(JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data)), clock="manual")
    loaded = rt.scenarios.load_file(LIBRARY / f"{name}.yaml")
    assert loaded["name"] == name and loaded["description"]
    with TestClient(create_app(rt)) as c:
        TESTS[name](rt, c)


def test_jobo_files_do_not_load_into_an_uphunt_mock() -> None:
    """A library file names its vendor's operations: loaded into the other vendor it fails with the line."""
    rt = Runtime(clock="manual")
    with pytest.raises(Exception, match=r"feed-under-load.yaml:\d+: .*unknown operationId 'getJobsFeed'"):
        rt.scenarios.load_file(LIBRARY / "feed-under-load.yaml")


def test_plan_in_a_start_rule_needs_an_api_key() -> None:
    rt = Runtime(vendor="jobo", clock="manual")
    with pytest.raises(Exception, match="plan in a start rule needs apiKey"):
        rt.scenarios.load({"name": "x", "rules": [{"trigger": "start", "plan": {"plan": "free"}}]})
    rt.scenarios.load({"name": "y", "rules": [{"trigger": "start", "plan": {"apiKey": DEMO_FREE_KEY, "plan": "paid"}}]})
    assert rt.account_view(DEMO_FREE_KEY)["plan"] == "paid"


def test_injected_errors_carry_what_real_ones_do() -> None:
    """``respond: {status: N}`` on Jobo operations: the bodies and headers of the real refusals."""
    rt = Runtime(vendor="jobo", clock="manual")
    job_id = "00000000-0000-4000-8000-000000000001"
    rt.scenarios.load({"name": "inject", "rules": [
        {"match": {"operationId": "searchJobs"}, "respond": {"status": 429, "retryAfter": 7}},
        {"match": {"operationId": "geocodeLocation"}, "respond": {"status": 402}},
        {"match": {"operationId": "getJob", "jobId": job_id}, "respond": {"status": 404}},
        {"match": {"operationId": "getExpiredJobIds"}, "respond": {"status": 403}},
    ]})  # fmt: skip
    with TestClient(create_app(rt)) as c:
        r = c.get("/api/jobs", headers=LIVE)
        assert (r.status_code, r.json()) == (429, {
            "status": 429, "error": "Too Many Requests",
            "message": "Rate limit exceeded. Try again in 7 seconds.", "retry_after": 7,
        })  # fmt: skip
        assert (r.headers["Retry-After"], r.headers["X-RateLimit-Limit"], r.headers["X-RateLimit-Remaining"]) == (
            "7", "360", "0",
        )  # fmt: skip
        assert r.headers["X-RateLimit-Reset"] == str(1_767_225_600 + 7) and r.headers["X-RateLimit-Group"] == "general"
        r = c.get("/api/locations/geocode", params={"location": "Paris"}, headers=LIVE)
        assert r.json() == {"status": 402, "error": "Insufficient credits", "credits_required": 100001,
                            "credits_balance": 100000}  # fmt: skip
        r = c.get(f"/api/jobs/{job_id}", headers=LIVE)
        assert (r.status_code, r.json()["message"]) == (404, f"Job '{job_id}' not found.")
        r = c.get("/api/jobs/expired", headers=LIVE)
        assert r.json() == {"status": 403, "error": "Forbidden",
                            "message": "Your subscription does not include access to the Feed API."}  # fmt: skip
        assert credits(c) == {"balance": 100000, "spent": 0, "granted": 100000}


def test_the_dashboards_library_of_a_jobo_mock_is_the_jobo_folder() -> None:
    rt = Runtime(vendor="jobo", clock="manual")
    with TestClient(create_app(rt)) as c:
        listed = c.get("/_mock/scenarios/library").json()
        assert sorted(f["file"] for f in listed["files"]) == sorted(p.name for p in LIBRARY.glob("*.yaml"))
        assert all(f["error"] is None and f["rules"] >= 1 for f in listed["files"])
        assert c.post("/_mock/scenarios/library/maintenance").status_code == 201
        assert [s["name"] for s in c.get("/_mock/scenarios").json()["scenarios"]] == ["maintenance"]
        assert c.post("/_mock/scenarios/library/chaos").status_code == 404  # UpHunt's, not this vendor's


def test_serve_scenario_names_resolve_to_the_jobo_library() -> None:
    """``uphunt-mock serve --vendor jobo --scenario maintenance`` loads scenarios/jobo/maintenance.yaml."""
    from mock_server.core.scenarios import library

    assert [e.name for e in library.entries("jobo")] == sorted(p.stem for p in LIBRARY.glob("*.yaml"))
    for entry in library.entries("jobo"):
        assert library.resolve(entry.name, "jobo") == LIBRARY / f"{entry.name}.yaml" and entry.description
    with pytest.raises(ValueError, match="not in the jobo scenario library"):
        library.resolve("chaos", "jobo")  # UpHunt's file
