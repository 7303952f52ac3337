"""Invalid scenario documents are rejected with file, line and reason, and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO, DEMO_KEY
from starlette.testclient import TestClient

from mock_server.core.runtime import Runtime
from mock_server.core.yaml_source import SourceError

GOOD_RULE = "  - match: {operationId: listFreelancers}\n    respond: {status: 503}\n"

CASES = [
    # (document, line, reason)
    ("rules:\n  - match: {operationId: applyToJob\n    respond: {status: 500}\n", 3, "invalid YAML: "),
    (
        "rules:\n" + GOOD_RULE + "  - match: {operationId: applyTo}\n    respond: {status: 500}\n",
        4,
        "rules[1].match.operationId: unknown operationId 'applyTo'",
    ),
    (
        "rules:\n" + GOOD_RULE + "  - match: {operationId: applyToJob, colour: red}\n    respond: {status: 500}\n",
        4,
        "rules[1].match: unknown key(s): 'colour' was unexpected",
    ),
    (
        "rules:\n  - match:\n      path: {regex: 'api/(v1'}\n    respond: {status: 500}\n",
        3,
        "rules[0].match.path.regex: invalid regular expression: missing ): api/(v1 (regexes run on RE2: no backreferences or lookaround)",
    ),
    (
        "rules:\n  - match: {operationId: applyToJob}\n    respond: {status: 99}\n",
        3,
        "rules[0].respond.status: 99 is less than the minimum of 200",
    ),
    (
        "name: x\nrules:\n  - match: {operationId: applyToJob}\n",
        3,
        "rules[0]: a rule needs an action: one of respond, drop, dropResponse, delay, account, webhook, outcome, closeJob, latency",
    ),
    (
        "rules:\n  - match: {operationId: applyToJob}\n    outcome: applied\n",
        2,
        "rules[0].match.operationId: `operationId` cannot be matched in a rule evaluated on outcome (allowed: apiKey, clock, everyNth, jobId, nth, probability, queueId)",
    ),
    (
        "rules:\n  - respond: {status: 500}\n    drop: true\n",
        3,
        "rules[0].drop: `respond` and `drop` exclude each other",
    ),
    (
        "rules:\n  - trigger: start\n    closeJob: {jobId: '~0299999999999999999', afterSeconds: 5}\n",
        3,
        "rules[0].closeJob.jobId: no job '~0299999999999999999' in the world",
    ),
    (
        "rules:\n  - match: {clock: {from: 30, to: 10}}\n    respond: {status: 429}\n",
        2,
        "rules[0].match.clock.to: clock.to must be greater than clock.from",
    ),
    ("rules: []\n", 1, "rules: [] should be non-empty"),
    ("- just\n- a list\n", 1, "a scenario document must be a mapping with `rules`"),
]


@pytest.mark.parametrize(("doc", "line", "reason"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_bad_document_reports_line_and_reason(runtime: Runtime, doc: str, line: int, reason: str) -> None:
    with pytest.raises(SourceError) as info:
        runtime.scenarios.load(doc, "bad.yaml")
    assert (info.value.source, info.value.line) == ("bad.yaml", line)
    assert info.value.reason.startswith(reason) if reason.endswith(": ") else info.value.reason == reason
    assert runtime.scenarios.list() == [] and runtime.request_hooks == []


def test_post_invalid_yaml_answers_400_and_leaves_state_untouched(runtime: Runtime, client: TestClient) -> None:
    good = "name: first\nrules:\n" + GOOD_RULE
    assert (
        client.post("/_mock/scenarios", content=good, headers={"content-type": "application/yaml"}).status_code == 201
    )
    before = client.get("/_mock/scenarios").json()
    bad = "name: first\nrules:\n  - match: {operationId: applyToJob}\n    respond: {status: 429, retryAftr: 3}\n"
    r = client.post("/_mock/scenarios", content=bad, headers={"content-type": "text/yaml"})
    assert r.status_code == 400
    assert r.json() == {
        "error": "Invalid scenario: request:4: rules[0].respond: unknown key(s): 'retryAftr' was unexpected",
        "file": None,
        "line": 4,
        "reason": "rules[0].respond: unknown key(s): 'retryAftr' was unexpected",
    }
    assert client.get("/_mock/scenarios").json() == before  # same-named scenario not replaced
    assert client.get("/api/auto-apply-v2/freelancers", headers=DEMO).status_code == 503


def test_post_invalid_json_body_reports_the_line(client: TestClient) -> None:
    r = client.post("/_mock/scenarios", content=b'{\n  "rules": [\n    {"respond": {"status": "x"}}\n  ]\n}')
    assert r.status_code == 400 and r.json()["line"] == 3
    assert r.json()["reason"] == "rules[0].respond.status: 'x' is not of type 'integer'"
    empty = client.post("/_mock/scenarios", content=b"")
    assert (empty.status_code, empty.json()["reason"]) == (
        400,
        "empty scenario document (expected a mapping with `rules`)",
    )


def test_a_bad_start_action_changes_no_account(runtime: Runtime) -> None:
    doc = {
        "rules": [{"trigger": "start", "account": {"apiKey": DEMO_KEY, "credits": 0}}, {"respond": {"status": 1000}}]
    }
    with pytest.raises(SourceError):
        runtime.scenarios.load(doc)
    assert runtime.sim.accounts[DEMO_KEY].ledger.available == 100


def test_load_file_missing_and_schema_is_packaged(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        runtime.scenarios.load_file(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: cannot read scenario file: No such file or directory"
    from importlib import resources

    assert resources.files("mock_server").joinpath("core/scenarios/scenario.schema.yaml").is_file()
