"""The pytest plugin (mock_server.pytest_plugin) and the harness behind it (mock_server.testing).

The handle is exercised through the ``uphunt_mock`` fixture itself; the fixture wiring (entry
point, options, marker, isolation between tests, xdist) through pytester, in a fresh pytest
session that knows the plugin only through its installed ``pytest11`` entry point.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mock_server.testing import (
    APPLY,
    STATUS,
    Drop,
    FaultSchedule,
    MockError,
    Outcome,
    Request,
    RequestLog,
    Respond,
    UpHuntMock,
    check_client,
)

pytest_plugins = ["pytester"]

EPOCH = 1_767_225_600.0  # the manual clock's start (2026-01-01T00:00:00Z)
JOB = "~022053140178050136031"
OTHER_JOB = "~022052895097657407455"
WORLD = Path(__file__).with_name("plugin_world.yaml")


def apply(mock: UpHuntMock, job: str = JOB, key: str | None = None) -> dict:
    with mock.client(key) as c:
        res = c.post("/api/auto-apply-v2/apply", json={"jobId": job, "coverLetter": "Hello"})
    return {"status": res.status_code, **res.json()}


# ── the handle ──────────────────────────────────────────────────────────────


def test_handle_addresses_a_fresh_default_world_on_the_manual_clock(uphunt_mock: UpHuntMock) -> None:
    assert uphunt_mock.base_url.startswith("http://127.0.0.1:")
    assert uphunt_mock.api_key == "sk_uphunt_demo_key"
    assert uphunt_mock.headers == {"x-api-key": "sk_uphunt_demo_key"}
    assert uphunt_mock.time() == EPOCH
    assert len(uphunt_mock.requests) == 0
    assert uphunt_mock.account()["credits"] == {"available": 100, "reserved": 0, "spent": 1, "granted": 101}
    assert uphunt_mock.scenarios() == []


def test_advance_sleep_and_monotonic_move_the_simulated_clock(uphunt_mock: UpHuntMock) -> None:
    result = uphunt_mock.advance(90)
    assert result["now"] == (EPOCH + 90) * 1000 and result["mode"] == "manual"
    uphunt_mock.sleep(10)
    uphunt_mock.sleep(0)  # no request, no time
    assert uphunt_mock.monotonic() == EPOCH + 100 == uphunt_mock.time()


def test_settle_advances_until_nothing_is_processing(uphunt_mock: UpHuntMock) -> None:
    assert apply(uphunt_mock)["status"] == 200
    assert apply(uphunt_mock, OTHER_JOB)["status"] == 200
    assert uphunt_mock.account()["credits"]["reserved"] == 2

    waited = uphunt_mock.settle()

    apps = uphunt_mock.applications()
    assert [a["applicationStatus"] for a in apps] == ["applied", "applied", "applied"]  # preseeded + 2
    assert waited == max(a["completesAt"] for a in apps) / 1000 - EPOCH
    assert uphunt_mock.account()["credits"] == {"available": 98, "reserved": 0, "spent": 3, "granted": 101}
    assert uphunt_mock.settle() == 0.0


def test_account_and_put_account(uphunt_mock: UpHuntMock) -> None:
    view = uphunt_mock.put_account(credits=0, connects=7)
    assert view["credits"]["available"] == 0 and view["connects"] == 7
    assert apply(uphunt_mock)["status"] == 402
    created = uphunt_mock.put_account("sk_new_key", credits=2)
    assert created["apiKey"] == "sk_new_key" and created["credits"]["available"] == 2
    assert uphunt_mock.account("sk_new_key") == created
    with pytest.raises(MockError) as err:
        uphunt_mock.account("sk_unknown")
    assert err.value.status == 404


def test_reset_restores_world_clock_journal_and_default_scenarios(uphunt_mock: UpHuntMock) -> None:
    uphunt_mock.default_scenarios = [
        {"name": "always-500", "rules": [{"match": {"operationId": STATUS}, "respond": {"status": 500}}]}
    ]
    uphunt_mock.load_scenario(FaultSchedule(apply=(Respond(503),), submission=400))
    apply(uphunt_mock)
    uphunt_mock.put_account(credits=1)
    uphunt_mock.advance(30)

    uphunt_mock.reset()

    assert uphunt_mock.time() == EPOCH
    assert len(uphunt_mock.requests) == 0
    assert uphunt_mock.account()["credits"]["available"] == 100
    assert [s["name"] for s in uphunt_mock.scenarios()] == ["always-500"]
    # the schedule's start rule (submission 400 s) did not survive the reset
    assert apply(uphunt_mock)["status"] == 200
    uphunt_mock.settle()
    assert uphunt_mock.time() - EPOCH < 300


def test_load_scenario_takes_a_path_yaml_text_a_dict_or_a_schedule(uphunt_mock: UpHuntMock, tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("name: from-file\nrules:\n  - match: {operationId: listFreelancers}\n    respond: {status: 503}\n")
    uphunt_mock.load_scenario(file)
    uphunt_mock.load_scenario(str(file).replace("a.yaml", "a.yaml"))  # same name: replaced, not added
    uphunt_mock.load_scenario(
        "name: from-text\nrules:\n  - match: {operationId: getClientJobs}\n    respond: {status: 500}\n"
    )
    uphunt_mock.load_scenario(
        {"name": "from-dict", "rules": [{"match": {"operationId": "generateProposal"}, "respond": {"status": 500}}]}
    )
    loaded = uphunt_mock.load_scenario(FaultSchedule(apply=(Respond(429, retry_after=3),)))
    assert [s["name"] for s in loaded] == ["from-file", "from-text", "from-dict", "fault-schedule"]

    with pytest.raises(MockError) as err:
        uphunt_mock.load_scenario({"rules": [{"match": {"operationId": "applyTo"}, "respond": {"status": 500}}]})
    assert err.value.status == 400 and "applyTo" in json.dumps(err.value.body)
    assert len(uphunt_mock.scenarios()) == 4  # the bad document changed nothing


def test_deliveries_lists_webhook_events(uphunt_mock: UpHuntMock) -> None:
    uphunt_mock.put_account(webhookUrl="http://127.0.0.1:9/hooks/uphunt")  # nothing listens: attempts fail
    queued = apply(uphunt_mock)
    uphunt_mock.settle()

    [delivery] = uphunt_mock.deliveries
    assert delivery["eventType"] == "application.applied"
    assert delivery["queueId"] == queued["queueId"]
    assert delivery["url"] == "http://127.0.0.1:9/hooks/uphunt"


# ── the journal helpers ─────────────────────────────────────────────────────


def test_requests_journal_helpers(uphunt_mock: UpHuntMock) -> None:
    uphunt_mock.load_scenario(FaultSchedule(apply=(Respond(429, retry_after=5),)))
    first = apply(uphunt_mock)
    uphunt_mock.advance(2)
    apply(uphunt_mock, OTHER_JOB)
    uphunt_mock.advance(4)
    queued = apply(uphunt_mock)
    with uphunt_mock.client() as c:
        c.get("/api/auto-apply-v2/status", params={"queueId": queued["queueId"]})

    log = uphunt_mock.requests
    assert first["status"] == 429 and first["retryAfter"] == 5
    assert isinstance(log, RequestLog) and all(isinstance(r, Request) for r in log)
    applies = log.for_operation(APPLY)
    assert applies.statuses == [429, 200, 200]
    assert applies.gaps() == [2.0, 4.0] and applies.times == [0.0, 2.0, 6.0]
    assert log.for_job(JOB).statuses == [429, 200]
    assert log.for_queue(queued["queueId"]).statuses == [200]
    assert log.with_status(429)[0].matched_rule == "fault-schedule/0"
    assert log.after(applies[1]) == log[2:]
    assert log[0].api_key == "sk_************key"  # masked by the journal
    assert (
        str(log[0]) == f"#{log[0].id} t={EPOCH:.3f} POST /api/auto-apply-v2/apply {JOB} -> 429 [rule fault-schedule/0]"
    )

    log.for_job(JOB).assert_no_request_within(5, after=applies[0])  # same job: 6 s later
    log.assert_no_request_within(5, after=applies[0], operation=STATUS)
    with pytest.raises(AssertionError, match=r"requests within 5 s after .* -> 429 .*\n.*2\.000 s after"):
        log.assert_no_request_within(5, after=applies[0])


# ── fault schedules as scenarios ────────────────────────────────────────────


def test_fault_schedule_hits_the_nth_requests_in_order(uphunt_mock: UpHuntMock) -> None:
    schedule = FaultSchedule(
        apply=(Respond(503), None, Drop(), Respond(429, retry_after=9)), status=(None, Respond(500))
    )
    uphunt_mock.load_scenario(schedule)
    seen: list[int | str] = []
    for _ in range(5):
        try:
            seen.append(apply(uphunt_mock, "~022055000000000000003")["status"])
        except httpx.TransportError:
            seen.append("dropped")
    assert seen == [503, 200, "dropped", 429, 409]
    with uphunt_mock.client() as c:
        statuses = [
            c.get("/api/auto-apply-v2/status", params={"queueId": "queue_abc123"}).status_code for _ in range(3)
        ]

    log = uphunt_mock.requests
    assert log.for_operation(APPLY).statuses == [503, 200, 0, 429, 409]
    assert statuses == [200, 500, 200]
    assert [schedule.fault_for(r) for r in log.for_operation(APPLY)] == [
        Respond(503),
        None,
        Drop(),
        Respond(429, 9),
        None,
    ]
    assert schedule.retry_after_for(log.for_operation(APPLY)[3]) == 9.0
    assert repr(schedule) == (
        "FaultSchedule(apply=[Respond(503), None, Drop(), Respond(429, retry_after=9)], status=[None, Respond(500)])"
    )


def test_forced_outcomes_and_submission_time(uphunt_mock: UpHuntMock) -> None:
    uphunt_mock.load_scenario(
        FaultSchedule(outcomes=(Outcome("logged_out"), None, Outcome("not_enough_connects")), submission=100)
    )
    for job in (JOB, OTHER_JOB, "~022055000000000000003"):
        assert apply(uphunt_mock, job)["status"] == 200
    uphunt_mock.settle()

    apps = uphunt_mock.applications()[1:]
    assert [a["applicationStatus"] for a in apps] == [
        "logged_out",
        "logged_out",
        "not_enough_connects",
    ]  # 2nd: still reconnecting
    assert all(a["completesAt"] - a["pickupAt"] == 100_000 for a in apps)


def test_empty_schedule_is_a_valid_scenario_that_changes_nothing(uphunt_mock: UpHuntMock) -> None:
    assert FaultSchedule().is_empty and not FaultSchedule(submission=5).is_empty
    uphunt_mock.load_scenario(FaultSchedule())
    assert apply(uphunt_mock)["status"] == 200


# ── the invariants, on hand-made journals ───────────────────────────────────


def req(
    i: int, t: float, op: str, status: int, job: str | None = JOB, queue: str | None = None, rule: str | None = None
) -> Request:
    body = {"jobId": job, "coverLetter": "x"} if op == APPLY else None
    query = {"queueId": queue} if queue else {}
    path = "/api/auto-apply-v2/apply" if op == APPLY else "/api/auto-apply-v2/status"
    return Request(
        i, EPOCH + t, "POST" if op == APPLY else "GET", path, query, {"x-api-key": "k****"}, body, status, op, rule
    )


def app(queue: str, created: float, completes: float, status: str, job: str = JOB) -> dict:
    return {
        "queueId": queue,
        "jobId": job,
        "processedJobId": "uuid-" + job,
        "apiKey": "k****",
        "applicationStatus": status,
        "createdAt": int((EPOCH + created) * 1000),
        "pickupAt": int((EPOCH + created + 2) * 1000),
        "completesAt": int((EPOCH + completes) * 1000),
    }


def names(violations: list) -> list[str]:
    return [v.check for v in violations]


def test_invariants_accept_the_documented_recipe() -> None:
    polls = [
        req(2 + i, t, STATUS, 200, job=None, queue="q1")
        for i, t in enumerate([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 75, 90])
    ]
    log = [req(1, 0, APPLY, 200), *polls]
    assert check_client(log, [app("q1", 0, 88, "applied")]) == []


def test_invariants_catch_each_documented_mistake() -> None:
    schedule = FaultSchedule(apply=(Respond(429, retry_after=10),))
    retried_early = [req(1, 0, APPLY, 429, rule="fault-schedule/0"), req(2, 3, APPLY, 200)]
    assert names(check_client(retried_early, [app("q1", 3, 40, "processing")], schedule, checks=["retry-after"])) == [
        "retry-after"
    ]

    no_backoff = [req(1, 0, APPLY, 503), req(2, 0.5, APPLY, 503), req(3, 2.5, APPLY, 503)]
    found = check_client(no_backoff, [], checks=["retry-backoff", "retryable-retried"])
    assert names(found) == ["retry-backoff", "retryable-retried"]  # 0.5 s < 1 s; the 3rd 503 never retried
    assert "2^3" not in str(found[0]) and "at least 2^1 x 0.5 s = 1 s" in str(found[0])

    gave_up_early = [req(1, 0, APPLY, 0)]
    assert names(check_client(gave_up_early, [])) == ["retryable-retried"]

    retried_402 = [req(1, 0, APPLY, 402), req(2, 1, APPLY, 402)]
    assert names(check_client(retried_402, [])) == ["terminal-not-retried"]

    duplicate = [req(1, 0, APPLY, 200), req(2, 10, APPLY, 409)]
    assert names(check_client(duplicate, [app("q1", 0, 40, "applied")], checks=["no-duplicate-apply"])) == [
        "no-duplicate-apply"
    ]

    too_fast = [req(1, 0, APPLY, 200), req(2, 5, STATUS, 200, None, "q1"), req(3, 7, STATUS, 200, None, "q1")]
    assert names(check_client(too_fast, [app("q1", 0, 6, "applied")])) == ["polling-cadence"]

    after_terminal = [req(1, 0, APPLY, 200), req(2, 5, STATUS, 200, None, "q1"), req(3, 10, STATUS, 200, None, "q1")]
    assert names(check_client(after_terminal, [app("q1", 0, 4, "failed")])) == ["polling-stops-at-terminal"]

    five_s_forever = [req(1, 0, APPLY, 200)] + [req(2 + i, 5 * (i + 1), STATUS, 200, None, "q1") for i in range(62)]
    found = check_client(five_s_forever, [app("q1", 0, 400, "processing")])
    assert names(found) == ["polling-gives-up", "polling-cadence"]
    assert "still polling q1 305 s after the apply (limit 300 s; 2 poll(s) too late)" in str(found[0])

    logged_out_dropped = [req(1, 0, APPLY, 200), req(2, 5, STATUS, 200, None, "q1")]
    assert names(check_client(logged_out_dropped, [app("q1", 0, 4, "logged_out")])) == ["retryable-retried"]

    not_eligible_again = [req(1, 0, APPLY, 200), req(2, 5, STATUS, 200, None, "q1"), req(3, 30, APPLY, 200)]
    apps = [app("q1", 0, 4, "not_eligible"), app("q2", 30, 70, "processing")]
    assert names(check_client(not_eligible_again, apps, checks=["terminal-not-retried"])) == ["terminal-not-retried"]

    with pytest.raises(ValueError, match="unknown checks"):
        check_client([], [], checks=["polling"])


# ── the fixtures, in a fresh pytest session (pytester) ──────────────────────

TEN_LINE_TEST = """
import httpx

