"""The Auto Apply examples of docs/guide/jobo.md and the README stay true: the world files load, the
step-by-step Python example runs against a served mock, the README's curl calls answer as shown."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import yaml

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread
from mock_server.vendors.jobo.domain.accounts import DEMO_LIVE_KEY
from mock_server.vendors.jobo.world import JoboWorldFile

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "guide" / "jobo.md").read_text()
README = (ROOT / "README.md").read_text()
SMALL = {"catalogue": {"jobs": 200, "companies": 10, "sandboxJobs": 20, "sandboxCompanies": 2}}


def block(text: str, language: str, starts: str) -> str:
    for match in re.finditer(rf"```{language}\n(.*?)```", text, re.S):
        if match.group(1).lstrip().startswith(starts):
            return match.group(1)
    raise AssertionError(f"no {language} block starting with {starts!r}")


def world_from(text: str) -> JoboWorldFile:
    data = JoboWorldFile.merge(JoboWorldFile.parse_text(text, "docs/guide/jobo.md"), SMALL)
    return JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))


def test_the_step_by_step_example_runs() -> None:
    world = world_from(block(GUIDE, "yaml", "# auto-apply.yaml"))
    example = block(GUIDE, "python", "import httpx")
    with ServerThread(create_app(Runtime(world, clock="manual"))) as server:
        code = example.replace('BASE = "http://127.0.0.1:8080"', f'BASE = "{server.base_url}"')
        assert code != example
        exec(compile(code, "docs/guide/jobo.md", "exec"), {})  # its asserts are the test


def test_the_forms_world_example_maps_targets_to_its_form() -> None:
    text = block(GUIDE, "yaml", "settings:\n  autoApply:\n    forms:")
    world = world_from(text + "    enabled: true\n    holdSeconds: 0\n")
    rt = Runtime(world, clock="manual")
    service = rt.sim.auto_apply
    account = rt.sim.world.accounts[DEMO_LIVE_KEY]
    app, _ = service.create(account, "k", {"apply_url": "https://boards.greenhouse.io/acme/jobs/7"})
    assert app.form.slug == "acme-otp" and app.form.steps[0].rejections == 1
    assert app.form.failure.code == "submission_unconfirmed"
    other, _ = service.create(account, "k2", {"apply_url": "https://boards.greenhouse.io/other/jobs/7"})
    assert other.form.slug == "standard"


def test_the_readme_curl_calls() -> None:
    section = README[README.index("**Jobo Auto Apply**") :]
    bodies = re.findall(r"-d '(\{.*?\})'", section)
    settings, create, advance = (yaml.safe_load(b) for b in bodies[:3])
    rt = Runtime(world_from("{}"), clock="manual")
    with ServerThread(create_app(rt)) as server, httpx.Client(base_url=server.base_url) as http:
        assert http.patch("/_mock/settings", json=settings).status_code == 200
        key = re.search(r"X-Api-Key: (jbe_test_\w+)", section).group(1)
        r = http.post(
            "/api/auto-apply/applications", json=create, headers={"X-Api-Key": key, "Idempotency-Key": "order-42"}
        )
        assert r.status_code == 202 and r.json()["status"] == "queued"
        assert http.post("/_mock/clock/advance", json=advance).status_code == 200
        app = http.get(f"/api/auto-apply/applications/{r.json()['id']}", headers={"X-Api-Key": key}).json()
        assert app["status"] == "awaiting_answers"


def test_the_patch_settings_example_opens_the_gate() -> None:
    body = re.search(r"-d '(\{\"autoApply\": \{\"enabled\": true\}\})'", GUIDE).group(1)
    rt = Runtime(world_from("{}"), clock="manual")
    assert rt.settings()["autoApply"]["enabled"] is False
    rt.update_settings(yaml.safe_load(body))
    assert rt.settings()["autoApply"]["enabled"] is True
