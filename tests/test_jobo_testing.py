"""The Jobo testing helpers (mock_server.testing.jobo) and the ``jobo_mock`` fixture of the pytest plugin.

The handle and the fault schedules are exercised through the fixture; the invariants on hand-made
journals (one per rule of the Status Codes page's retry table); the fixture wiring (options, marker, one server
per configuration, reset between tests) through pytester in a fresh pytest session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server.testing import MockError, Request, serve
from mock_server.testing.jobo import (
    CHECKS,
    Drop,
    JoboFaultSchedule,
    JoboMock,
    Respond,
    check_client,
)

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.jobo_mock(world="jobo_world.yaml")

EPOCH = 1_767_225_600.0
NEW_JOB = "5b0f6e2a-0c1d-4e6f-8a9b-0c1d2e3f4a5b"
FEED_PATH, EXPIRED_PATH = "/api/jobs/feed", "/api/jobs/expired"


# ── the handle ──────────────────────────────────────────────────────────────


def test_handle_addresses_a_jobo_world_on_the_manual_clock(jobo_mock: JoboMock) -> None:
    assert jobo_mock.base_url.startswith("http://127.0.0.1:") and jobo_mock.api_key == JoboMock.DEMO_KEY
    assert jobo_mock.time() == EPOCH and len(jobo_mock.requests) == 0
    assert jobo_mock.account()["credits"] == {"balance": 100000, "spent": 0, "granted": 100000}
    assert jobo_mock.catalogue()["live"]["jobs"] == 400
    with jobo_mock.client() as c:
        assert c.get("/api/jobs", params={"page_size": 2}).headers["X-Credits-Deducted"] == "2"


def test_job_controls_and_the_oracle_read(jobo_mock: JoboMock) -> None:
    added = jobo_mock.put_job(NEW_JOB, title="Reliability Engineer", work_model="remote")
    assert (added["state"], added["job"]["title"], added["discoveredAt"]) == (
        "active",
        "Reliability Engineer",
        EPOCH * 1000,
    )
    jobs = jobo_mock.active_jobs()
    assert NEW_JOB in jobs and len(jobs) == jobo_mock.catalogue()["live"]["active"]
    assert jobo_mock.expire_job(NEW_JOB)["state"] == "expired" and jobo_mock.job(NEW_JOB)["state"] == "expired"
    assert NEW_JOB not in jobo_mock.active_jobs()
    # The oracle reads with a subscription key of its own: the demo key paid nothing, the journal shows nothing.
    assert jobo_mock.account()["credits"]["spent"] == 0 and len(jobo_mock.requests) == 0
    with pytest.raises(MockError, match="404"):
        jobo_mock.job("00000000-0000-4000-8000-000000000009")
    assert len(jobo_mock.active_jobs(sandbox=True)) == jobo_mock.catalogue()["sandbox"]["active"]


def test_a_fault_schedule_hits_the_nth_requests_of_each_operation(jobo_mock: JoboMock) -> None:
    schedule = JoboFaultSchedule(
        feed=(None, Respond(503, retry_after=5), Drop()), expired=(Respond(429, retry_after=9),)
    )
    jobo_mock.load_scenario(schedule)
    with jobo_mock.client() as c:
        statuses = []
        for _ in range(4):
            try:
                statuses.append(c.post(FEED_PATH, json={"batch_size": 1}).status_code)
            except httpx.TransportError:
                statuses.append(0)
        r = c.get(EXPIRED_PATH)
        assert (r.status_code, r.headers["Retry-After"], r.json()["retry_after"]) == (429, "9", 9)
        assert c.get(EXPIRED_PATH).status_code == 200
    assert statuses == [200, 503, 0, 200]
    log = jobo_mock.requests
    assert [schedule.retry_after_for(r) for r in log] == [None, 5.0, None, None, 9.0, None]
    assert schedule.fault_for(log[2]) == Drop() and repr(schedule) == (
        "JoboFaultSchedule(feed=[None, Respond(503, retry_after=5), Drop()], expired=[Respond(429, retry_after=9)])"
    )


def test_load_library_by_name(jobo_mock: JoboMock) -> None:
    assert [s["name"] for s in jobo_mock.load_library("free-plan")] == ["free-plan"]
    with jobo_mock.client() as c:
        assert c.post(FEED_PATH, json={}).status_code == 403
    with pytest.raises(ValueError, match="unknown scenario 'nope'.*jobo scenario library.*maintenance"):
        jobo_mock.load_library("nope")


def test_serve_starts_a_jobo_mock_with_its_handle() -> None:
    with serve(vendor="jobo", world=str(Path(__file__).with_name("jobo_world.yaml"))) as mock:
        assert isinstance(mock, JoboMock) and mock.catalogue()["live"]["jobs"] == 400
        assert mock.server is not None and mock.server.handle().api_key == JoboMock.DEMO_KEY


# ── the invariants, on hand-made journals ───────────────────────────────────

KEY = "jbe_li****s000"


def req(i: int, t: float, status: int, body: dict[str, Any] | None = None, rule: str | None = None,
        path: str = FEED_PATH, key: str = KEY) -> Request:  # fmt: skip
    op = "getJobsFeed" if path == FEED_PATH else "getExpiredJobIds"
    method = "POST" if path == FEED_PATH else "GET"
    payload = body if body is not None else ({"batch_size": 100} if method == "POST" else None)
    return Request(i, EPOCH + t, method, path, {}, {"x-api-key": key}, payload, status, op, rule)


def names(violations: list[Any]) -> list[str]:
    return [v.check for v in violations]


def test_invariants_accept_the_status_codes_pages_recipe() -> None:
    page2 = {"cursor": "c2"}
    log = [
        req(1, 0, 200), req(2, 0, 500, page2), req(3, 1, 500, page2), req(4, 3, 0, page2), req(5, 7, 200, page2),
        req(6, 7, 429, {"cursor": "c3"}, rule="s/0"), req(7, 16, 200, {"cursor": "c3"}),
        req(8, 16, 503, {"cursor": "c4"}), req(9, 46, 503, {"cursor": "c4"}), req(10, 106, 200, {"cursor": "c4"}),
        req(11, 106, 409, {"cursor": "c5"}), req(12, 106, 200, {"batch_size": 100, "stable_scan": True}),
        req(13, 106, 402, path=EXPIRED_PATH),
    ]  # fmt: skip
    schedule = JoboFaultSchedule(feed=(Respond(429, retry_after=9),), name="s")
    assert check_client(log, [], schedule) == []


def test_invariants_catch_each_mistake_of_the_retry_table() -> None:
    schedule = JoboFaultSchedule(feed=(Respond(429, retry_after=10),), name="s")
    early = [req(1, 0, 429, rule="s/0"), req(2, 3, 200)]
    found = check_client(early, [], schedule)
    assert names(found) == ["retry-after"] and "came 3 s after a 429 with Retry-After: 10" in str(found[0])
    late = [req(1, 0, 429, rule="s/0"), req(2, 25, 200)]
    assert "(wait exactly Retry-After)" in str(check_client(late, [], schedule)[0])
    repeated = [req(1, 0, 429, rule="s/0"), req(2, 10, 429, rule="s/0"), req(3, 35, 200)]
    assert check_client(repeated, [], schedule) == []  # repeated 429s may back off longer

    no_backoff = [req(1, 0, 500), req(2, 0.5, 500), req(3, 1.5, 500), req(4, 3.5, 500), req(5, 7.5, 200)]
    found = check_client(no_backoff, [])
    assert names(found) == ["backoff-500"] * 4 and "retried 0.5 s after 500 (retry 1: back off at least 1 s" in str(
        found[0]
    )
    over_cap = [req(1, 0, 0), req(2, 45, 200)]
    assert "capped at 30 s" in str(check_client(over_cap, [])[0])

    quick_503 = [req(1, 0, 503), req(2, 5, 200)]
    assert "[wait-503] getJobsFeed retried 5 s after 503 (wait 30-60 s)" in str(check_client(quick_503, [])[0])
    told_90 = JoboFaultSchedule(feed=(Respond(503, retry_after=90),), name="s")
    assert names(check_client([req(1, 0, 503, rule="s/0"), req(2, 60, 200)], [], told_90)) == ["wait-503"]
    assert check_client([req(1, 0, 503, rule="s/0"), req(2, 90, 200)], [], told_90) == []

    gave_up = [req(1, 0, 500), req(2, 1, 500), req(3, 3, 500)]
    assert str(check_client(gave_up, [])[0]).startswith(
        "[retry-count] getJobsFeed gave up after 500 with 2 retries (retry at least 3 time(s))"
    )
    six_503s = [req(i + 1, 30 * i, 503) for i in range(7)]
    assert "retried 6 times after 503s (at most 5)" in str(check_client(six_503s, [], checks=["retry-count"])[0])

    retried_402 = [req(1, 0, 402), req(2, 1, 402)]
    assert names(check_client(retried_402, [])) == ["terminal-not-retried"]
    reused = [req(1, 0, 409, {"cursor": "c2"}), req(2, 1, 200, {"cursor": "c2"})]
    assert names(check_client(reused, [])) == ["cursor-not-reused"]
    restart_refused_again = [req(1, 0, 409), req(2, 0, 409), req(3, 0, 200)]  # first pages: no cursor to reuse
    assert check_client(restart_refused_again, []) == []
    other_key = [req(1, 0, 402), req(2, 0, 200, key="jbe_te****n000")]
    assert check_client(other_key, []) == []  # another key's request is not a retry

    assert sorted(CHECKS) == ["backoff-500", "cursor-not-reused", "retry-after", "retry-count", "terminal-not-retried",
                              "wait-503"]  # fmt: skip
    with pytest.raises(ValueError, match="unknown checks"):
        check_client([], [], checks=["backoff"])


# ── the fixture, in a fresh pytest session (pytester) ───────────────────────


def test_jobo_fixture_options_marker_and_one_server_per_configuration(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", small=Path(__file__).with_name("jobo_world.yaml").read_text())
    pytester.makefile(
        ".yaml", feed503="name: feed503\nrules:\n  - match: {operationId: getJobsFeed}\n    respond: {status: 503}\n"
    )
    pytester.makepyfile(
        test_inner=f"""