def test_apply_spends_one_credit(uphunt_mock):
    res = httpx.post(uphunt_mock.base_url + "/api/auto-apply-v2/apply", headers=uphunt_mock.headers,
                     json={"jobId": "~022053140178050136031", "coverLetter": "Hello"})
    assert res.status_code == 200
    uphunt_mock.settle()
    assert uphunt_mock.account()["credits"]["spent"] == 2  # the world's preseeded application + this one
"""


def test_a_ten_line_user_test_works_with_the_installed_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=TEN_LINE_TEST)
    # schemathesis's pytest plugin, loaded in-process a second time, leaves the
    # schemathesis engine generating nothing for later tests of this session.
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1)


def test_options_marker_and_isolation(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", world=WORLD.read_text())
    pytester.makefile(
        ".yaml",
        five_hundred="name: five-hundred\nrules:\n  - match: {operationId: listFreelancers}\n    respond: {status: 500}\n",
    )
    pytester.makepyfile(
        test_inner=f"""
import httpx, pytest

URLS = {{}}

def test_options_apply_to_the_session_server(uphunt_mock, uphunt_mock_session):
    URLS["session"] = uphunt_mock.base_url
    assert uphunt_mock.base_url == uphunt_mock_session.base_url
    assert uphunt_mock.account("sk_plugin_world_key")["credits"]["available"] == 3      # --uphunt-mock-world
    assert httpx.get(uphunt_mock.base_url + "/_mock/clock").json()["mode"] == "manual"   # --uphunt-mock-clock
    with uphunt_mock.client() as c:
        assert c.get("/api/auto-apply-v2/freelancers").status_code == 500              # --uphunt-mock-scenario
        assert c.post("/api/auto-apply-v2/apply", json={{"jobId": "{JOB}", "coverLetter": "x"}}).status_code == 200
    uphunt_mock.put_account(credits=0)
    uphunt_mock.advance(100)

