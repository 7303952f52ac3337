"""Per-key rate limits and the legacy v1 Bearer quota (decisions 10b and 12).

Everything runs on the manual clock, which starts at 2026-01-01T00:00:00Z, so
window boundaries are exact numbers: the first minute ends at T0 + 60, the
first UTC day at T0 + 86,400 and the first billing period (calendar month) on
2026-02-01.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec
from mock_server.core.yaml_source import SourceError
from mock_server.vendors.uphunt.domain.ratelimit import (
    RateLimiter,
    billing_period,
    legacy_quota_from_spec,
    limits_from_spec,
)
from mock_server.vendors.uphunt.world import World
from tests.conftest import DEMO, DEMO_KEY, SECOND_KEY, world_with

T0 = int(DEFAULT_MANUAL_EPOCH)  # 2026-01-01T00:00:00Z
FEB_1 = 1_769_904_000  # 2026-02-01T00:00:00Z
LEGACY = {"Authorization": "Bearer up_demo_legacy_key"}
APPLY = "/api/auto-apply-v2/apply"
GENERATE = "/api/auto-apply-v2/generate-proposal"
JOB_READ = "/api/jobs/by-ciphertext?cipher=~022053140178050136031"
# Four open jobs the demo account has not applied to yet.
FRESH_JOBS = ["~022053140178050136031", "~022052895097657407455", "~022055000000000000003", "~022055000000000000001"]

# The table of the public Rate Limits page (RL-new) plus our decisions: each data read 60/min.
DOCUMENTED = {
    "applyToJob": {"minute": 60, "day": 1000},
    "getApplicationStatus": {"minute": 300},
    "listAppliedJobs": {"minute": 60},
    "generateProposal": {"minute": 30, "day": 500},
    "listFreelancers": {"minute": 30},
    "getJobByCiphertext": {"minute": 60},
    "getClientJobs": {"minute": 60},
}


def spec_validator(name: str) -> Draft202012Validator:
    spec = load_spec("uphunt.yaml")
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def app_client(overlay: dict[str, Any]) -> tuple[Runtime, TestClient]:
    rt = Runtime(world_with(overlay), clock="manual")
    return rt, TestClient(create_app(rt), raise_server_exceptions=False)


@pytest.fixture
def limited() -> Iterator[tuple[Runtime, TestClient]]:
    """apply and generate-proposal at 2 per minute and 3 per day; legacy quota 3."""
    rt, client = app_client(
        {
            "settings": {
                "rateLimits": {
                    "applyToJob": {"minute": 2, "day": 3},
                    "generateProposal": {"minute": 2, "day": 3},
                    "legacyQuota": 3,
                }
            }
        }
    )
    with client:
        yield rt, client


def rl(response: Any) -> tuple[int, int, int]:
    h = response.headers
    return int(h["X-RateLimit-Limit"]), int(h["X-RateLimit-Remaining"]), int(h["X-RateLimit-Reset"])


def apply(client: TestClient, job: str) -> Any:
    return client.post(APPLY, json={"jobId": job, "coverLetter": "Hello, I can help."}, headers=DEMO)


# ------------------------------------------------------------------ the table


def test_default_limits_are_the_spec_table_and_the_documented_numbers() -> None:
    spec = load_spec("uphunt.yaml")
    assert limits_from_spec(spec) == DOCUMENTED
    assert legacy_quota_from_spec(spec) == 10_000
    limiter = Runtime(clock="manual").sim.rate_limiter
    assert limiter.limits == DOCUMENTED and limiter.legacy_quota == 10_000 and limiter.enabled
    # Every alias forwards to a limited operation and declares no limits of its own (one bucket).
    for item in spec["paths"].values():
        for op in item.values():
            if "x-mock-handler" in op:
                assert "x-mock-rate-limits" not in op and op["x-mock-handler"] in DOCUMENTED, op["operationId"]
            else:
                assert op["operationId"] in DOCUMENTED


def test_billing_period_is_the_utc_calendar_month() -> None:
    assert billing_period(T0) == (T0, FEB_1)
    assert billing_period(FEB_1 - 0.001) == (T0, FEB_1)
    dec_31 = datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc).timestamp()
    dec_1, jan_1 = (datetime(y, m, 1, tzinfo=timezone.utc).timestamp() for y, m in ((2026, 12), (2027, 1)))
    assert billing_period(dec_31) == (dec_1, jan_1)  # the year rolls over


# ------------------------------------------------------------------ headers


def test_every_authenticated_response_carries_the_headers_and_401_none(client: TestClient) -> None:
    cases = [
        ("GET", "/api/auto-apply-v2/status?queueId=queue_abc123", None, 200, 300),
        ("GET", "/api/auto-apply-v2/status", None, 400, 300),
        ("GET", "/api/auto-apply-v2/applied-jobs?limit=500", None, 422, 60),
        ("GET", "/api/auto-apply-v2/freelancers", None, 200, 30),
        ("GET", "/api/auto-apply/external/freelancers", None, 200, 30),
        ("POST", GENERATE, {"jobId": "~0200000"}, 404, 30),
        ("POST", APPLY, {"jobId": "~01abc123def456", "coverLetter": "x"}, 409, 60),
        ("GET", "/api/jobs/by-ciphertext", None, 400, 60),
        ("GET", "/api/v2/jobs/by-ciphertext?cipher=~0299", None, 404, 60),
        ("GET", "/api/v1/clients/1991212616395436888/jobs", None, 200, 60),
    ]
    for method, path, body, status, limit in cases:
        r = client.request(method, path, json=body, headers=DEMO)
        assert r.status_code == status, (path, r.text)
        assert rl(r)[0] == limit and rl(r)[2] == T0 + 60, path
        assert "Retry-After" not in r.headers
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401 and "X-RateLimit-Limit" not in anonymous.headers, path


def test_remaining_counts_down_per_key_and_per_operation(client: TestClient) -> None:
    assert rl(client.get(JOB_READ, headers=DEMO)) == (60, 59, T0 + 60)
    assert rl(client.get(JOB_READ, headers=DEMO)) == (60, 58, T0 + 60)
    # Another data read is another bucket; another key is another counter.
    assert rl(client.get("/api/clients/1991212616395436888/jobs", headers=DEMO)) == (60, 59, T0 + 60)
    assert rl(client.get(JOB_READ, headers={"x-api-key": SECOND_KEY})) == (60, 59, T0 + 60)
    # Two-window operations report the window with fewer requests left: the minute here.
    assert rl(client.post(GENERATE, json={"jobId": "~01abc"}, headers=DEMO)) == (30, 29, T0 + 60)


# ------------------------------------------------------------------ exhaustion and recovery


def test_apply_minute_then_day_window_exhaust_and_recover_without_side_effects(
    limited: tuple[Runtime, TestClient],
) -> None:
    rt, client = limited
    account = rt.sim.accounts[DEMO_KEY]
    assert rl(apply(client, FRESH_JOBS[0])) == (2, 1, T0 + 60)  # minute 1 left, day 2 left
    assert rl(apply(client, FRESH_JOBS[1])) == (2, 0, T0 + 60)
    before = (account.ledger.as_dict(), len(rt.sim.applications))

    refused = apply(client, FRESH_JOBS[2])
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded", "limit": 2, "window": "minute", "retryAfter": 60}
    assert refused.headers["Retry-After"] == "60" and rl(refused) == (2, 0, T0 + 60)
    assert not list(spec_validator("RateLimitError").iter_errors(refused.json()))
    assert (account.ledger.as_dict(), len(rt.sim.applications)) == before  # no credit, nothing queued
    assert client.get(f"/api/auto-apply-v2/status?jobId={FRESH_JOBS[2]}", headers=DEMO).status_code == 404

    rt.advance(59)
    assert apply(client, FRESH_JOBS[2]).headers["Retry-After"] == "1"
    rt.advance(1)  # the minute rolls over; the refused requests were not counted in the day window
    third = apply(client, FRESH_JOBS[2])
    assert third.status_code == 200 and rl(third) == (3, 0, T0 + 86_400)  # the day has fewer left now

    day_refused = apply(client, FRESH_JOBS[3])
    assert day_refused.status_code == 429
    assert day_refused.json() == {"error": "Rate limit exceeded", "limit": 3, "window": "day", "retryAfter": 86_340}
    assert day_refused.headers["Retry-After"] == "86340" and rl(day_refused) == (3, 0, T0 + 86_400)
    assert len(rt.sim.applications) == before[1] + 1

    rt.advance(86_340)
    again = apply(client, FRESH_JOBS[3])
    assert again.status_code == 200, again.text
    assert rl(again) == (2, 1, T0 + 86_460)


def test_generate_proposal_minute_and_day_windows(limited: tuple[Runtime, TestClient]) -> None:
    rt, client = limited
    body = {"jobTitle": "Logo design", "jobDescription": "A clean logo for a bakery."}
    credits = rt.sim.accounts[DEMO_KEY].ledger.as_dict()
    assert [client.post(GENERATE, json=body, headers=DEMO).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post(GENERATE, json=body, headers=DEMO).json()["window"] == "minute"
    rt.advance(60)
    ok = client.post(GENERATE, json=body, headers=DEMO)
    assert ok.status_code == 200 and rl(ok) == (3, 0, T0 + 86_400)
    refused = client.post(GENERATE, json=body, headers=DEMO)
    assert refused.status_code == 429 and refused.json()["window"] == "day"
    assert refused.headers["Retry-After"] == str(86_400 - 60)
    rt.advance(86_400 - 60)
    assert client.post(GENERATE, json=body, headers=DEMO).status_code == 200
    assert rt.sim.accounts[DEMO_KEY].ledger.as_dict() == credits  # generate-proposal never costs a credit
    # The apply bucket was never touched by generate-proposal.
    assert rl(apply(client, FRESH_JOBS[0])) == (2, 1, T0 + 86_460)


def test_default_data_read_limit_is_per_operation_and_shared_with_aliases(client: TestClient) -> None:
    for i in range(60):
        path = JOB_READ if i % 2 else "/api/v2/jobs/by-ciphertext?cipher=~022053140178050136031"
        assert client.get(path, headers=DEMO).status_code == 200
    for path in (
        JOB_READ,
        "/api/v1/jobs/by-ciphertext?cipher=~01abc",
        "/api/v2/jobs/by-ciphertext?cipher=~01abc",
        "/api/v1/jobs/~01abc",
    ):
        refused = client.get(path, headers=DEMO)
        assert refused.status_code == 429, path
        assert refused.json() == {
            "error": "rate_limit_exceeded",
            "message": "Rate limit of 60 requests per minute exceeded",
            "limit": 60,
            "window": "minute",
            "retryAfter": 60,
        }
        assert not list(spec_validator("DataRateLimitError").iter_errors(refused.json()))
    # The client-jobs read has its own bucket.
    assert rl(client.get("/api/v2/clients/1991212616395436888/jobs", headers=DEMO)) == (60, 59, T0 + 60)
    # Another key is not affected.
    assert client.get(JOB_READ, headers={"x-api-key": SECOND_KEY}).status_code == 200


def test_freelancers_limit_is_shared_with_the_legacy_path(client: TestClient) -> None:
    for i in range(30):
        path = "/api/auto-apply-v2/freelancers" if i % 2 else "/api/auto-apply/external/freelancers"
        assert client.get(path, headers=DEMO).status_code == 200
    refused = client.get("/api/auto-apply/external/freelancers", headers=DEMO)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Rate limit exceeded", "limit": 30, "window": "minute", "retryAfter": 60}


def test_reset_clears_the_counters(limited: tuple[Runtime, TestClient]) -> None:
    rt, client = limited
    apply(client, FRESH_JOBS[0])
    apply(client, FRESH_JOBS[1])
    assert apply(client, FRESH_JOBS[2]).status_code == 429
    assert client.post("/_mock/reset").status_code == 200
    assert rl(apply(client, FRESH_JOBS[2])) == (2, 1, T0 + 60)


# ------------------------------------------------------------------ legacy Bearer quota


def test_legacy_bearer_quota_is_shared_by_v1_reads_and_documented_at_429(limited: tuple[Runtime, TestClient]) -> None:
    rt, client = limited
    v1_reads = [
        "/api/v1/jobs/~022052895097657407455",
        "/api/v1/jobs/by-ciphertext?cipher=~022052895097657407455",
        "/api/v1/clients/1991212616395436888/jobs",
    ]
    for used, path in enumerate(v1_reads, start=1):
        r = client.get(path, headers=LEGACY)
        assert r.status_code == 200, r.text
        assert rl(r) == (3, 3 - used, FEB_1)
    refused = client.get("/api/v1/jobs/~022052895097657407455", headers=LEGACY)
    assert refused.status_code == 429
    expected = {
        "error": "rate_limit_exceeded",
        "message": "Monthly limit of 3 requests reached. Quota resets at 2026-02-01T00:00:00.000Z.",
        "limit": 3,
        "used": 4,
        "resetsAt": "2026-02-01T00:00:00.000Z",
    }
    assert refused.json() == expected
    assert refused.headers["Retry-After"] == str(FEB_1 - T0) and rl(refused) == (3, 0, FEB_1)
    assert not list(spec_validator("LegacyQuotaExceeded").iter_errors(refused.json()))
    assert client.get(v1_reads[2], headers=LEGACY).json() == expected  # refused requests are not stored

    # x-api-key on the same v1 path is not quota-metered, and Bearer requests never used its minute bucket.
    keyed = client.get(v1_reads[0], headers=DEMO)
    assert keyed.status_code == 200 and rl(keyed) == (60, 59, T0 + 60)

    rt.advance(FEB_1 - T0)  # the next calendar month
    renewed = client.get(v1_reads[1], headers=LEGACY)
    assert renewed.status_code == 200 and rl(renewed) == (3, 2, 1_772_323_200)  # 2026-03-01


def test_legacy_bearer_is_only_accepted_on_v1_paths(client: TestClient) -> None:
    ok = client.get("/api/v1/jobs/~01abc", headers=LEGACY)
    assert ok.status_code == 200 and rl(ok) == (10_000, 9_999, FEB_1)
    for path in ("/api/jobs/by-ciphertext?cipher=~01abc", "/api/v2/jobs/by-ciphertext?cipher=~01abc"):
        r = client.get(path, headers=LEGACY)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", path
        assert "X-RateLimit-Limit" not in r.headers
    assert client.get("/api/auto-apply-v2/freelancers", headers=LEGACY).status_code == 401
    unknown = client.get("/api/v1/jobs/~01abc", headers={"Authorization": "Bearer up_nope"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "unauthorized"


# ------------------------------------------------------------------ world knobs


def test_enabled_false_never_refuses_but_still_reports() -> None:
    rt, client = app_client({"settings": {"rateLimits": {"enabled": False, "legacyQuota": 0}}})
    for i in range(61):
        r = client.get(JOB_READ, headers=DEMO)
        assert r.status_code == 200
        # The headers stay (the spec requires them); Remaining counts down and stops at 0.
        assert r.headers["X-RateLimit-Limit"] == "60"
        assert r.headers["X-RateLimit-Remaining"] == str(max(0, 59 - i))
    legacy = client.get("/api/v1/jobs/~01abc", headers=LEGACY)
    assert legacy.status_code == 200 and legacy.headers["X-RateLimit-Remaining"] == "0"


def test_a_window_can_be_dropped_and_zero_refuses_everything() -> None:
    rt, client = app_client(
        {"settings": {"rateLimits": {"applyToJob": {"day": None}, "listFreelancers": {"minute": 0}}}}
    )
    assert rt.sim.rate_limiter.limits["applyToJob"] == {"minute": 60}
    assert rl(apply(client, FRESH_JOBS[0])) == (60, 59, T0 + 60)
    refused = client.get("/api/auto-apply-v2/freelancers", headers=DEMO)
    assert refused.status_code == 429 and refused.json()["limit"] == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"apply": {"minute": 5}},
            "settings.rateLimits.apply: unknown setting; use enabled, legacyQuota or one of applyToJob,",
        ),
        (
            {"applyToJob": {"minute": None, "day": None}},
            "settings.rateLimits.applyToJob: at least one window must remain",
        ),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, settings: dict[str, Any], message: str) -> None:
    path = tmp_path / "world.yaml"
    path.write_text(f"settings:\n  rateLimits: {settings!r}\n".replace("None", "null"))
    with pytest.raises(ValueError) as err:
        Runtime(World.from_file(path), clock="manual")
    assert str(err.value).startswith(f"{path}:2: {message}")  # FILE:LINE, like schema errors (issue 16)


def test_bad_setting_types_are_reported_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "world.yaml"
    path.write_text("settings:\n  rateLimits:\n    applyToJob: {hour: 5}\n")
    with pytest.raises(SourceError) as err:
        World.from_file(path)
    assert str(path) in str(err.value) and ":3" in str(err.value) and "hour" in str(err.value)
    with pytest.raises(
        ValueError, match=r"settings.rateLimits.applyToJob.hour: unknown window; use one of minute, day"
    ):
        RateLimiter.from_settings({"applyToJob": {"hour": 5}}, load_spec("uphunt.yaml"))
    with pytest.raises(ValueError, match=r"settings.rateLimits.legacyQuota must be an integer >= 0, got -1"):
        RateLimiter.from_settings({"legacyQuota": -1}, load_spec("uphunt.yaml"))


def test_peek_reports_without_counting(limited: tuple[Runtime, TestClient]) -> None:
    rt, client = limited
    limiter = rt.sim.rate_limiter
    assert limiter.peek(DEMO_KEY, "applyToJob", T0) == limiter.peek(None, "applyToJob", T0)
    before = limiter.peek(DEMO_KEY, "applyToJob", T0)
    assert before is not None and (before.limit, before.remaining, before.reset, before.window) == (
        2,
        2,
        T0 + 60,
        "minute",
    )
    apply(client, FRESH_JOBS[0])
    apply(client, FRESH_JOBS[1])
    after = limiter.peek(DEMO_KEY, "applyToJob", T0)
    assert after is not None and (after.limit, after.remaining, after.window) == (2, 0, "minute")
    assert limiter.peek(DEMO_KEY, "applyToJob", T0 + 60).window == "day"  # 1 left of 3 per day vs 2 of 2 per minute
    assert limiter.peek(DEMO_KEY, "noSuchGroup", T0) is None


# ------------------------------------------------------------------ usage (the dashboard's meters)

_KEYS = ("k0", "k1", "k2")
_GROUPS = ("applyToJob", "getJobByCiphertext", "legacyBearer")


@settings(max_examples=60, deadline=None)
@given(calls=st.lists(st.tuples(st.sampled_from(_KEYS), st.sampled_from(_GROUPS), st.integers(0, 200)), max_size=40))
def test_usage_lists_exactly_what_each_key_used_in_the_current_windows(calls: list[tuple[str, str, int]]) -> None:
    """usage() answers from a per-key index (issue 18): it must match a plain count of the calls made."""
    limiter = RateLimiter({"applyToJob": {"minute": 1000, "day": 5000}, "getJobByCiphertext": {"minute": 1000}})
    now = 0.0
    made: list[tuple[str, str, float]] = []
    for key, group, step in calls:
        now += step
        if group == "legacyBearer":
            limiter.check_legacy(key, now)
        else:
            limiter.check(key, group, now)
        made.append((key, group, now))
    for key in _KEYS:
        expected = []
        for group in sorted({g for k, g, _ in made if k == key}):
            if group == "legacyBearer":
                start, end = billing_period(now)
                used = sum(1 for k, g, t in made if (k, g) == (key, group) and t >= start)
                expected.append((group, "billingPeriod", 10_000, used, end))
                continue
            for window, limit in limiter.limits[group].items():
                size = {"minute": 60, "day": 86_400}[window]
                start = int(now // size * size)
                used = sum(1 for k, g, t in made if (k, g) == (key, group) and t >= start)
                expected.append((group, window, limit, used, start + size))
        assert limiter.usage(key, now) == expected
    limiter.reset()
    assert [limiter.usage(key, now) for key in _KEYS] == [[], [], []]


@settings(max_examples=80, deadline=None)
@given(
    calls=st.lists(st.tuples(st.sampled_from(_KEYS), st.integers(0, 90)), max_size=60),
    limit=st.integers(0, 4),
    window=st.sampled_from(["minute", "day"]),
    enabled=st.booleans(),
)
def test_a_single_window_group_decides_exactly_as_the_general_path(
    calls: list[tuple[str, int]], limit: int, window: str, enabled: bool
) -> None:
    """check() takes a shorter path for a one-window group (every data read): same decisions, same state."""
    fast = RateLimiter({"g": {window: limit}}, enabled=enabled)
    general = RateLimiter({"g": {window: limit}}, enabled=enabled)
    now = 0.0
    for key, step in calls:
        now += step
        assert fast.check(key, "g", now) == general._check_many(key, "g", general.limits["g"], now)
    assert fast._counts == general._counts
    assert [fast.usage(k, now) for k in _KEYS] == [general.usage(k, now) for k in _KEYS]