import httpx, pytest

URLS = {{}}

def test_options_apply(jobo_mock, jobo_mock_session):
    URLS["default"] = jobo_mock.base_url
    assert jobo_mock.base_url == jobo_mock_session.base_url
    assert jobo_mock.catalogue()["live"]["jobs"] == 400                                   # --jobo-mock-world
    with jobo_mock.client() as c:
        assert c.post("/api/jobs/feed", json={{}}).status_code == 503                    # --jobo-mock-scenario
    jobo_mock.put_account(credits=0)
    jobo_mock.advance(100)

def test_the_next_test_starts_fresh_on_the_same_server(jobo_mock):
    assert jobo_mock.base_url == URLS["default"] and jobo_mock.time() == {EPOCH}
    assert jobo_mock.account()["credits"]["balance"] == 100000 and len(jobo_mock.requests) == 0

@pytest.mark.jobo_mock(seed=7, api_key="{JoboMock.SANDBOX_KEY}")
def test_a_marker_configuration_gets_a_server(jobo_mock):
    URLS["seed7"] = jobo_mock.base_url
    assert jobo_mock.base_url != URLS["default"] and jobo_mock.api_key.startswith("jbe_test_")
    jobo_mock.advance(50)

@pytest.mark.jobo_mock(seed=7)
def test_the_same_marker_configuration_reuses_it_reset(jobo_mock):
    assert jobo_mock.base_url == URLS["seed7"] and jobo_mock.time() == {EPOCH}

