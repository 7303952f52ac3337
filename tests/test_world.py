"""The default world and world files (issue 2): docs ids, the Get Client Jobs page's company, determinism, merge, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEMO, DEMO_KEY
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.clock import ManualClock
from mock_server.core.runtime import Runtime
from mock_server.core.yaml_source import SourceError
from mock_server.vendors.uphunt.domain.simulator import ApplyRequest
from mock_server.vendors.uphunt.world import World

# Every job id that appears in the public docs, the SDK and the seeds (../shared/seeds, facts reference).
DOCS_JOB_IDS = {
    "~01abc123def456": "~01abc123def456",  # status page example
    "~01abc": "~022055000000000000003",  # SDK docstring example (an alias)
    "~022053140178050136031": "~022053140178050136031",  # SDK README
    "~022052895097657407455": "~022052895097657407455",  # Get Client Jobs: open job
    "~022040846723050472167": "~022040846723050472167",  # Get Client Jobs: work history (closed)
}

# The Get Client Jobs page's response for GET /api/v1/clients/1991212616395436888/jobs, verbatim but for the
# city: a retrieved copy's "St..hlingen" is "Stühlingen" with its two UTF-8 bytes lost to dots (the spec's
# example has it right).
CLIENT_JOBS_BUYER = {
    "company": {
        "name": "Acme Inc.",
        "companyId": "1991212616395436888",
        "isEDCReplicated": None,
        "contractDate": "2025-11-19T00:00:00.000Z",
    },
    "location": {"city": "Stühlingen", "country": "DEU", "countryTimezone": "Europe/Berlin (UTC+02:00)"},
    "stats": {
        "totalAssignments": 20,
        "score": 4.75,
        "totalCharges": {"amount": 1721.68},
        "feedbackCount": 8,
        "totalJobsWithHires": 16,
    },
    "enterprise": False,
    "avgHourlyJobsRate": {"amount": 22.23},
    "postedCount": 57,
    "topClient": False,
    "phoneVerificationStatus": {"status": "VERIFIED"},
}
CLIENT_JOBS_OPEN_JOB = {
    "id": "2052895097657407455",
    "ciphertext": "~022052895097657407455",
    "title": "LONG-TERM! Only Experienced Video Editor",
    "type": "FIXED",
    "isPtcPrivate": False,
}
CLIENT_JOBS_HISTORY_ROW = {
    "isPtcJob": False,
    "status": "ACTIVE",
    "startDate": "2026-03-31T12:23:23.855Z",
    "endDate": None,
    "totalCharge": 235.94,
    "totalHours": 10.33,
    "jobInfo": {
        "title": "Mighty Networks Architect",
        "id": "2040846723050472167",
        "ciphertext": "~022040846723050472167",
    },
    "contractorInfo": {"contractorName": "Angelia A I.", "ciphertext": "~01cd73bd718fc7f708"},
    "rate": {"amount": 22.22},
    "feedback": None,
    "feedbackToClient": None,
}


def http(world: World | None = None) -> TestClient:
    return TestClient(create_app(Runtime(world, clock="manual")), raise_server_exceptions=False)


# ── the default world ──────────────────────────────────────────────────────


@pytest.mark.parametrize(("ref", "canonical"), DOCS_JOB_IDS.items())
def test_every_docs_job_id_resolves(client, ref, canonical):
    r = client.get("/api/jobs/by-ciphertext", headers=DEMO, params={"cipher": ref})
    assert r.status_code == 200
    assert r.json()["ciphertext"] == canonical
    r = client.get("/api/auto-apply-v2/status", headers=DEMO, params={"jobId": ref})
    assert r.status_code == (200 if canonical == "~01abc123def456" else 404)  # only the docs' example was applied to


def test_default_world_has_the_kinds_of_job_the_issue_lists(runtime):
    now = runtime.clock.now()
    jobs = runtime.sim.catalogue.jobs
    assert any(j.is_hourly and j.is_open(now) for j in jobs)
    assert any(not j.is_hourly and j.is_open(now) for j in jobs)
    assert any(not j.is_open(now) for j in jobs)
    assert any(j.requirements.countries for j in jobs)  # a job the demo agency is not eligible for
    assert len(runtime.sim.catalogue.companies) >= 10


def test_default_world_accounts_and_agency(client):
    account = client.get(f"/_mock/accounts/{DEMO_KEY}").json()
    assert account["agencyId"] == "agency_demo"
    assert account["credits"] == {"available": 100, "reserved": 0, "spent": 1, "granted": 101}
    assert account["connects"] == 500
    freelancers = client.get("/api/auto-apply-v2/freelancers", headers=DEMO).json()["freelancers"]
    assert len(freelancers) == 4
    assert sum(f["isBusinessDeveloper"] for f in freelancers) == 1
    assert sum(len(f["profiles"]) for f in freelancers) == 7


def test_company_1991212616395436888_matches_the_client_jobs_page(client):
    r = client.get("/api/v1/clients/1991212616395436888/jobs", headers=DEMO)
    assert r.status_code == 200
    body = r.json()
    assert body["companyId"] == "1991212616395436888"
    assert body["buyer"] == CLIENT_JOBS_BUYER
    assert CLIENT_JOBS_OPEN_JOB in body["openJobs"]
    assert body["workHistory"][0] == CLIENT_JOBS_HISTORY_ROW
    assert "~022040846723050472167" in body["archivedCiphers"]
    assert "2040846723050472167" in body["archivedJobIds"]


# ── determinism ────────────────────────────────────────────────────────────


def generated(seed: int) -> tuple[list[str], list[str], list[str]]:
    """The generated (not named) jobs and companies of the default world for ``seed``, and two queue ids."""
    world = World.default(seed)
    named = {j["id"] for j in world.data["jobs"]}
    sim = world.build(ManualClock())
    jobs = [f"{j.id}:{j.processed_job_id}:{j.title}:{j.connects_cost}" for j in sim.catalogue.jobs if j.id not in named]
    assert len(jobs) == 8 * 6
    companies = sorted(f"{c.company_id}:{c.name}" for c in sim.catalogue.companies.values())
    account = sim.accounts[DEMO_KEY]
    queue_ids = [
        sim.apply(account, ApplyRequest(job_ref=ref, cover_letter="Hi")).queue_id
        for ref in ("~022053140178050136031", "~022052895097657407455")
    ]
    return jobs, companies, queue_ids


def test_same_seed_same_world_and_ids():
    assert generated(0) == generated(0)
    assert generated(42) == generated(42)


def test_different_seed_different_generated_data_and_ids():
    jobs0, companies0, queues0 = generated(0)
    jobs1, companies1, queues1 = generated(1)
    assert companies0 != companies1
    assert jobs0 != jobs1
    assert not set(queues0) & set(queues1)


def test_the_named_world_does_not_depend_on_the_seed():
    a, b = World.default(0).build(ManualClock()), World.default(99).build(ManualClock())
    for ref in DOCS_JOB_IDS:
        ja, jb = a.catalogue.resolve(ref), b.catalogue.resolve(ref)
        assert ja is not None and jb is not None
        assert (ja.id, ja.ciphertext, ja.processed_job_id, ja.title) == (
            jb.id,
            jb.ciphertext,
            jb.processed_job_id,
            jb.title,
        )


def test_same_requests_same_responses_over_http():
    def run() -> list:
        c = http(World.default(5))
        out = []
        for job in ("~022053140178050136031", "~01abc", "~029"):
            r = c.post("/api/auto-apply-v2/apply", headers=DEMO, json={"jobId": job, "coverLetter": "Hi"})
            out.append((r.status_code, r.json()))
        c.post("/_mock/clock/advance", json={"seconds": 600})
        out.append(c.get("/api/auto-apply-v2/applied-jobs", headers=DEMO).json())
        return out

    assert run() == run()


# ── world files (--config) ─────────────────────────────────────────────────


def write(tmp_path: Path, text: str, name: str = "world.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_world_file_merges_over_the_default(tmp_path):
    path = write(
        tmp_path,
        """\
