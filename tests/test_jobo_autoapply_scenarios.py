"""Every Auto Apply file in scenarios/jobo/ loads and has the effect its comment claims; the Jobo
scenario vocabulary (decision J38) validates at load time. (examples/ runs the reference client
under each of these files too.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.yaml_source import SourceError
from mock_server.vendors.jobo.domain.accounts import DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.domain.autoapply.fields import Field, snapshot_for
from mock_server.vendors.jobo.world import JoboWorldFile

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios" / "jobo"
SANDBOX = {"X-Api-Key": DEMO_SANDBOX_KEY}
APPS = "/api/auto-apply/applications"
FIXED = {"queued": [2, 2], "discovery": [30, 30], "review": [10, 10]}
TESTS: dict[str, Callable[[TestClient], None]] = {}


def effect(name: str) -> Callable[[Callable[[TestClient], None]], Callable[[TestClient], None]]:
    def register(fn: Callable[[TestClient], None]) -> Callable[[TestClient], None]:
        TESTS[name] = fn
        return fn

    return register


def runtime() -> Runtime:
    overlay = {
        "catalogue": {"jobs": 200, "companies": 10, "sandboxJobs": 20, "sandboxCompanies": 2},
        "settings": {"autoApply": {"enabled": True, "holdSeconds": 0, "durations": FIXED}},
    }
    data = JoboWorldFile.parse_text(yaml.safe_dump(overlay), "<test overlay>")
    return Runtime(JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data)), clock="manual")


def create(c: TestClient, slug: str = "multi-step", key: str = "k") -> tuple[int, dict]:
    r = c.post(
        APPS,
        json={"apply_url": f"https://sandbox.jobo.world/apply/{slug}"},
        headers={**SANDBOX, "Idempotency-Key": key},
    )
    return r.status_code, r.json()


def advance(c: TestClient, seconds: float) -> None:
    assert c.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def answer(c: TestClient, app_id: str) -> dict:
    app = c.get(f"{APPS}/{app_id}", headers=SANDBOX).json()
    step = app["current_step"]
    answers = snapshot_for([Field.from_data(f) for f in step["fields"]])
    body = {"answers": answers, "correction_round": step["correction_round"]}
    assert c.post(f"{APPS}/{app_id}/answers", json=body, headers=SANDBOX).status_code == 202
    advance(c, 10)
    return c.get(f"{APPS}/{app_id}", headers=SANDBOX).json()


@effect("auto-apply-ats-rejects-twice")
def _rejects(c: TestClient) -> None:
    _, app = create(c)
    advance(c, 32)
    rounds = [answer(c, app["id"])["current_step"] for _ in range(2)]
    assert [(s["sequence"], s["correction_round"]) for s in rounds] == [(1, 1), (1, 2)]
    assert (
        rounds[0]["command_errors"][0]["message"] == "The employer's form did not accept this value; check the format."
    )
    assert answer(c, app["id"])["current_step"]["sequence"] == 2  # the third snapshot was accepted


@effect("auto-apply-answers-expire")
def _expire(c: TestClient) -> None:
    _, app = create(c)
    advance(c, 32)
    step = c.get(f"{APPS}/{app['id']}", headers=SANDBOX).json()["current_step"]
    assert step["answers_expire_at"] == "2026-01-01T00:01:02Z"  # opened at 00:00:32, 30 s
    advance(c, 30)
    assert c.get(f"{APPS}/{app['id']}", headers=SANDBOX).json()["failure"]["code"] == "answers_timeout"


@effect("auto-apply-captcha")
def _captcha(c: TestClient) -> None:
    _, app = create(c)
    advance(c, 32)
    assert c.get(f"{APPS}/{app['id']}", headers=SANDBOX).json()["failure"]["code"] == "captcha_required"


@effect("auto-apply-dropped-create")
def _dropped(c: TestClient) -> None:
    rt: Runtime = c.app.state.runtime
    entries_before = len(rt.sim.auto_apply.applications)
    with pytest.raises(Exception):  # noqa: B017 - the transport error of the dropped answer
        create(c, key="same")
    assert len(rt.sim.auto_apply.applications) == entries_before + 1  # it took effect
    status, app = create(c, key="same")
    assert status == 202 and app["id"] in rt.sim.auto_apply.applications
    assert len(rt.sim.auto_apply.applications) == entries_before + 1
    assert (
        c.get("/_mock/requests", params={"operationId": "createAutoApplyApplication"}).json()["requests"][0]["status"]
        == 0
    )


@effect("auto-apply-quota-exhausted")
def _quota(c: TestClient) -> None:
    assert create(c, key="a")[0] == 202
    status, body = create(c, key="b")
    assert status == 429 and body["code"] == "application_quota_exceeded" and body["retry_after"] == 3600


@effect("auto-apply-gate-closed")
def _gate(c: TestClient) -> None:
    status, body = create(c)
    assert (status, body["code"]) == (503, "auto_apply_coming_soon")
    assert c.get(APPS, headers=SANDBOX).status_code == 200


def test_every_auto_apply_file_has_an_effect_test() -> None:
    assert sorted(p.stem for p in LIBRARY.glob("auto-apply-*.yaml")) == sorted(TESTS)


@pytest.mark.parametrize("name", sorted(TESTS))
def test_library_file(name: str) -> None:
    rt = runtime()
    rt.scenarios.load_file(LIBRARY / f"{name}.yaml")
    with TestClient(create_app(rt), raise_server_exceptions=False) as c:
        TESTS[name](c)


def test_vocabulary_checks_at_load_time() -> None:
    rt = runtime()
    with pytest.raises(SourceError, match="submission_unconfirmed cannot happen at discovery"):
        rt.scenarios.load({"rules": [{"trigger": "discovery", "fail": "submission_unconfirmed"}]})
    with pytest.raises(SourceError, match="atsReject"):
        rt.scenarios.load({"rules": [{"trigger": "discovery", "atsReject": True}]})
    with pytest.raises(SourceError, match="low must be <= high"):
        rt.scenarios.load({"rules": [{"autoApply": {"durations": {"review": [5, 1]}}}]})
    loaded = rt.scenarios.load(
        {
            "name": "x",
            "rules": [{"match": {"applicationId": "a*"}, "trigger": "review", "fail": "submission_unconfirmed"}],
        }
    )
    assert loaded["rules"][0]["trigger"] == "review"


def test_scenarios_can_target_one_application() -> None:
    rt = runtime()
    with TestClient(create_app(rt)) as c:
        _, first = create(c, key="1")
        rt.scenarios.load(
            {"name": "only-one", "rules": [{"match": {"applicationId": first["id"]}, "fail": "login_required"}]}
        )
        _, second = create(c, key="2")
        advance(c, 32)
        assert c.get(f"{APPS}/{first['id']}", headers=SANDBOX).json()["failure"]["code"] == "login_required"
        assert c.get(f"{APPS}/{second['id']}", headers=SANDBOX).json()["status"] == "awaiting_answers"
        listed = c.get("/_mock/scenarios").json()["scenarios"][0]["rules"][0]
        assert listed["trigger"] == "discovery" and listed["hits"] == 1
        json.dumps(listed)