@pytest.mark.jobo_mock(wrold="typo.yaml")
def test_marker_typo_is_an_error(jobo_mock):
    pass
"""
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:schemathesis", "--jobo-mock-world", "small.yaml",
        "--jobo-mock-scenario", "feed503.yaml",
    )  # fmt: skip
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*UsageError: @pytest.mark.jobo_mock: unknown argument(s)*wrold*"])


def test_a_failing_test_shows_the_jobo_mocks_journal(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", small=Path(__file__).with_name("jobo_world.yaml").read_text())
    pytester.makepyfile(
        test_fails="""
def test_feed(jobo_mock):
    with jobo_mock.client() as c:
        c.post("/api/jobs/feed", json={"batch_size": 1})
    assert False, "the client got it wrong"
"""
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:schemathesis", "--jobo-mock-world", "small.yaml"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*uphunt-mock journal*", "*+    0.000 s  getJobsFeed*POST /api/jobs/feed*-> 200"])


def test_uphunt_mock_verify_runs_the_retry_tables_invariants_over_a_jobo_mocks_journal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A client in any language: ``uphunt-mock verify`` reads the Jobo vendor's invariants from the mock's health."""
    from mock_server.cli import main

    with serve(vendor="jobo", world=str(Path(__file__).with_name("jobo_world.yaml"))) as mock:
        mock.put_account(credits=0)
        with mock.client() as c:
            for _ in range(2):  # a client that retries a 402
                assert c.get("/api/jobs", params={"page_size": 5}).status_code == 402
        code = main(["verify", "--base-url", mock.base_url])
    out = capsys.readouterr().out
    assert code == 1
    assert "[terminal-not-retried] searchJobs answered 402 was sent again (1 more time(s))" in out
