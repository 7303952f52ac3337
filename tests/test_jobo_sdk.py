"""The official Jobo SDK (``jobo-enterprise==4.0.0``, unchanged) against a live Jobo mock on a socket.

Every method of ``search``, ``feed``, ``companies`` and ``locations``, sync and async; iterators end;
typed exceptions for 400, 401, 403, 404, 409 and 429. The SDK's retry backoff is set to zero
seconds (its 429/503 retries would otherwise sleep up to 30 s each); nothing else is patched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
import yaml
from jobo_enterprise import AsyncJoboClient, JoboClient
from jobo_enterprise import _transport as sdk_transport
from jobo_enterprise.exceptions import (
    JoboAuthenticationError,
    JoboCursorRestartRequiredError,
    JoboNotFoundError,
    JoboPermissionError,
    JoboRateLimitError,
    JoboValidationError,
)
from jobo_enterprise.models import InclusionExclusionFilter, LocationFilter, RangeFilter

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import ServerThread
from mock_server.vendors.jobo.domain.accounts import DEMO_FREE_KEY, DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.world import JoboWorldFile

OVERLAY = {
    "catalogue": {"jobs": 3000, "companies": 80, "sandboxJobs": 250, "sandboxCompanies": 6},
    "settings": {"legacyDepthLimit": 100},
}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    data = JoboWorldFile.parse_text(yaml.safe_dump(OVERLAY), "<sdk overlay>")
    world = JoboWorldFile(JoboWorldFile.merge(JoboWorldFile.default_data(), data))
    with ServerThread(create_app(Runtime(world, clock="manual"))) as server:
        yield server.base_url


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk_transport, "_backoff_seconds", lambda response, attempt: 0.0)


@pytest.fixture
def live(base_url: str) -> Iterator[JoboClient]:
    with JoboClient(DEMO_LIVE_KEY, base_url=base_url) as client:
        yield client


@pytest.fixture
def sandbox(base_url: str) -> Iterator[JoboClient]:
    with JoboClient(DEMO_SANDBOX_KEY, base_url=base_url) as client:
        yield client


def test_search_methods(live: JoboClient) -> None:
    quick = live.search.search(q="engineer", work_model="remote", page_size=5, include_facets="work_model,sources")
    assert quick.total > 0 and len(quick.jobs) == 5 and quick.page == 1
    assert all(j.workplace_type == "Remote" for j in quick.jobs)
    assert set(quick.facets) == {"work_model", "sources"} and quick.facets["work_model"][0].key == "remote"
    since = datetime(2025, 12, 1, tzinfo=timezone.utc)
    advanced = live.search.search_advanced(
        queries=["data", "-intern"],
        skills=InclusionExclusionFilter(include=["python", "sql"]),
        salary_usd=RangeFilter(min=50000),
        discovered_after=since,
        include_fields=[],
        page_size=10,
    )
    assert advanced.total > 0
    assert all(j.description == "" and j.benefits == [] for j in advanced.jobs)  # include_fields=[]: core only
    one = live.search.get_job(quick.jobs[0].id)
    assert one.id == quick.jobs[0].id and one.company.name


def test_search_iterator_ends(sandbox: JoboClient) -> None:
    first = sandbox.search.search_advanced(queries=["engineer"], page_size=100)
    ids = [job.id for job in sandbox.search.iter_jobs(queries=["engineer"], page_size=100)]
    assert len(ids) == len(set(ids)) == first.total


def test_feed_methods_and_iterators_end(sandbox: JoboClient, live: JoboClient) -> None:
    page = sandbox.feed.get_jobs(
        batch_size=50, work_models=["remote", "hybrid"], locations=[LocationFilter(country="US")]
    )
    assert page.estimated_total is not None and len(page.jobs) <= 50
    everything = list(sandbox.feed.iter_jobs(batch_size=40))
    assert len(everything) == len({j.id for j in everything}) > 200
    expired_page = live.feed.get_expired_job_ids(
        expired_since=datetime(2025, 12, 27, tzinfo=timezone.utc), batch_size=5
    )
    assert expired_page.has_more and len(expired_page.job_ids) == 5
    expired = list(
        live.feed.iter_expired_job_ids(expired_since=datetime(2025, 12, 27, tzinfo=timezone.utc), batch_size=7)
    )
    assert len(expired) == len(set(expired)) > 5
    managed = live.feed.get_managed_jobs(batch_size=10)
    assert managed.jobs == [] and not managed.has_more  # the demo key manages no company
    assert list(live.feed.iter_managed_jobs(batch_size=10)) == []


def test_companies_and_locations(live: JoboClient) -> None:
    job = live.search.search(page_size=1).jobs[0]
    company = live.companies.get(job.company.id)
    assert company.id == job.company.id and company.funding_rounds
    jobs = live.companies.get_jobs(job.company.id, page_size=5)
    assert jobs.jobs and all(j.company.id == job.company.id for j in jobs.jobs)
    geo = live.locations.geocode("San Francisco, CA")
    assert geo.succeeded and geo.method == "pattern_parse" and geo.locations[0].country_code == "US"
    remote = live.locations.geocode("Remote")
    assert remote.method == "remote_keyword" and remote.locations[0].country == "Remote"


def test_typed_exceptions(base_url: str, live: JoboClient, sandbox: JoboClient) -> None:
    with pytest.raises(JoboValidationError) as bad:
        live.search.search(page_size=101)
    assert bad.value.status_code == 400 and bad.value.detail == "Bad Request"  # seed dialect: no `detail`
    assert bad.value.response_body["message"] == "Parameter 'page_size' must be between 1 and 100."
    with JoboClient("jbe_live_unknown", base_url=base_url) as stranger, pytest.raises(JoboAuthenticationError):
        stranger.search.search()
    with JoboClient(DEMO_FREE_KEY, base_url=base_url) as free, pytest.raises(JoboPermissionError) as denied:
        free.feed.get_jobs()
    assert denied.value.detail == "Forbidden"  # seed dialect: the SDK falls back from detail to error
    with pytest.raises(JoboPermissionError):
        sandbox.feed.get_managed_jobs()
    with pytest.raises(JoboNotFoundError):
        live.search.get_job("00000000-0000-0000-0000-000000000000")
    first = sandbox.feed.get_jobs(stable_scan=False, batch_size=100)
    with pytest.raises(JoboCursorRestartRequiredError):
        sandbox.feed.get_jobs(cursor=first.next_cursor)
    with JoboClient(DEMO_FREE_KEY, base_url=base_url) as free:
        with pytest.raises(JoboRateLimitError) as limited:
            for _ in range(100):
                free.locations.geocode("Paris")
        assert limited.value.retry_after == 60


def test_async_client(base_url: str) -> None:
    async def run() -> None:
        async with AsyncJoboClient(DEMO_SANDBOX_KEY, base_url=base_url) as client:
            result = await client.search.search(q="engineer", page_size=3)
            assert len(result.jobs) == 3
            advanced = await client.search.search_advanced(queries=["nurse"], page_size=2)
            assert advanced.page_size == 2
            job = await client.search.get_job(result.jobs[0].id)
            assert job.id == result.jobs[0].id
            ids = [j.id async for j in client.feed.iter_jobs(batch_size=100)]
            assert len(ids) == len(set(ids)) > 200
            page = await client.feed.get_jobs(batch_size=5)
            assert len(page.jobs) == 5
            expired = [i async for i in client.feed.iter_expired_job_ids(batch_size=1000)]
            assert isinstance(expired, list)
            company = await client.companies.get(job.company.id)
            assert company.name == job.company.name
            jobs = await client.companies.get_jobs(job.company.id, page_size=2)
            assert jobs.page_size == 2
            geo = await client.locations.geocode("Berlin")
            assert geo.succeeded
            with pytest.raises(JoboPermissionError):
                await client.feed.get_managed_jobs()
            with pytest.raises(JoboNotFoundError):
                await client.search.get_job("00000000-0000-0000-0000-000000000000")
            with pytest.raises(JoboValidationError):
                await client.feed.get_expired_job_ids(expired_since=None, cursor="forged.cursor")

    asyncio.run(run())
