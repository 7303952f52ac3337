"""Freelancers (decision 9) and generate-proposal (decision 8)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec
from mock_server.vendors.uphunt.domain.proposals import JobBrief, generate_cover_letter
from tests.conftest import DEMO, DEMO_KEY, SECOND_KEY

FREELANCERS = "/api/auto-apply-v2/freelancers"
LEGACY_FREELANCERS = "/api/auto-apply/external/freelancers"
GENERATE = "/api/auto-apply-v2/generate-proposal"
SDK_JOB = "~022053140178050136031"  # Senior Python developer for a FastAPI backend (hourly 50-90)


def schema_errors(name: str, body: Any) -> list[str]:
    spec = load_spec("uphunt.yaml")
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}, format_checker=FormatChecker()
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def generate(client: TestClient, **body: Any) -> Any:
    return client.post(GENERATE, json=body, headers=DEMO)


# ------------------------------------------------------------------ freelancers


def test_freelancers_lists_the_agency_with_profiles(client: TestClient) -> None:
    r = client.get(FREELANCERS, headers=DEMO)
    assert r.status_code == 200
    body = r.json()
    assert not schema_errors("FreelancerList", body)
    assert body["agencyId"] == "agency_demo"
    names = [f["name"] for f in body["freelancers"]]
    assert names == ["UpHunt Business Developer", "Ada L.", "Grace H.", "Linus T."]
    assert [f["isBusinessDeveloper"] for f in body["freelancers"]] == [True, False, False, False]
    for f in body["freelancers"]:
        assert f["profiles"] and sum(p["isDefault"] for p in f["profiles"]) == 1, f["name"]
    ada = body["freelancers"][1]
    assert [(p["id"], p["name"], p["isDefault"], p["hourlyRate"]) for p in ada["profiles"]] == [
        ("1800000000000000002", "Full-Stack Development", True, 65),
        ("1800000000000000003", "Python Backend & APIs", False, 75),
        ("1800000000000000004", "Data Engineering", False, 80),
    ]
    ids = [p["id"] for f in body["freelancers"] for p in f["profiles"]]
    assert len(ids) == len(set(ids)) == 7
    # The legacy path forwards to the same handler: the same body.
    assert client.get(LEGACY_FREELANCERS, headers=DEMO).json() == body


def test_each_account_sees_its_own_agency(client: TestClient) -> None:
    body = client.get(FREELANCERS, headers={"x-api-key": SECOND_KEY}).json()
    assert body["agencyId"] == "agency_second"
    assert [p["id"] for f in body["freelancers"] for p in f["profiles"]] == ["1800000000000000010"]


def test_every_profile_id_is_usable_as_profile_id_on_apply(runtime: Runtime, client: TestClient) -> None:
    profiles = [p["id"] for f in client.get(FREELANCERS, headers=DEMO).json()["freelancers"] for p in f["profiles"]]
    now = runtime.clock.now()
    open_jobs = [j.ciphertext for j in runtime.sim.catalogue.jobs if j.is_open(now) and j.id != "2000000000000000001"]
    queued = {}
    for profile_id, job in zip(profiles, open_jobs, strict=False):
        r = client.post(
            "/api/auto-apply-v2/apply",
            json={"jobId": job, "coverLetter": "Hello!", "profileId": profile_id},
            headers=DEMO,
        )
        assert r.status_code == 200, (profile_id, r.text)
        queued[r.json()["queueId"]] = profile_id
    assert len(queued) == len(profiles)
    rows = client.get("/api/auto-apply-v2/applied-jobs?limit=100", headers=DEMO).json()["jobs"]
    assert {row["queueId"]: row["profileId"] for row in rows if row["queueId"] in queued} == queued
    # A profile of another agency is not this account's to use.
    foreign = client.post(
        "/api/auto-apply-v2/apply",
        json={"jobId": open_jobs[-1], "coverLetter": "Hello!", "profileId": "1800000000000000010"},
        headers=DEMO,
    )
    assert foreign.status_code == 422 and foreign.json()["field"] == "profileId"


# ------------------------------------------------------------------ generate-proposal


def test_generate_from_a_job_is_plausible_and_shaped_as_the_spec_says(runtime: Runtime, client: TestClient) -> None:
    r = generate(client, jobId=SDK_JOB)
    assert r.status_code == 200
    body = r.json()
    assert not schema_errors("GeneratedProposal", body)
    assert (body["jobId"], body["jobTitle"], body["reasoningEffort"], body["model"]) == (
        SDK_JOB,
        "Senior Python developer for a FastAPI backend",
        "medium",
        "uphunt-mock-template",
    )
    text = body["proposal"]
    assert body["wordCount"] == len(text.split())
    assert '"Senior Python developer for a FastAPI backend"' in text
    assert "Python, FastAPI, PostgreSQL and Docker" in text  # the job's skills
    assert "$50-$90/hr range" in text  # the job's rate range
    assert text.endswith("Best regards,\nAda L.")  # the agency member whose profile fits best
    assert not any(w in text for w in ("{", "}", "None"))  # no template leftovers


def test_generate_is_deterministic_across_runs_and_job_id_forms(client: TestClient) -> None:
    first = generate(client, jobId=SDK_JOB, reasoningEffort="high").json()
    assert generate(client, jobId=SDK_JOB, reasoningEffort="high").json() == first
    for ref in (f"https://www.upwork.com/jobs/{SDK_JOB}", "0b5e6c7d-8f90-4a1b-b2c3-d4e5f6a7b8c9"):
        assert generate(client, jobId=ref, reasoningEffort="high").json() == first, ref
    with TestClient(create_app(Runtime(clock="manual"))) as other:
        assert generate(other, jobId=SDK_JOB, reasoningEffort="high").json() == first


def test_reasoning_effort_changes_the_length(client: TestClient) -> None:
    counts = {}
    for effort in ("low", "medium", "high"):
        body = generate(client, jobId="~022052895097657407455", reasoningEffort=effort).json()
        assert body["reasoningEffort"] == effort
        counts[effort] = body["wordCount"]
    assert counts["low"] < counts["medium"] < counts["high"]
    assert counts["low"] >= 30 and counts["high"] <= 400
    high = generate(client, jobId="~022052895097657407455", reasoningEffort="high").json()["proposal"]
    assert "How I would approach it:" in high and "$500 fixed budget" in high and "more than 6 months" in high
    assert high.endswith("Best regards,\nGrace H.")  # the video editor signs a video job


def test_generate_from_title_and_description(client: TestClient) -> None:
    r = generate(
        client, jobTitle="Explainer video", jobDescription="We need a 60 s explainer. After Effects preferred."
    )
    assert r.status_code == 200
    body = r.json()
    assert body["jobId"] is None and body["jobTitle"] == "Explainer video" and body["reasoningEffort"] == "medium"
    assert 'You mention: "We need a 60 s explainer"' in body["proposal"]
    assert "After Effects" in body["proposal"] and "Grace H." in body["proposal"]
    assert not schema_errors("GeneratedProposal", body)


def test_generate_costs_nothing_and_queues_nothing(runtime: Runtime, client: TestClient) -> None:
    account = runtime.sim.accounts[DEMO_KEY]
    before = (account.ledger.as_dict(), len(runtime.sim.applications), runtime.sim.agency_of(account).connects)
    for effort in ("low", "medium", "high"):
        assert generate(client, jobId=SDK_JOB, reasoningEffort=effort, feedId="feed_123").status_code == 200
    no_credits = client.post(GENERATE, json={"jobId": SDK_JOB}, headers={"x-api-key": "sk_uphunt_no_credits_key"})
    assert no_credits.status_code == 200  # no credit needed
    assert (account.ledger.as_dict(), len(runtime.sim.applications), runtime.sim.agency_of(account).connects) == before


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({}, 400, "Provide jobId, or both jobTitle and jobDescription"),
        ({"jobTitle": "Only a title"}, 400, "Provide jobId, or both jobTitle and jobDescription"),
        ({"jobDescription": "Only a description"}, 400, "Provide jobId, or both jobTitle and jobDescription"),
        ({"jobTitle": "t" * 501, "jobDescription": "d"}, 400, None),
        ({"jobTitle": "t", "jobDescription": "d" * 20_001}, 400, None),
        ({"jobId": SDK_JOB, "temperature": 0.2}, 400, None),
        ({"jobId": 123}, 400, None),
        ({"jobId": SDK_JOB, "reasoningEffort": "extreme"}, 422, None),
        ({"jobId": "~020000000000000000000"}, 404, None),
    ],
)
def test_generate_rejects_bad_input(client: TestClient, body: dict[str, Any], status: int, error: str | None) -> None:
    r = client.post(GENERATE, json=body, headers=DEMO)
    assert r.status_code == status, r.text
    assert not schema_errors("Error", r.json())
    if error is not None:
        assert r.json()["error"] == error
    if status == 404:
        assert r.json()["error"].startswith("Job not found: '~020000000000000000000'")


def test_generate_accepts_inputs_at_the_limits(client: TestClient) -> None:
    r = generate(client, jobTitle="t" * 500, jobDescription="Build it. " * 2000, reasoningEffort="low")
    assert r.status_code == 200 and len("Build it. " * 2000) == 20_000


def test_cover_letter_rejects_an_unknown_effort_in_the_domain() -> None:
    with pytest.raises(ValueError, match="low, medium, high"):
        generate_cover_letter(JobBrief(title="t", description="d"), "max", None)
