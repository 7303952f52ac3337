"""Non-ASCII text survives every path (issue 16): world files, scenarios (files and HTTP bodies),
API responses, the journal, webhook bodies and snapshots. The default world's "St..hlingen" was
"Stühlingen" with its two UTF-8 bytes lost to dots in a copy of the Get Client Jobs page; these keep it from
coming back."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mock_server.testing import MockServer, UpHuntMock, WebhookReceiver

CITY = "Stühlingen"
WORLD = """\
companies:
  - companyId: "7000000000000000001"
    name: Ünïcødé GmbH — Zürich
    city: Zürich
    country: CHE
jobs:
  - id: "7000000000000000002"
    ciphertext: "~027000000000000000002"
    title: "Café-App für Bäckerei 🚀 (日本語 OK)"
    type: FIXED
    companyId: "7000000000000000001"
agencies:
  - id: agency_umlaut
    connects: 100
    freelancers:
      - id: fl_jose
        name: José Müller-Lüdenscheidt
        profiles: [{id: prof_jose, name: Entwickler (Köln), isDefault: true}]
accounts:
  - {apiKey: sk_umlaut, agencyId: agency_umlaut, credits: 5}
"""
SCENARIO = """\
name: reessayez-plus-tard  # names are ids: [A-Za-z0-9_.-]
description: "Ceci n'est pas un succès — 再試行"
rules:
  - match: {operationId: listFreelancers}
    times: 1
    respond: {status: 503, message: "Wartung läuft — bitte später 🙏"}
"""


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> UpHuntMock:
    world = tmp_path_factory.mktemp("world") / "umlaut.yaml"
    world.write_bytes(WORLD.encode("utf-8"))  # world files are UTF-8
    server = MockServer(world=world).start()
    yield server.handle("sk_umlaut")
    server.stop()


def test_the_default_world_city_is_stuehlingen_as_the_spec_says(mock: UpHuntMock) -> None:
    r = httpx.get(mock.base_url + "/api/clients/1991212616395436888/jobs", headers={"x-api-key": "sk_uphunt_demo_key"})
    assert r.json()["buyer"]["location"]["city"] == CITY
    assert CITY.encode("utf-8") in r.content  # UTF-8 on the wire, not \\u escapes or dots


def test_world_file_text_comes_back_exactly(mock: UpHuntMock) -> None:
    headers = mock.headers
    jobs = httpx.get(mock.base_url + "/api/clients/7000000000000000001/jobs", headers=headers).json()
    assert jobs["buyer"]["company"]["name"] == "Ünïcødé GmbH — Zürich"
    assert jobs["buyer"]["location"]["city"] == "Zürich"
    job = httpx.get(
        mock.base_url + "/api/jobs/by-ciphertext", headers=headers, params={"cipher": "~027000000000000000002"}
    ).json()
    assert "Café-App für Bäckerei 🚀 (日本語 OK)" in json.dumps(job, ensure_ascii=False)
    freelancers = httpx.get(mock.base_url + "/api/auto-apply-v2/freelancers", headers=headers).json()["freelancers"]
    assert (
        freelancers[0]["name"] == "José Müller-Lüdenscheidt"
        and freelancers[0]["profiles"][0]["name"] == "Entwickler (Köln)"
    )
    assert mock.account()["freelancers"][0]["name"] == "José Müller-Lüdenscheidt"


@pytest.mark.parametrize("via", ["file", "http"])
def test_scenario_text_comes_back_exactly(mock: UpHuntMock, tmp_path: Path, via: str) -> None:
    mock.clear_scenarios()
    if via == "file":
        path = tmp_path / "réessayez.yaml"
        path.write_bytes(SCENARIO.encode("utf-8"))
        loaded = mock.load_scenario(path)
    else:
        loaded = mock.load_scenario(SCENARIO)
    assert (loaded[0]["name"], loaded[0]["description"]) == ("reessayez-plus-tard", "Ceci n'est pas un succès — 再試行")
    r = httpx.get(mock.base_url + "/api/auto-apply-v2/freelancers", headers=mock.headers)
    assert r.status_code == 503 and "Wartung läuft — bitte später 🙏" in r.text
    mock.clear_scenarios()


def test_request_bodies_come_back_in_the_journal_state_webhooks_and_a_snapshot(mock: UpHuntMock) -> None:
    letter = "Grüße aus Köln — ich baue Ihre App 🚀 (日本語も)"
    with WebhookReceiver() as receiver:
        mock.put_account(webhookUrl=receiver.url)
        r = httpx.post(
            mock.base_url + "/api/auto-apply-v2/apply",
            headers=mock.headers,
            json={"jobId": "~027000000000000000002", "coverLetter": letter},
        )
        assert r.status_code == 200, r.text
        mock.settle()
        assert mock.requests.for_operation("applyToJob")[-1].body["coverLetter"] == letter
        (event,) = receiver.events
        assert event.body["data"]["jobId"] == "~027000000000000000002"
        snapshot = mock.snapshot()
        text = json.dumps(snapshot, ensure_ascii=False)
        assert letter in text and "Ünïcødé" in text
        before = mock.state()
        mock.restore(json.loads(text))
        assert mock.state() == before
        mock.put_account(webhookUrl=None)


def test_a_world_file_that_is_not_utf8_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("companies:\n  - {companyId: '1', name: Zürich}\n".encode("latin-1"))
    with pytest.raises(ValueError) as err:
        MockServer(world=path).start()
    assert str(err.value).startswith(f"{path}: cannot read world file: not UTF-8 text (invalid start byte at byte ")
