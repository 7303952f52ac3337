"""The hostile corpus (tests/hostile/README.md): every bad file and request is refused, fast and cleanly.

Parametrized over the files, so a new case is a new file. A file is refused over HTTP (400
with its line and reason, nothing installed, the API still answering) and on the command line
(``FILE:LINE: reason`` and exit 2, never a traceback).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from mock_server import cli
from mock_server.core import serving

HERE = Path(__file__).resolve().parent
SCENARIOS = sorted((HERE / "scenarios").glob("*.yaml"))
WORLDS = sorted((HERE / "worlds").glob("*.yaml"))
DEMO = {"x-api-key": "sk_uphunt_demo_key"}


def expectation(path: Path) -> tuple[str, int | None]:
    """The ``# expect:`` reason and ``# line:`` of a corpus file (its first two lines, ASCII)."""
    head = path.read_bytes().split(b"\n", 2)
    reason = re.fullmatch(rb"# expect: (.+)", head[0])
    line = re.fullmatch(rb"# line: (\d+|none)", head[1])
    assert reason and line, f"{path.name} must start with '# expect: ...' and '# line: N|none'"
    return reason.group(1).decode(), None if line.group(1) == b"none" else int(line.group(1))


class Accepted(Exception):
    """Raised instead of listening: the command line accepted a file it must refuse."""


@pytest.fixture
def no_listening(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise Accepted("the file was accepted and the server was about to listen")

    monkeypatch.setattr(serving, "bind_socket", refuse)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_a_hostile_scenario_is_refused_over_http_and_nothing_is_installed(path: Path, client: TestClient) -> None:
    reason, line = expectation(path)
    assert (
        client.post(
            "/_mock/scenarios",
            content=b"name: kept\nrules:\n  - respond: {status: 503}\n    match: {operationId: getClientJobs}\n",
        ).status_code
        == 201
    )
    before = client.get("/_mock/scenarios").json()
    r = client.post("/_mock/scenarios", content=path.read_bytes(), headers={"content-type": "application/yaml"})
    assert r.status_code == 400, r.text
    body = r.json()
    assert reason in body["reason"] and body["line"] == line, body
    assert body["error"] == f"Invalid scenario: request{f':{line}' if line else ''}: {body['reason']}"
    assert client.get("/_mock/scenarios").json() == before
    assert client.post("/_mock/reset").status_code == 200
    status = client.get("/api/auto-apply-v2/status", headers=DEMO, params={"queueId": "queue_abc123"})
    assert status.status_code == 200 and status.json()["applicationStatus"] == "applied"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_a_hostile_scenario_file_stops_serve_with_file_line_and_exit_2(
    path: Path, no_listening: None, capsys: pytest.CaptureFixture[str]
) -> None:
    reason, line = expectation(path)
    assert cli.main(["serve", "--port", "0", "--clock", "manual", "--scenario", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"uphunt-mock: {path}{f':{line}' if line else ''}: "), err
    assert reason in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("path", WORLDS, ids=lambda p: p.name)
def test_a_hostile_world_file_stops_serve_with_file_line_and_exit_2(
    path: Path, no_listening: None, capsys: pytest.CaptureFixture[str]
) -> None:
    reason, line = expectation(path)
    assert cli.main(["serve", "--port", "0", "--clock", "manual", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"uphunt-mock: {path}{f':{line}' if line else ''}: "), err
    assert reason in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_corpus_is_not_empty_and_every_file_states_its_expectation() -> None:
    assert len(SCENARIOS) >= 20 and len(WORLDS) >= 20
    for path in SCENARIOS + WORLDS:
        expectation(path)
    assert yaml.safe_load((HERE / "README.md").read_text().split("```yaml")[1].split("```")[0]) is None


REQUESTS = yaml.safe_load((HERE / "requests.yaml").read_text())


def expand(value: Any) -> Any:
    """``{repeat: S, times: N}`` -> S * N and ``{concat: [...]}`` -> the parts joined, anywhere in a request's parts."""
    if isinstance(value, dict):
        if set(value) == {"repeat", "times"}:
            return str(value["repeat"]) * value["times"]
        if set(value) == {"concat"}:
            return "".join(str(expand(part)) for part in value["concat"])
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v) for v in value]
    return value


@pytest.mark.parametrize("case", REQUESTS, ids=[c["name"][:60] for c in REQUESTS])
def test_a_hostile_request_gets_a_clear_bounded_answer(case: dict[str, Any], client: TestClient) -> None:
    kwargs: dict[str, Any] = {"headers": case.get("headers") or {}}
    if "json" in case:
        kwargs["json"] = expand(case["json"])
    if "content" in case:
        kwargs["content"] = expand(case["content"]).encode()
    if "content_hex" in case:
        kwargs["content"] = bytes.fromhex(case["content_hex"])
    if "params" in case:
        kwargs["params"] = expand(case["params"])
    r = client.request(case["method"], case["path"], **kwargs)
    expect = case["expect"]
    assert r.status_code == expect["status"], r.text[:300]
    assert r.headers["content-type"] == "application/json"
    if "contains" in expect:
        assert expect["contains"] in r.text, r.text[:300]
    if "maxBytes" in expect:
        assert len(r.content) <= expect["maxBytes"], r.text[:300]
    if "allow" in expect:
        assert sorted(r.headers["allow"].split(", ")) == sorted(expect["allow"])
