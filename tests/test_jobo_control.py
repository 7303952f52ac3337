"""The control API's job catalogue (``/_mock/jobs/{jobId}``) for Jobo, and an incremental sync on the manual clock.

Add, update and expire a job over HTTP, exact bodies; the vendor without a job catalogue (UpHunt)
answers 501. Then the sync the feed docs recommend, end to end: backfill, ``updated_after``
watermarks, the ``/expired`` sweep, while the catalogue lives on the clock and the control API
adds, updates and expires jobs; the mirror ends equal to a fresh scan.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec
from mock_server.vendors.jobo.domain.accounts import DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.world import JoboWorldFile

LIVE = {"X-Api-Key": DEMO_LIVE_KEY}
SANDBOX = {"X-Api-Key": DEMO_SANDBOX_KEY}
START_MS = 1_767_225_600_000  # the manual clock starts at 2026-01-01T00:00:00Z
NEW_ID = "3f0c8a52-5d0c-4c1e-9a53-1d2f3e4a5b6c"
SMALL = {"catalogue": {"jobs": 300, "companies": 30, "sandboxJobs": 50, "sandboxCompanies": 4,
                       "life": {"discoveredPerHour": 60, "updatedPerHour": 30, "expiredPerHour": 30}}}  # fmt: skip


def jobo_client(overlay: dict[str, Any] | None = None) -> TestClient:
    data = JoboWorldFile.parse_text(yaml.safe_dump({**SMALL, **(overlay or {})}), "<test overlay>")
    world = JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))
    return TestClient(create_app(Runtime(world, clock="manual")))


@pytest.fixture
def client() -> Iterator[TestClient]:
    with jobo_client() as c:
        yield c


@functools.cache
def validator(spec: str, schema: str) -> Draft202012Validator:
    components = load_spec(spec)["components"]
    return Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": components})


def conforms(view: dict[str, Any]) -> dict[str, Any]:
    """``view`` matches control.yaml's CatalogueJob and its record jobo.yaml's Job."""
    validator("control.yaml", "CatalogueJob").validate(view)
    validator("jobo.yaml", "Job").validate(view["job"])
    return view


def advance(c: TestClient, seconds: float) -> None:
    assert c.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ── add, update, expire ──────────────────────────────────────────────────────


def test_put_an_unknown_id_adds_a_job_discovered_now(client: TestClient) -> None:
    advance(client, 90)
    r = client.put(f"/_mock/jobs/{NEW_ID}", json={
        "title": "Staff Python Engineer", "work_model": "remote", "employment_type": "contract",
        "experience_level": "lead", "locations": ["Berlin"], "source": "greenhouse",
        "salary": {"min": 150000, "max": 180000, "currency": "USD", "period": "yearly"},
        "date_posted": "2025-12-30", "summary": "Own the ingestion pipeline.",
    })  # fmt: skip
    assert r.status_code == 201
    view = conforms(r.json())
    now = START_MS + 90_000
    assert {k: v for k, v in view.items() if k != "job"} == {
        "id": NEW_ID, "catalogue": "live", "state": "active",
        "discoveredAt": now, "updatedAt": now, "expiredAt": None,
    }  # fmt: skip
    job = view["job"]
    assert (job["id"], job["title"], job["workplace_type"], job["employment_type"], job["experience_level"]) == (
        NEW_ID, "Staff Python Engineer", "Remote", "Contract", "Lead",
    )  # fmt: skip
    assert job["compensation"] == {"min": 150000, "max": 180000, "currency": "USD", "period": "yearly"}
    assert [loc["city"] for loc in job["locations"]] == ["Berlin"] and job["source"] == "greenhouse"
    assert (job["created_at"], job["updated_at"], job["date_posted"]) == (
        "2026-01-01T00:01:30Z", "2026-01-01T00:01:30Z", "2025-12-30T00:00:00Z",
    )  # fmt: skip
    assert job["summary"] == "Own the ingestion pipeline."
    # The API serves the same record, finds it, and a live key sees it but the sandbox key does not.
    assert client.get(f"/api/jobs/{NEW_ID}", headers=LIVE).json() == job
    found = client.get("/api/jobs", params={"q": '"Staff Python Engineer"'}, headers=LIVE).json()["jobs"]
    assert [j["id"] for j in found] == [NEW_ID]
    assert client.get(f"/api/jobs/{NEW_ID}", headers=SANDBOX).status_code == 404
    assert client.get(f"/_mock/jobs/{NEW_ID}").json() == view


def test_put_a_known_id_updates_it_now_and_the_updated_after_feed_serves_it(client: TestClient) -> None:
    job = client.get("/api/jobs", params={"page_size": 1}, headers=LIVE).json()["jobs"][0]
    before = conforms(client.get(f"/_mock/jobs/{job['id']}").json())
    advance(client, 600)
    r = client.put(f"/_mock/jobs/{job['id']}", json={"title": "Principal Data Engineer", "salary": None})
    assert r.status_code == 200
    view = conforms(r.json())
    assert view["discoveredAt"] == before["discoveredAt"] and view["updatedAt"] == START_MS + 600_000
    assert (view["job"]["title"], view["job"]["compensation"], view["job"]["updated_at"]) == (
        "Principal Data Engineer", None, "2026-01-01T00:10:00Z",
    )  # fmt: skip
    assert view["job"]["company"] == job["company"] and view["job"]["created_at"] == job["created_at"]
    feed = client.post("/api/jobs/feed", json={"updated_after": "2026-01-01T00:10:00Z"}, headers=LIVE).json()
    assert job["id"] in [j["id"] for j in feed["jobs"]]
    assert next(j for j in feed["jobs"] if j["id"] == job["id"])["title"] == "Principal Data Engineer"


def test_delete_expires_the_job_now_and_the_expired_sweep_lists_it(client: TestClient) -> None:
    job = client.get("/api/jobs", params={"page_size": 1, "q": "engineer"}, headers=LIVE).json()["jobs"][0]
    advance(client, 30)
    r = client.delete(f"/_mock/jobs/{job['id']}")
    assert r.status_code == 200
    view = conforms(r.json())
    assert (view["state"], view["expiredAt"], view["job"]["valid_through"]) == (
        "expired", START_MS + 30_000, "2026-01-01T00:00:30Z",
    )  # fmt: skip
    swept = client.get("/api/jobs/expired", params={"expired_since": "2026-01-01T00:00:30Z"}, headers=LIVE).json()
    assert swept == {"job_ids": [job["id"]], "next_cursor": None, "has_more": False}
    assert client.get(f"/api/jobs/{job['id']}", headers=LIVE).json()["valid_through"] == "2026-01-01T00:00:30Z"
    titles = client.get("/api/jobs", params={"q": f'"{job["title"]}"', "page_size": 100}, headers=LIVE).json()["jobs"]
    assert job["id"] not in [j["id"] for j in titles]
    # Expiring again changes nothing; updating an expired job keeps it expired.
    advance(client, 30)
    assert client.delete(f"/_mock/jobs/{job['id']}").json() == view
    updated = client.put(f"/_mock/jobs/{job['id']}", json={"title": "Reposted"}).json()
    assert (updated["state"], updated["expiredAt"], updated["job"]["title"]) == (
        "expired",
        START_MS + 30_000,
        "Reposted",
    )


def test_sandbox_jobs_go_to_the_sandbox_catalogue(client: TestClient) -> None:
    r = client.put(f"/_mock/jobs/{NEW_ID}", json={"title": "Sandbox QA Engineer", "sandbox": True})
    assert r.status_code == 201 and r.json()["catalogue"] == "sandbox"
    assert client.get(f"/api/jobs/{NEW_ID}", headers=SANDBOX).json()["title"] == "Sandbox QA Engineer"
    assert client.get(f"/api/jobs/{NEW_ID}", headers=LIVE).status_code == 404
    r = client.put(f"/_mock/jobs/{NEW_ID}", json={"sandbox": False})
    assert r.status_code == 422
    assert r.json() == {"error": f"Job '{NEW_ID}' is in the sandbox catalogue."}


def test_bad_job_controls_are_clear_4xx(client: TestClient) -> None:
    other = "00000000-0000-4000-8000-000000000001"
    cases = [
        ("put", "nope", {"title": "x"}, 422, {"error": "Parameter 'jobId' must be a UUID."}),
        ("put", other, {"locations": ["Atlantis"]}, 422, {"error": "Unknown city 'Atlantis'."}),
        ("put", other, {"company_id": other}, 422, {"error": f"company_id: no company '{other}' in this catalogue."}),
        (
            "put",
            other,
            {"date_posted": "soon"},
            422,
            {"error": "Parameter 'date_posted' must be an ISO-8601 date-time."},
        ),
        ("put", other, {"titel": "x"}, 400, {"error": 'body: unknown field(s): "titel"'}),
        ("get", other, None, 404, {"error": f"No job '{other}' in the catalogue"}),
        ("delete", other, None, 404, {"error": f"No job '{other}' in the catalogue"}),
    ]
    for method, job_id, body, status, expected in cases:
        r = client.request(method, f"/_mock/jobs/{job_id}", json=body)
        assert (r.status_code, r.json()) == (status, expected), (method, body)
    assert client.get(f"/_mock/jobs/{other}").status_code == 404  # nothing was created by the refusals


def test_a_vendor_without_a_job_catalogue_answers_501() -> None:
    with TestClient(create_app(Runtime(clock="manual"))) as c:
        for method in ("get", "put", "delete"):
            r = c.request(method, f"/_mock/jobs/{NEW_ID}", json={} if method == "put" else None)
            assert r.status_code == 501
            assert r.json() == {
                "error": "The UpHunt vendor has no job control: /_mock/jobs/{jobId} edits the catalogue of "
                "vendors that have one (jobo)."
            }


# ── an incremental sync, end to end on the manual clock ──────────────────────


class Mirror:
    """The sync the feed docs recommend, with ``updated_after`` as the watermark: a plain client, no retries."""

    def __init__(self, c: TestClient, watermark_filter: str = "updated_after") -> None:
        self.c = c
        self.jobs: dict[str, dict[str, Any]] = {}
        self.watermark: int | None = None  # ms: when the last run started
        self.filter = watermark_filter
        self.swept: list[str] = []

    def now(self) -> int:
        return self.c.get("/_mock/clock").json()["now"]

    def scan(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for _ in range(100):
            page = self.c.post("/api/jobs/feed", json=body, headers=LIVE).json()
            out += page["jobs"]
            if not page["has_more"]:
                return out
            body = {"cursor": page["next_cursor"]}
        raise AssertionError("the feed never ended")

    def sync(self, overlap_ms: int = 0) -> int:
        """One run: a scan (the backfill the first time), then the expired sweep. Returns jobs received."""
        started = self.now()
        since = None if self.watermark is None else iso(self.watermark - overlap_ms)
        received = self.scan({"batch_size": 100, **({self.filter: since} if since else {})})
        for job in received:
            self.jobs[job["id"]] = job
        params = {"expired_since": since or iso(started), "batch_size": 1000}
        swept = self.c.get("/api/jobs/expired", params=params, headers=LIVE).json()
        assert not swept["has_more"]
        self.swept = swept["job_ids"]
        for job_id in self.swept:
            self.jobs.pop(job_id, None)
        self.watermark = started
        return len(received)


def test_incremental_sync_keeps_a_mirror_equal_to_the_catalogue() -> None:
    with jobo_client() as c:
        mirror = Mirror(c)
        backfilled = mirror.sync()
        active = c.get("/_mock/state").json()["catalogue"]["live"]["active"]
        assert backfilled == len(mirror.jobs) == active

        # One simulated hour: 60 discoveries, 30 updates and 30 expiries (catalogue.life), plus the control API.
        advance(c, 1200)
        some = sorted(mirror.jobs)[:2]
        c.put(f"/_mock/jobs/{some[0]}", json={"title": "Renamed by the employer"})
        c.delete(f"/_mock/jobs/{some[1]}")
        c.put(f"/_mock/jobs/{NEW_ID}", json={"title": "Added over the control API", "date_posted": "2025-12-28"})
        advance(c, 2400)

        received = mirror.sync()
        assert len(mirror.swept) == 30 + 1 and some[1] in mirror.swept  # every expiry of the hour, and ours
        assert mirror.jobs[some[0]]["title"] == "Renamed by the employer" and NEW_ID in mirror.jobs
        assert some[1] not in mirror.jobs
        # Only what changed came again: the 60 new jobs, the updated ones and ours (not the whole catalogue).
        assert 60 < received < 60 + 30 + 5

        fresh = {j["id"]: j for j in Mirror(c).scan({"batch_size": 1000})}
        assert mirror.jobs == fresh  # same ids, same records (updates included)
        assert (
            c.get(f"/_mock/accounts/{DEMO_LIVE_KEY}").json()["credits"]["spent"]
            == (backfilled + received + len(fresh)) / 2
        )  # 0.5 credit per delivered feed job, exactly


def test_the_posted_after_watermark_misses_jobs_posted_before_they_were_discovered() -> None:
    """The docs' "posted_after = last run - 15 min" filters on the employer's date: a job posted days before
    Jobo discovered it never comes. ``updated_after`` (discovery counts as an update) does not miss it."""
    with jobo_client() as c:
        by_posted, by_updated = Mirror(c, "posted_after"), Mirror(c, "updated_after")
        by_posted.sync(), by_updated.sync()
        advance(c, 3600)
        c.put(f"/_mock/jobs/{NEW_ID}", json={"title": "Posted three days ago", "date_posted": "2025-12-29"})
        by_posted.sync(overlap_ms=15 * 60_000), by_updated.sync(overlap_ms=15 * 60_000)
        assert NEW_ID in by_updated.jobs and NEW_ID not in by_posted.jobs
        missed = set(by_updated.jobs) - set(by_posted.jobs)
        assert len(missed) >= 30  # most discoveries carry an earlier employer posting date