def test_the_next_test_starts_fresh_on_the_same_server(uphunt_mock):
    assert uphunt_mock.base_url == URLS["session"]
    assert uphunt_mock.time() == {EPOCH} and len(uphunt_mock.requests) == 0
    assert uphunt_mock.account()["credits"]["available"] == 100
    assert [s["name"] for s in uphunt_mock.scenarios()] == ["five-hundred"]

@pytest.mark.uphunt_mock(clock="real", api_key="sk_uphunt_second_key",
                         scenarios=[{{"name": "m", "rules": [{{"match": {{"operationId": "generateProposal"}}, "respond": {{"status": 503}}}}]}}])
def test_marker_with_another_clock_gets_its_own_server(uphunt_mock):
    assert uphunt_mock.base_url != URLS["session"] and uphunt_mock.api_key == "sk_uphunt_second_key"
    assert httpx.get(uphunt_mock.base_url + "/_mock/clock").json()["mode"] == "real"
    assert [s["name"] for s in uphunt_mock.scenarios()] == ["five-hundred", "m"]

@pytest.mark.uphunt_mock(scenarios=["five_hundred.yaml"])
def test_marker_scenarios_alone_reuse_the_session_server(uphunt_mock):
    assert uphunt_mock.base_url == URLS["session"]

@pytest.mark.uphunt_mock(wrold="typo.yaml")
def test_marker_typo_is_an_error(uphunt_mock):
    pass
