"""The latency budget (How Auto-Apply Works) and agency pacing, sampled on the manual clock through the domain core."""

from __future__ import annotations

import statistics

import pytest
from conftest import APPLY, DEMO, NO_RATE_LIMITS, world_with
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.clock import ManualClock
from mock_server.core.runtime import Runtime
from mock_server.vendors.uphunt.domain.accounts import Account
from mock_server.vendors.uphunt.domain.agency import Agency, Freelancer, Profile
from mock_server.vendors.uphunt.domain.catalogue import Catalogue, Job
from mock_server.vendors.uphunt.domain.latency import LatencyModel, Stage
from mock_server.vendors.uphunt.domain.ledger import CreditLedger
from mock_server.vendors.uphunt.domain.simulator import ApplyRequest, Settings, Simulator

T0 = 1_767_225_600.0


def make_sim(n_jobs: int, agencies: int = 1, pacing: float = 0.0, seed: int = 7, **latency: object) -> Simulator:
    """A bare simulator: ``agencies`` agencies with one account each, ``n_jobs`` open jobs, plenty of everything."""
    ags = [
        Agency(
            id=f"ag{i}",
            connects=10**9,
            freelancers=[
                Freelancer(
                    id=f"f{i}",
                    name="BD",
                    title="BD",
                    hourly_rate=40.0,
                    is_business_developer=True,
                    profiles=[Profile(id=f"p{i}", name="General", hourly_rate=40.0, is_default=True)],
                )
            ],
        )
        for i in range(agencies)
    ]
    accounts = [
        Account(api_key=f"key{i}", agency_id=f"ag{i}", ledger=CreditLedger.with_grant(n_jobs)) for i in range(agencies)
    ]
    jobs = [
        Job(
            id=str(3_000_000 + j),
            ciphertext=f"~02{3_000_000 + j}",
            processed_job_id=f"00000000-0000-4000-8000-{j:012d}",
            title="t",
            description="d",
            type="HOURLY",
            company_id="c",
            posted_at_ms=0,
            connects_cost=1,
        )
        for j in range(n_jobs)
    ]
    settings = Settings(pacing_seconds=pacing, latency=LatencyModel(**latency))  # type: ignore[arg-type]
    return Simulator(
        clock=ManualClock(T0),
        accounts=accounts,
        agencies=ags,
        catalogue=Catalogue(jobs, []),
        settings=settings,
        seed=seed,
    )


