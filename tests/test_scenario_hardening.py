"""Scenario files that used to freeze the mock, break it at run time or stay half-installed (issue 13, items 1, 3, 4, 5).

The file-by-file refusals live in the hostile corpus (tests/hostile); these tests pin the
behaviour around them: regexes that cannot backtrack, cheap conditions before patterns, the
rule index, JSON-only values, and loads and resets that are all-or-nothing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from typing import Any

import httpx
import pytest
from conftest import APPLY, DEMO, STATUS, AsgiClient, default_world, live_server
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.scenarios.engine import ScenarioEngine
from mock_server.core.scenarios.matching import Pattern
from mock_server.core.yaml_source import SourceError

JOB = "~022053140178050136031"


def test_a_catastrophic_regex_matches_in_linear_time_without_a_key() -> None:
    """D3: ``(a+)+$`` against ``a`` x 30 + ``!`` took ~2 minutes on Python's re (30.8 s at 28), freezing
    every client. The child process gets 60 s, far above the ~1 s it needs with a linear engine."""
    child = textwrap.dedent(
        """
        import sys
        sys.path.insert(0, "tests")
        from conftest import AsgiClient, default_world
        from mock_server.core.app import create_app
        from mock_server.core.runtime import Runtime
        rt = Runtime(default_world(), clock="manual")
        rt.scenarios.load("name: redos\\nrules:\\n  - match: {jobId: {regex: '(a+)+$'}}\\n    respond: {status: 500}\\n", "x")
        client = AsgiClient(create_app(rt))
        r = client.post("/api/auto-apply-v2/apply", json_body={"jobId": "a" * 30 + "!", "coverLetter": "x"})
        hit = client.post("/api/auto-apply-v2/apply", json_body={"jobId": "a" * 30, "coverLetter": "x"})
        print(r.status_code, hit.status_code)
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["401", "500"]  # no key: refused by auth; the matching id: the rule answers


def test_regex_patterns_run_only_after_the_cheap_conditions(
    runtime: Runtime, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.scenarios.load(
        {
            "name": "late",
            "rules": [
                {
                    "match": {"clock": {"from": 60}, "jobId": {"regex": "^~02"}, "method": "POST"},
                    "respond": {"status": 503},
                }
            ],
        }
    )
    calls: list[str | None] = []
    real = Pattern.__call__

    def spy(self: Pattern, value: str | None) -> bool:
        calls.append(value)
        return real(self, value)

    monkeypatch.setattr(Pattern, "__call__", spy)
    assert (
        client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "x"}).status_code == 200
    )  # outside the clock window
    assert client.get(STATUS, headers=DEMO, params={"jobId": JOB}).status_code == 200  # GET: the method differs
    assert calls == []
    client.post("/_mock/clock/advance", json={"seconds": 60})
    assert client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "x"}).status_code == 503
    assert calls == [JOB]


def test_a_request_is_matched_only_against_the_rules_that_could_concern_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """D11: a 15,000-rule scenario made every request a linear scan (16 ms instead of 0.9). Rules are
    indexed by trigger, operation and plain-value condition; here 3,000 rules cost a request at most 2."""
    rt = Runtime(default_world(), clock="manual")
    rules: list[dict[str, Any]] = [
        {"match": {"jobId": f"~01{i:018d}"}, "respond": {"status": 503}} for i in range(1500)
    ]
    rules += [{"match": {"operationId": "getClientJobs"}, "respond": {"status": 502}} for _ in range(1499)]
    rules.append({"match": {"jobId": JOB, "operationId": "applyToJob"}, "respond": {"status": 504}})
    rt.scenarios.load({"name": "big", "rules": rules})
    tried: list[str] = []
    real = ScenarioEngine._try

    def spy(self: ScenarioEngine, scenario: Any, rule: Any, subject: Any, states: Any) -> Any:
        tried.append(rule.id)
        return real(self, scenario, rule, subject, states)

    monkeypatch.setattr(ScenarioEngine, "_try", spy)
    client = AsgiClient(create_app(rt))
    try:
        assert client.get(STATUS, headers=DEMO, params={"queueId": "queue_abc123"}).status_code == 200
        assert tried == []
        assert (
            client.post(
                APPLY, headers=DEMO, json_body={"jobId": "~01000000000000000007", "coverLetter": "x"}
            ).status_code
            == 503
        )
        assert tried == ["big/7"]
        tried.clear()
        assert client.post(APPLY, headers=DEMO, json_body={"jobId": JOB, "coverLetter": "x"}).status_code == 504
        assert tried == ["big/2999"]
        tried.clear()
        assert client.get("/api/clients/1991212616395436888/jobs", headers=DEMO).status_code == 502
        assert tried == ["big/1500"]  # the first of the operation's rules answers
    finally:
        client.close()


def test_index_keeps_the_load_order_between_exact_and_general_rules(runtime: Runtime, client: TestClient) -> None:
    runtime.scenarios.load(
        {
            "name": "order",
            "rules": [
                {"match": {"operationId": "applyToJob"}, "times": 1, "respond": {"status": 501}},
                {"match": {"jobId": JOB}, "times": 1, "respond": {"status": 502}},
                {"match": {"operationId": "applyToJob"}, "respond": {"status": 503}},
            ],
        }
    )
    answers = [client.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "x"}).status_code for _ in range(3)]
    assert answers == [501, 502, 503]