"""
    )
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:schemathesis",
        "--uphunt-mock-world",
        "world.yaml",
        "--uphunt-mock-scenario",
        "five_hundred.yaml",
        "--uphunt-mock-clock",
        "manual",
    )
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(["*UsageError: @pytest.mark.uphunt_mock: unknown argument(s)*wrold*"])


def test_each_xdist_worker_gets_its_own_server(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(
        test_workers="""
import os, pytest

@pytest.mark.parametrize("n", range(4))
def test_record(uphunt_mock, n, worker_id):
    uphunt_mock.advance(n + 1)  # would be visible to the others if state were shared
    assert uphunt_mock.time() == 1_767_225_600.0 + n + 1
    with open(f"url-{worker_id}-{n}", "w") as f:
        f.write(uphunt_mock.base_url)
"""
    )
    # Only the two plugins this needs: autoloading hypothesis and schemathesis in three fresh
    # interpreters (controller + 2 workers) would cost more than everything else in this file.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_inprocess(
        "-p", "xdist.plugin", "-p", "mock_server.pytest_plugin", "-p", "no:cacheprovider", "-n", "2"
    )
    result.assert_outcomes(passed=4)
    urls: dict[str, set[str]] = {}
    for f in pytester.path.glob("url-*"):
        urls.setdefault(f.name.split("-")[1], set()).add(f.read_text())
    assert sorted(urls) == ["gw0", "gw1"]
    assert all(len(u) == 1 for u in urls.values())  # one server per worker, reused by its tests
    assert urls["gw0"] != urls["gw1"]