def apply(sim: Simulator, account: int, job: int):
    return sim.apply(sim.accounts[f"key{account}"], ApplyRequest(job_ref=f"~02{3_000_000 + job}", cover_letter="Hi"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ── the latency budget ──────────────────────────────────────────────────────


def test_end_to_end_p50_and_p95_match_the_documented_budget() -> None:
    """>= 10,000 applications, one per simulated second across 20 agencies: p50 ~40 s, p95 ~90 s (within 10%)."""
    n, agencies = 10_000, 20
    sim = make_sim(n, agencies=agencies, pacing=0.0)
    apps = []
    for i in range(n):
        apps.append(apply(sim, i % agencies, i))
        sim.scheduler.advance(1.0)
    sim.settle()
    assert sim.processing == 0 and sim.waiting == 0
    e2e = [a.finished_at - a.created_at for a in apps]
    pickup = [a.processed_at - a.created_at for a in apps]
    p50, p95 = statistics.median(e2e), pct(e2e, 0.95)
    assert 36.0 <= p50 <= 44.0, p50
    assert 81.0 <= p95 <= 99.0, p95
    # pickup: usually under 5 s, never over 30 s
    assert sum(p < 5.0 for p in pickup) / n >= 0.9
    assert max(pickup) <= 30.0
    assert min(pickup) >= 0.5  # the configured floor
    # submission: mostly 20-60 s
    submission = [a.finished_at - a.processed_at for a in apps]
    assert sum(20.0 <= s <= 60.0 for s in submission) / n >= 0.6
    # every timestamp is the event's own simulated time
    assert all(a.processed_at == a.pickup_at and a.finished_at == a.completes_at for a in apps)
    assert {a.status for a in apps} == {"applied"}


def test_deep_queue_raises_the_pickup_delay_up_to_30_s() -> None:
    n = 1_000
    burst = make_sim(n, pacing=0.0)
    apps = [apply(burst, 0, i) for i in range(n)]  # all at the same instant: the queue is 20x the worker pool
    pickup = [a.pickup_at - a.created_at for a in apps]
    assert max(pickup) <= 30.0
    assert statistics.median(pickup[n // 2 :]) >= 20.0  # late arrivals wait behind a deep queue
    assert sum(p == 30.0 for p in pickup) >= n // 4  # many hit the cap
    assert statistics.median(pickup[:10]) < 5.0  # the first ones, with an empty queue, do not
    burst.settle()
    assert all(a.processed_at - a.created_at <= 30.0 for a in apps)


def test_a_bigger_worker_pool_absorbs_the_same_burst() -> None:
    small = make_sim(500, pacing=0.0)
    big = make_sim(500, pacing=0.0, workers=5_000)
    small_delays = [apply(small, 0, i).pickup_at - T0 for i in range(500)]
    big_delays = [apply(big, 0, i).pickup_at - T0 for i in range(500)]
    assert statistics.median(big_delays) < 5.0 < statistics.median(small_delays)


def test_latency_is_configurable_from_the_world_file() -> None:
    world = world_with(
        {
            "settings": {
                "pacingSeconds": 0,
                "latency": {
                    "pickup": {"median": 1, "p95": 1, "low": 1, "high": 1},
                    "submission": {"median": 10, "p95": 10},
                },
                **NO_RATE_LIMITS["settings"],
            }
        }
    )
    rt = Runtime(world, clock="manual")
    with TestClient(create_app(rt)) as client:
        queued = client.post(APPLY, json={"jobId": "~022053140178050136031", "coverLetter": "Hi"}, headers=DEMO).json()
        app = rt.sim.applications[queued["queueId"]]
        assert (app.pickup_at - T0, app.completes_at - T0) == (1.0, 11.0)
        client.post("/_mock/clock/advance", json={"seconds": 11})
        status = client.get("/api/auto-apply-v2/status", params={"queueId": queued["queueId"]}, headers=DEMO).json()
        assert (status["processedAt"], status["appliedAt"]) == (1_767_225_601_000, 1_767_225_611_000)


def test_same_seed_same_latencies_different_seed_different() -> None:
    def run(seed: int) -> list[tuple[float, float]]:
        sim = make_sim(50, seed=seed)
        return [(a.pickup_at, a.completes_at) for a in (apply(sim, 0, i) for i in range(50))]

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_stage_validation() -> None:
    with pytest.raises(ValueError, match="0 < median <= p95"):
        Stage(median=10, p95=5)
    with pytest.raises(ValueError, match="low <= high"):
        Stage(median=1, p95=2, low=5, high=1)


# ── pacing ──────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("pacing", [5.0, 12.0])
def test_back_to_back_applies_of_one_agency_are_paced(pacing: float) -> None:
    sim = make_sim(20, pacing=pacing)
    apps = [apply(sim, 0, i) for i in range(20)]  # back to back, same instant
    sim.settle()
    picked = sorted(a.processed_at for a in apps)
    gaps = [b - a for a, b in zip(picked, picked[1:], strict=False)]
    assert min(gaps) >= pacing
    assert picked[-1] - T0 >= 19 * pacing


def test_pacing_zero_disables_it() -> None:
    sim = make_sim(20, pacing=0.0)
    apps = [apply(sim, 0, i) for i in range(20)]
    assert max(a.pickup_at for a in apps) - T0 < 19 * 5.0
    assert (
        min(
            b - a
            for a, b in zip(sorted(x.pickup_at for x in apps), sorted(x.pickup_at for x in apps)[1:], strict=False)
        )
        < 5.0
    )


def test_two_agencies_are_not_delayed_by_each_other() -> None:
    pacing = 5.0
    both = make_sim(40, agencies=2, pacing=pacing)
    a_apps, b_apps = [], []
    for i in range(10):  # interleaved, same instant
        a_apps.append(apply(both, 0, i))
        b_apps.append(apply(both, 1, 20 + i))
    both.settle()
    for apps in (a_apps, b_apps):
        picked = sorted(x.processed_at for x in apps)
        assert min(b - a for a, b in zip(picked, picked[1:], strict=False)) >= pacing
        assert picked[0] - T0 < 30.0  # the first of each agency is not queued behind the other agency
        # if pacing were global, the last of 20 pickups would be >= 19 x 5 s after the first
        assert picked[-1] - T0 < 9 * pacing + 30.0
    # B's schedule is the one B gets alone, up to the randomness of the first delay
    alone = make_sim(40, agencies=2, pacing=pacing)
    alone_b = [apply(alone, 1, 20 + i) for i in range(10)]
    alone.settle()
    spread_alone = max(x.processed_at for x in alone_b) - min(x.processed_at for x in alone_b)
    spread_both = max(x.processed_at for x in b_apps) - min(x.processed_at for x in b_apps)
    assert spread_both == pytest.approx(spread_alone, abs=pacing)


def test_pacing_over_http_uses_the_world_setting() -> None:
    world = world_with({"settings": {"pacingSeconds": 8, **NO_RATE_LIMITS["settings"]}})
    rt = Runtime(world, clock="manual")
    jobs = ["~022053140178050136031", "~022052895097657407455", "~022055000000000000003", "~01abc"]
    with TestClient(create_app(rt)) as client:
        ids = [
            client.post(APPLY, json={"jobId": j, "coverLetter": "Hi"}, headers=DEMO).json()["queueId"] for j in jobs[:3]
        ]
        client.post("/_mock/clock/advance", json={"seconds": 600})
        state = {a["queueId"]: a for a in client.get("/_mock/state").json()["applications"]}
        picked = sorted(state[q]["processedAt"] for q in ids)
        assert [b - a >= 8_000 for a, b in zip(picked, picked[1:], strict=False)] == [True, True]