seed: 3
settings:
  pacingSeconds: 0
  failureRate: 0.5
agencies:
  - id: agency_new
    connects: 7
    freelancers:
      - id: "~01x"
        name: New BD
        isBusinessDeveloper: true
        profiles: [{id: p_new, name: General, hourlyRate: 20, isDefault: true}]
accounts:
  - {apiKey: sk_new, agencyId: agency_new, credits: 3}
  - {apiKey: sk_uphunt_second_key, agencyId: agency_second, credits: 999}
jobs:
  - {id: "2999000000000000001", ciphertext: "~022999000000000000001", title: New job, type: HOURLY, companyId: "1744092201533222913"}
""",
    )
    world = World.from_file(path)
    assert world.seed == 3
    sim = world.build(ManualClock())
    assert (sim.settings.pacing_seconds, sim.settings.failure_rate, sim.settings.reconnect_seconds) == (0, 0.5, 60)
    assert sim.settings.latency.workers == 50  # untouched settings stay
    assert sim.accounts["sk_new"].ledger.available == 3
    assert sim.accounts["sk_uphunt_second_key"].ledger.available == 999  # same id: replaced
    assert sim.accounts[DEMO_KEY].ledger.available == 100  # the rest of the default world is still there
    assert sim.agencies["agency_new"].connects == 7
    assert sim.catalogue.resolve("~022999000000000000001").title == "New job"
    assert sim.catalogue.resolve("~022053140178050136031") is not None
    # and it serves
    c = http(world)
    r = c.post(
        "/api/auto-apply-v2/apply",
        headers={"x-api-key": "sk_new"},
        json={"jobId": "~022999000000000000001", "coverLetter": "Hi"},
    )
    assert (r.status_code, r.json()["creditsRemaining"]) == (200, 2)


def test_world_file_can_start_from_nothing(tmp_path):
    path = write(
        tmp_path,
        """\
