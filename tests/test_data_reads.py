"""Data reads: archived job by ciphertext and client jobs (decisions 10 and 11).

Every job and every company of the default world is fetched over HTTP and
validated against the spec's schemas, and the two reads are checked against
each other and the catalogue: what client jobs lists as archived is exactly
what by-ciphertext can fetch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec
from mock_server.vendors.uphunt.render import iso_ms
from tests.conftest import DEMO, NO_RATE_LIMITS, world_with

JOB = "/api/jobs/by-ciphertext"
ACME = "1991212616395436888"  # the Get Client Jobs page's example company: auth-enriched
NORTHWIND = "1744092201533222913"  # known only from the public scrape


def spec_validator(name: str) -> Draft202012Validator:
    spec = load_spec("uphunt.yaml")
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_errors(name: str, body: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in spec_validator(name).iter_errors(body)]


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Runtime, TestClient]]:
    """The default world (generated filler included) with limits off, so every record can be read."""
    rt = Runtime(world_with(NO_RATE_LIMITS), clock="manual")
    with TestClient(create_app(rt), raise_server_exceptions=False) as client:
        yield rt, client


def get_job(client: TestClient, cipher: str) -> Any:
    return client.get(JOB, params={"cipher": cipher}, headers=DEMO)


# ------------------------------------------------------------------ by ciphertext


def test_every_job_of_the_world_is_archived_and_shaped_as_the_spec_says(world: tuple[Runtime, TestClient]) -> None:
    rt, client = world
    jobs = rt.sim.catalogue.jobs
    now = rt.clock.now()
    assert len(jobs) >= 50
    seen_auth = {True: 0, False: 0}
    for job in jobs:
        r = get_job(client, job.ciphertext)
        assert r.status_code == 200, (job.ciphertext, r.text)
        body = r.json()
        assert not schema_errors("ArchivedJob", body), (job.ciphertext, schema_errors("ArchivedJob", body))
        assert body["ciphertext"] == job.ciphertext
        pub = body["jobDetailsResponse"]["data"]["jobPubDetails"]
        opening = pub["opening"]["job"]
        info = opening["info"]
        assert (info["id"], info["ciphertext"], info["title"], info["type"]) == (
            job.id,
            job.ciphertext,
            job.title,
            job.type,
        )
        assert info["createdOn"] == iso_ms(job.posted_at_ms) and info["status"] == (
            "ACTIVE" if job.is_open(now) else "CLOSED"
        )
        assert opening["description"] == job.description and opening["connectsCost"] == job.connects_cost
        assert [s["name"] for s in opening["skills"]] == job.skills and job.skills
        if job.type == "HOURLY":
            assert opening["extendedBudgetInfo"] == {
                "hourlyBudgetMin": job.hourly_min,
                "hourlyBudgetMax": job.hourly_max,
            }
            assert job.hourly_min is not None and job.hourly_min <= job.hourly_max
        else:
            assert opening["extendedBudgetInfo"] is None and opening["budget"]["amount"] == job.budget > 0
        assert pub["buyer"]["company"]["companyId"] == job.company_id
        assert pub["buyer"]["company"]["name"] == rt.sim.catalogue.companies[job.company_id].name
        auth = body["authJobDetailsResponse"]
        seen_auth[auth is not None] += 1
        assert (auth is not None) == job.auth_enriched
        if auth is not None:
            assert auth["data"]["jobAuthDetails"]["buyer"]["info"]["company"]["companyId"] == job.company_id
    assert seen_auth[True] and seen_auth[False]  # both kinds of archive records exist


def test_docs_jobs_and_aliases_resolve(world: tuple[Runtime, TestClient]) -> None:
    _, client = world
    # The SDK README's job, the Get Client Jobs page's open and work-history jobs, the status page's job.
    for cipher in ("~022053140178050136031", "~022052895097657407455", "~022040846723050472167", "~01abc123def456"):
        assert get_job(client, cipher).status_code == 200, cipher
    aliased = get_job(client, "~01abc").json()  # an alias the world lists
    assert aliased["ciphertext"] == "~022055000000000000003"
    closed = get_job(client, "~022040846723050472167").json()
    assert closed["jobDetailsResponse"]["data"]["jobPubDetails"]["opening"]["job"]["info"]["status"] == "CLOSED"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({}, 400, "bad_request"),
        ({"cipher": ""}, 400, "bad_request"),
        ({"cipher": "~020000000000000000000"}, 404, "not_found"),
        (
            {"cipher": "https://www.upwork.com/jobs/~022053140178050136031"},
            404,
            "not_found",
        ),  # a URL is not a ciphertext
    ],
)
def test_job_read_errors_use_the_data_dialect(
    world: tuple[Runtime, TestClient], query: dict[str, str], status: int, code: str
) -> None:
    _, client = world
    r = client.get(JOB, params=query, headers=DEMO)
    assert r.status_code == status
    body = r.json()
    assert body["error"] == code and set(body) == {"error", "message"} and body["message"]
    assert not schema_errors("DataError", body)


def test_missing_cipher_message_names_the_parameter(world: tuple[Runtime, TestClient]) -> None:
    _, client = world
    assert client.get(JOB, headers=DEMO).json() == {"error": "bad_request", "message": "parameter cipher is required"}
    unknown = client.get(JOB, params={"cipher": "~020000000000000000000"}, headers=DEMO).json()
    assert unknown == {"error": "not_found", "message": "No archived job with ciphertext '~020000000000000000000'"}
    anonymous = client.get(JOB, params={"cipher": "~01abc"})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthorized"


# ------------------------------------------------------------------ client jobs


def test_every_company_is_shaped_as_the_spec_says_and_consistent_with_the_catalogue(
    world: tuple[Runtime, TestClient],
) -> None:
    rt, client = world
    catalogue, now = rt.sim.catalogue, rt.clock.now()
    companies = list(catalogue.companies)
    assert len(companies) >= 10 and ACME in companies and NORTHWIND in companies
    private_archived = private_unarchived = 0
    for cid in companies:
        r = client.get(f"/api/clients/{cid}/jobs", headers=DEMO)
        assert r.status_code == 200, r.text
        body = r.json()
        assert not schema_errors("ClientJobs", body), (cid, schema_errors("ClientJobs", body))
        assert body["companyId"] == cid == body["buyer"]["company"]["companyId"]
        # openJobs: exactly the open catalogue jobs of this company, each fetchable and ACTIVE.
        expected_open = [j for j in catalogue.jobs if j.company_id == cid and j.is_open(now)]
        assert [(o["id"], o["ciphertext"], o["title"], o["type"]) for o in body["openJobs"]] == [
            (j.id, j.ciphertext, j.title, j.type) for j in expected_open
        ]
        for o in body["openJobs"]:
            info = get_job(client, o["ciphertext"]).json()["jobDetailsResponse"]["data"]["jobPubDetails"]
            assert info["opening"]["job"]["info"]["status"] == "ACTIVE" and info["buyer"]["company"]["companyId"] == cid
        # archivedCiphers: the mentioned ciphertexts that by-ciphertext can fetch, no more, no less.
        mentioned = [o["ciphertext"] for o in body["openJobs"]]
        mentioned += [w["jobInfo"]["ciphertext"] for w in body["workHistory"] if w["jobInfo"]["ciphertext"]]
        fetchable = [c for c in dict.fromkeys(mentioned) if get_job(client, c).status_code == 200]
        assert body["archivedCiphers"] == fetchable
        # archivedJobIds: the work-history job ids the catalogue holds (also for private contracts).
        assert body["archivedJobIds"] == [
            w["jobInfo"]["id"] for w in body["workHistory"] if catalogue.by_id(w["jobInfo"]["id"])
        ]
        for w in body["workHistory"]:
            held = catalogue.by_id(w["jobInfo"]["id"])
            if w["jobInfo"]["ciphertext"] is None:
                private_archived += held is not None
                private_unarchived += held is None
            elif held is not None:
                assert held.ciphertext == w["jobInfo"]["ciphertext"] and not held.is_open(now)  # history = filled jobs
            assert w["contractorInfo"]["ciphertext"].startswith("~01")
    assert private_archived and private_unarchived  # private contracts exist, archived and not


def test_auth_enriched_fields_are_null_for_a_public_only_company(world: tuple[Runtime, TestClient]) -> None:
    _, client = world
    northwind = client.get(f"/api/clients/{NORTHWIND}/jobs", headers=DEMO).json()["buyer"]
    assert (northwind["enterprise"], northwind["avgHourlyJobsRate"], northwind["phoneVerificationStatus"]) == (
        None,
        None,
        None,
    )
    acme = client.get(f"/api/clients/{ACME}/jobs", headers=DEMO).json()
    assert acme["buyer"]["enterprise"] is False
    assert acme["buyer"]["avgHourlyJobsRate"] == {"amount": 22.23}
    assert acme["buyer"]["phoneVerificationStatus"] == {"status": "VERIFIED"}


def test_the_client_jobs_page_example_company(world: tuple[Runtime, TestClient]) -> None:
    rt, client = world
    body = client.get(f"/api/clients/{ACME}/jobs", headers=DEMO).json()
    assert body["buyer"]["company"] == {
        "name": "Acme Inc.",
        "companyId": ACME,
        "isEDCReplicated": None,
        "contractDate": "2025-11-19T00:00:00.000Z",
    }
    assert body["buyer"]["stats"] == {
        "totalAssignments": 20,
        "score": 4.75,
        "totalCharges": {"amount": 1721.68},
        "feedbackCount": 8,
        "totalJobsWithHires": 16,
    }
    assert "~022052895097657407455" in [o["ciphertext"] for o in body["openJobs"]]
    assert body["lastSyncedAt"] == round(rt.clock.now() * 1000) - 30 * 60_000
    history = {w["jobInfo"]["id"]: w for w in body["workHistory"]}
    assert history["2031111111111111111"]["jobInfo"]["ciphertext"] is None  # a private contract
    assert history["2040846723050472167"]["contractorInfo"] == {
        "contractorName": "Angelia A I.",
        "ciphertext": "~01cd73bd718fc7f708",
    }
    assert body["archivedCiphers"] == ["~01abc123def456", "~022052895097657407455", "~022040846723050472167"]
    assert body["archivedJobIds"] == ["2040846723050472167"]


def test_closing_a_job_removes_it_from_open_jobs() -> None:
    fresh = Runtime(world_with(NO_RATE_LIMITS), clock="manual")
    with TestClient(create_app(fresh)) as c:
        path = f"/api/clients/{NORTHWIND}/jobs"
        assert "~022055000000000000002" in [o["ciphertext"] for o in c.get(path, headers=DEMO).json()["openJobs"]]
        fresh.advance(31)  # the "closing soon" job closes 30 s after start
        after = c.get(path, headers=DEMO).json()
        assert "~022055000000000000002" not in [o["ciphertext"] for o in after["openJobs"]]
        assert "~022055000000000000002" not in after["archivedCiphers"]
        status = get_job(c, "~022055000000000000002").json()["jobDetailsResponse"]["data"]["jobPubDetails"]
        assert status["opening"]["job"]["info"]["status"] == "CLOSED"  # still archived, now closed


@pytest.mark.parametrize("company", ["42", "0000000000000000000", "not-a-number"])
def test_unknown_company_is_404_in_the_data_dialect(world: tuple[Runtime, TestClient], company: str) -> None:
    _, client = world
    r = client.get(f"/api/clients/{company}/jobs", headers=DEMO)
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "message": f"No archived jobs match companyId {company}"}
    # Limits are off in this world: still reported (the spec requires the headers), never enforced.
    assert r.headers["X-RateLimit-Limit"] == "60"


# ------------------------------------------------------------------ the official SDK, over a real socket


def test_official_sdk_reads_realistic_data_from_the_default_world() -> None:
    from uphunt import UpHunt, UpHuntError

    from tests.conftest import live_server

    rt = Runtime(clock="manual")
    with live_server(rt) as base_url, UpHunt(api_key="sk_uphunt_demo_key", base_url=base_url, timeout=10) as sdk:
        job = sdk.get_job("~022053140178050136031")
        info = job["jobDetailsResponse"]["data"]["jobPubDetails"]["opening"]["job"]["info"]
        assert info["title"] == "Senior Python developer for a FastAPI backend" and info["type"] == "HOURLY"
        company_id = job["jobDetailsResponse"]["data"]["jobPubDetails"]["buyer"]["company"]["companyId"]
        assert company_id == NORTHWIND

        client_jobs = sdk.get_client_jobs(company_id)
        assert "~022053140178050136031" in [o["ciphertext"] for o in client_jobs["openJobs"]]
        assert client_jobs["buyer"]["company"]["name"] == "Northwind Labs"
        assert not schema_errors("ClientJobs", client_jobs) and not schema_errors("ArchivedJob", job)

        team = sdk.freelancers()
        profile_id = next(
            p["id"] for f in team["freelancers"] for p in f["profiles"] if p["name"] == "Python Backend & APIs"
        )

        gen = sdk.generate_proposal(job_id="~022053140178050136031", reasoning_effort="high")
        assert gen["reasoningEffort"] == "high" and "FastAPI" in gen["proposal"] and gen["wordCount"] > 100

        queued = sdk.apply(job_id="~022053140178050136031", cover_letter=gen["proposal"], profile_id=profile_id)
        page = sdk.applied_jobs(limit=10)
        assert page["total"] == 2 and page["hasMore"] is False
        newest = page["jobs"][0]
        assert (newest["queueId"], newest["profileId"], newest["coverLetter"]) == (
            queued["queueId"],
            profile_id,
            gen["proposal"],
        )
        assert page["jobs"][1]["queueId"] == "queue_abc123"  # the docs' example application
        assert sdk.applied_jobs(status="applied")["total"] == 1
        assert not schema_errors("AppliedJobsPage", page)

        with pytest.raises(UpHuntError) as err:
            sdk.get_job("~020000000000000000000")
        assert err.value.status_code == 404 and str(err.value) == "not_found"