def test_an_unquoted_date_stays_the_string_it_looks_like(client: TestClient) -> None:
    """D4: a YAML timestamp in a body was a ``date`` and every matching request answered 500."""
    doc = "name: dated\nrules:\n  - match: {operationId: getClientJobs}\n    respond:\n      status: 200\n      body: {since: 2024-01-01, at: 2024-01-01T10:00:00Z}\n"
    assert client.post("/_mock/scenarios", content=doc).status_code == 201
    r = client.get("/api/clients/1991212616395436888/jobs", headers=DEMO)
    assert r.status_code == 200 and r.json() == {"since": "2024-01-01", "at": "2024-01-01T10:00:00Z"}


def test_anchors_and_merge_keys_still_work(client: TestClient) -> None:
    doc = (
        "name: anchors\nrules:\n"
        "  - match: &ops {operationId: getClientJobs}\n    times: 1\n    respond: &down {status: 503, message: down}\n"
        "  - match: *ops\n    respond:\n      <<: *down\n      status: 502\n"
    )
    assert client.post("/_mock/scenarios", content=doc).status_code == 201
    first = client.get("/api/clients/1991212616395436888/jobs", headers=DEMO)
    second = client.get("/api/clients/1991212616395436888/jobs", headers=DEMO)
    assert (first.status_code, second.status_code) == (503, 502)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (float("nan"), "Out of range float values are not JSON compliant"),
        (float("inf"), "Out of range float values are not JSON compliant"),
        (b"bytes", "Object of type bytes is not JSON serializable"),
    ],
)
def test_a_python_dict_scenario_holds_json_values_only(runtime: Runtime, value: Any, reason: str) -> None:
    with pytest.raises(SourceError) as caught:
        runtime.scenarios.load({"name": "py", "rules": [{"respond": {"status": 200, "body": {"x": value}}}]})
    assert caught.value.reason.startswith("a scenario holds JSON values only: ") and reason in caught.value.reason
    with pytest.raises(SourceError):
        runtime.scenarios.load({"name": "py", "rules": [{"delay": {"realSeconds": float("nan")}}]})
    assert runtime.scenarios.list() == []


def test_a_scenario_that_fails_while_starting_leaves_nothing_installed(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.scenarios.load(
        {"name": "kept", "rules": [{"match": {"operationId": "getClientJobs"}, "respond": {"status": 503}}]}
    )

    def explode(self: ScenarioEngine, scenario: Any) -> None:
        raise OverflowError("cannot convert float infinity to integer")

    monkeypatch.setattr(ScenarioEngine, "_run_start_rules", explode)
    with pytest.raises(SourceError) as caught:
        runtime.scenarios.load(
            {"name": "kept", "rules": [{"match": {"operationId": "applyToJob"}, "respond": {"status": 500}}]}
        )
    assert (
        caught.value.reason
        == "the scenario failed while starting: OverflowError: cannot convert float infinity to integer"
    )
    [kept] = runtime.scenarios.list()
    assert kept["rules"][0]["id"] == "kept/0" and runtime.scenarios.scenarios[0].rules[0].actions == {
        "respond": {"status": 503}
    }
    assert len(runtime.request_hooks) == 1


def test_a_failing_reset_hook_does_not_skip_the_others(runtime: Runtime) -> None:
    """D4: a start rule raising in reset skipped the scheduler driver's restart, so a scaled clock stopped advancing."""
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("cannot convert float NaN to integer")

    runtime.reset_hooks.insert(0, broken)
    runtime.reset_hooks.append(lambda: ran.append("driver restarted"))
    with pytest.raises(ValueError, match="NaN"):
        runtime.reset()
    assert ran == ["driver restarted"]


def test_a_scenario_being_parsed_does_not_stall_other_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """D11: a 15,000-rule scenario (889 KB) blocked the loop for 5.4 s while loading. Parsing and
    validating now run in a worker thread; here the parse is held open until five health checks
    have been answered (each may wait 5 s; they take milliseconds unless the loop is blocked)."""
    from mock_server.core.scenarios import engine

    started, release = threading.Event(), threading.Event()
    real = engine.compile_document

    def held(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "compile_document", held)
    rt = Runtime(default_world(), clock="manual")
    loaded: list[httpx.Response] = []
    with live_server(rt) as base:
        doc = b"name: held\nrules:\n  - match: {operationId: getClientJobs}\n    respond: {status: 503}\n"
        loader = threading.Thread(
            target=lambda: loaded.append(httpx.post(f"{base}/_mock/scenarios", content=doc, timeout=60))
        )
        loader.start()
        assert started.wait(30)
        try:
            health = []
            for _ in range(5):
                try:
                    health.append(httpx.get(f"{base}/_mock/health", timeout=5).status_code)
                except httpx.TimeoutException:
                    health.append(0)
                    break
        finally:
            release.set()
            loader.join(60)
    assert health == [200] * 5
    assert loaded[0].status_code == 201 and [s["name"] for s in loaded[0].json()["scenarios"]] == ["held"]