default: false
agencies: [{id: a1, connects: 1}]
accounts: [{apiKey: sk_only, agencyId: a1, credits: 1}]
""",
    )
    sim = World.from_file(path).build(ManualClock())
    assert list(sim.accounts) == ["sk_only"]
    assert sim.catalogue.resolve("~022053140178050136031") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "agencies:\n  - id: a1\n    connects: -3\n",
            "{path}:3: agencies[0].connects: -3 is less than the minimum of 0",
        ),
        (
            "settings:\n  pacingSeconds: 5\n  colour: blue\n",
            "{path}:1: settings: unknown key(s): 'colour' was unexpected",
        ),
        (
            "jobs:\n  - id: '1'\n    ciphertext: nope\n    title: t\n    type: HOURLY\n    companyId: '1'\n",
            "{path}:3: jobs[0].ciphertext: 'nope' does not match '^~0[12][0-9a-zA-Z]+$'",
        ),
        ("settings:\n  failureRate: 2\n", "{path}:2: settings.failureRate: 2 is greater than the maximum of 1"),
        ("accounts: [1, 2\n", "{path}:2: invalid YAML: expected ',' or ']', but got '<stream end>'"),
        ("- just\n- a list\n", "{path}:1: a world file must be a mapping"),
        ("accounts:\n  - {apiKey: k, agencyId: nowhere}\n", "{path}:2: account 'k' names unknown agency 'nowhere'"),
    ],
)
def test_bad_world_file_names_file_line_and_problem(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as err:
        World.from_file(path)
    assert str(err.value) == expected.format(path=path)


def test_missing_world_file(tmp_path):
    with pytest.raises(SourceError) as err:
        World.from_file(tmp_path / "absent.yaml")
    assert str(err.value) == f"{tmp_path / 'absent.yaml'}: cannot read world file: No such file or directory"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (
            "settings:\n  pacingSeconds: 5\n  rateLimits:\n    apply: {minute: 5}\n",
            4,
            "settings.rateLimits.apply: unknown setting; use enabled, legacyQuota or one of applyToJob, generateProposal, "
            "getApplicationStatus, getClientJobs, getJobByCiphertext, listAppliedJobs, listFreelancers",
        ),
        (
            "settings:\n  rateLimits:\n    applyToJob: {minute: null, day: null}\n",
            3,
            "settings.rateLimits.applyToJob: at least one window must remain (use enabled: false to switch every limit off)",
        ),
        (
            "settings:\n  latency:\n    pickup: {median: 5, p95: 1}\n",
            3,
            "settings.latency.pickup: a latency stage needs 0 < median <= p95",
        ),
    ],
)
def test_semantic_world_errors_carry_file_and_line(tmp_path: Path, text: str, line: int, reason: str) -> None:
    """Rules a JSON Schema cannot state get FILE:LINE like schema errors do (issue 16)."""
    path = tmp_path / "world.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as err:
        World.from_file(path)
    assert (err.value.source, err.value.line, err.value.reason) == (str(path), line, reason)
    assert str(err.value) == f"{path}:{line}: {reason}"
