"""The Jobo domain (mock_server.vendors.jobo.domain), without HTTP: catalogue, search, wallet, limits, cursors.

The feed's and the wallet's invariants are hypothesis properties; the rest are one test per behaviour.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.core.clock import ManualClock
from mock_server.vendors.jobo.domain import JoboSettings, JoboWorld
from mock_server.vendors.jobo.domain import credits as cr
from mock_server.vendors.jobo.domain.catalogue import Catalogue, LifeRates
from mock_server.vendors.jobo.domain.cursor import CursorSigner
from mock_server.vendors.jobo.domain.errors import (
    CursorRestartRequired,
    FeedNotIncluded,
    Forbidden,
    InsufficientCredits,
    InvalidCursor,
    InvalidParameter,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from mock_server.vendors.jobo.domain.ratelimit import RateLimiter

START = 1_767_225_600.0
NO_LIFE = LifeRates(discovered=0, updated=0, expired=0)


def small_world(**overrides) -> JoboWorld:
    base = {"jobs": 1500, "companies": 60, "sandbox_jobs": 100, "sandbox_companies": 5, "rates": NO_LIFE}
    base.update(overrides)
    return JoboWorld(ManualClock(START), JoboSettings(**base))


@pytest.fixture(scope="module")
def world() -> JoboWorld:
    return small_world()


# ── catalogue ─────────────────────────────────────────────────────────────────


def test_same_seed_same_catalogue_and_other_seed_differs() -> None:
    a = Catalogue(5, jobs=500, companies=20, start=START)
    b = Catalogue(5, jobs=500, companies=20, start=START)
    c = Catalogue(6, jobs=500, companies=20, start=START)
    assert [(j.id, j.title, j.source, j.created_at) for j in a.jobs] == [
        (j.id, j.title, j.source, j.created_at) for j in b.jobs
    ]
    assert [j.id for j in a.jobs] != [j.id for j in c.jobs]


def test_default_catalogue_builds_in_well_under_a_second_of_cpu() -> None:
    # CPU time, not wall time: the machine is shared. The issue asks for a start-up under 1 s.
    t0 = time.process_time()
    world = JoboWorld(ManualClock(START))
    assert time.process_time() - t0 < 1.5
    assert len(world.live.jobs) == 20000 and len(world.live.companies) == 400
    assert 0 < len(world.live.expired_log) < 2000


def test_jobs_are_in_creation_order_and_some_already_expired(world: JoboWorld) -> None:
    created = [j.created_at for j in world.live.jobs]
    assert created == sorted(created) and created[-1] <= START
    assert all(START - 7 * 86400 <= at <= START for at, _ in world.live.expired_log)


def test_life_on_the_clock_depends_only_on_time() -> None:
    rates = LifeRates(discovered=120, updated=60, expired=60)
    one = Catalogue(3, jobs=300, companies=10, start=START, rates=rates)
    many = Catalogue(3, jobs=300, companies=10, start=START, rates=rates)
    one.advance(START + 3600)
    for step in range(1, 61):
        many.advance(START + step * 60)
    assert len(one.jobs) == len(many.jobs) == 300 + 120
    assert [(j.id, j.updated_at, j.expired_at) for j in one.jobs] == [
        (j.id, j.updated_at, j.expired_at) for j in many.jobs
    ]
    assert len(one.expired_log) - sum(1 for at, _ in one.expired_log if at <= START) == 60
    assert sum(1 for j in one.jobs if j.version) > 0


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_discovered_jobs_never_reuse_an_id(seed: int) -> None:
    """Regression: with seed 0 (the default world's) the discovered stream replayed the first jobs' ids."""
    cat = Catalogue(seed, jobs=300, companies=30, start=START, rates=LifeRates(discovered=600, updated=0, expired=0))
    cat.advance(START + 3600)
    assert len(cat.jobs) == 900 and len({j.id for j in cat.jobs}) == 900


def test_new_jobs_have_no_summary_until_updated() -> None:
    cat = Catalogue(3, jobs=10, companies=3, start=START, rates=LifeRates(discovered=60, updated=0, expired=0))
    cat.advance(START + 60)
    fresh = cat.jobs[-1]
    from mock_server.vendors.jobo.domain import content

    assert content.summary(fresh) is None
    cat.update_job(fresh.id, {}, START + 61)
    assert content.summary(fresh)


# ── search ────────────────────────────────────────────────────────────────────


def search(world: JoboWorld, advanced: bool = False, **params):
    account = world.authenticate(world.sandbox_key)  # free of charge
    return world.search(account, params, advanced=advanced).result


def test_search_filters_each_narrow_and_match_case_insensitively(world: JoboWorld) -> None:
    everything = search(world, page_size=100).total
    assert everything == world.sandbox.active_count
    remote = search(world, work_model="REMOTE", page_size=100)
    assert 0 < remote.total < everything
    assert all(j.work_model == "remote" for j in remote.jobs)
    both = search(world, work_model="remote,hybrid", page_size=100)
    assert both.total > remote.total
    senior_remote = search(world, work_model="remote", experience_level="senior")
    assert senior_remote.total < remote.total


def test_unknown_enum_matches_nothing_unless_strict(world: JoboWorld) -> None:
    assert search(world, work_model="anywhere").total == 0
    strict = small_world(strict_enums=True)
    with pytest.raises(InvalidParameter, match="Unknown work_model 'anywhere'."):
        search(strict, work_model="anywhere")


def test_quoted_q_is_an_exact_title_phrase(world: JoboWorld) -> None:
    phrase = search(world, q='"data engineer"', page_size=100)
    assert phrase.total > 0
    assert all("data engineer" in j.title.lower() for j in phrase.jobs)
    loose = search(world, q="data engineer", page_size=100)
    assert loose.total >= phrase.total


def test_search_description_false_matches_titles_only() -> None:
    world = small_world()
    everywhere = search(world, q="python", page_size=100)
    titles = search(world, q="python", search_description=False, page_size=100)
    assert everywhere.total > 0 and titles.total == 0  # no title says python; skills do


def test_relevance_order_is_deterministic_title_hits_first() -> None:
    a = search(small_world(), q="engineer", page_size=50)
    b = search(small_world(), q="engineer", page_size=50)
    assert [j.id for j in a.jobs] == [j.id for j in b.jobs]
    assert "engineer" in a.jobs[0].title.lower()


def test_advanced_queries_or_and_exclusions(world: JoboWorld) -> None:
    nurses = search(world, True, queries=["nurse"], page_size=100).total
    writers = search(world, True, queries=["technical writer"], page_size=100).total
    either = search(world, True, queries=["nurse", "technical writer"], page_size=100).total
    assert either == nurses + writers
    no_senior = search(world, True, queries=["nurse", "-senior"], page_size=100)
    assert all("senior" not in j.title.lower() for j in no_senior.jobs)
    with pytest.raises(InvalidParameter, match="at most 10 positive terms"):
        search(world, True, queries=[f"term{i}" for i in range(11)])


def test_salary_filters_only_match_disclosed_salaries(world: JoboWorld) -> None:
    result = search(world, min_salary_usd=150000, page_size=100)
    assert result.total > 0
    assert all(j.salary_usd is not None and j.salary_usd[1] >= 150000 for j in result.jobs)


def test_dates_filter_and_bad_dates_are_400(world: JoboWorld) -> None:
    recent = search(world, discovered_after="2025-12-25", page_size=100)
    assert all(j.created_at >= 1766620800 for j in recent.jobs)
    with pytest.raises(InvalidParameter, match="Parameter 'posted_after' must be an ISO-8601 date-time."):
        search(world, posted_after="2026-13-45")


def test_facets_tri_state(world: JoboWorld) -> None:
    default = search(world)
    assert set(default.facets) == {"work_model", "employment_type", "experience_level"}
    assert sum(f["count"] for f in default.facets["work_model"]) == default.total
    assert search(world, include_facets="").facets == {}
    chosen = search(world, include_facets="sources,countries,true")
    assert set(chosen.facets) == {"sources", "countries"}


def test_page_size_bounds_have_the_seed_message(world: JoboWorld) -> None:
    with pytest.raises(InvalidParameter, match=r"^Parameter 'page_size' must be between 1 and 100\.$"):
        search(world, page_size=101)


def test_pages_partition_the_result(world: JoboWorld) -> None:
    first = search(world, q="engineer", page=1, page_size=7)
    second = search(world, q="engineer", page=2, page_size=7)
    assert not {j.id for j in first.jobs} & {j.id for j in second.jobs}
    assert first.total_pages == -(-first.total // 7)
    assert search(world, q="engineer", page=first.total_pages + 1, page_size=7).jobs == []


def test_sandbox_and_live_catalogues_are_invisible_to_each_other(world: JoboWorld) -> None:
    live = world.authenticate(world.demo_key)
    sandbox = world.authenticate(world.sandbox_key)
    live_job = world.live.jobs[0]
    sandbox_job = world.sandbox.jobs[0]
    assert world.get_job(live, live_job.id) is live_job
    with pytest.raises(NotFound):
        world.get_job(sandbox, live_job.id)
    with pytest.raises(NotFound):
        world.get_job(live, sandbox_job.id)
    assert sandbox_job.source == "jobosandbox"
    with pytest.raises(InvalidParameter, match="Parameter 'id' must be a UUID."):
        world.get_job(live, "not-a-uuid")


# ── credits ──────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("milli", "text", "number"),
    [(0, "0", 0), (12000, "12", 12), (12500, "12.5", 12.5), (1, "0.001", 0.001), (1230, "1.23", 1.23)],
)
def test_credit_amounts_are_exact_decimals(milli: int, text: str, number: float) -> None:
    assert cr.text(milli) == text
    assert cr.number(milli) == number
    assert cr.to_milli(text) == milli


def test_credit_amounts_refuse_more_than_three_decimals() -> None:
    with pytest.raises(ValueError):
        cr.to_milli("0.0005")
    with pytest.raises(ValueError):
        cr.to_milli("nan")


def test_search_precheck_is_worst_case_and_debit_is_delivered() -> None:
    world = small_world()
    account = world.authenticate(world.demo_key)
    world.update_account(world.demo_key, {"credits": 30})
    with pytest.raises(InsufficientCredits) as refused:
        world.search(account, {"page_size": 31}, advanced=False)
    assert (refused.value.required_milli, refused.value.balance_milli) == (31000, 30000)
    assert account.wallet.spent == 0
    # A narrow search that can afford its worst case is charged only for what it delivers.
    charged = world.search(account, {"q": '"head of nurse"', "page_size": 30}, advanced=False)
    assert charged.deducted == 1000 * len(charged.result.jobs)


def test_feed_access_modes() -> None:
    world = small_world()
    free = world.authenticate(world.free_key)
    with pytest.raises(FeedNotIncluded, match="Your subscription does not include access to the Feed API."):
        world.feed(free, {})
    payg = world.authenticate(world.demo_key)
    page = world.feed(payg, {"batch_size": 3})
    assert page.deducted == 1500  # 3 x 0.5 credit
    world.update_account(world.demo_key, {"feed": True})
    assert world.feed(payg, {"batch_size": 3}).deducted == 0
    world.update_account(world.demo_key, {"feed": False})
    with pytest.raises(FeedNotIncluded):
        world.feed(payg, {})
    sandbox = world.authenticate(world.sandbox_key)
    with pytest.raises(Forbidden, match="sandbox"):
        world.feed(sandbox, {}, managed=True)


def test_geocode_is_flat_and_checked_first() -> None:
    world = small_world()
    account = world.authenticate(world.demo_key)
    world.update_account(world.demo_key, {"credits": "0.5"})
    with pytest.raises(InsufficientCredits):
        world.geocode(account, "Berlin")
    world.update_account(world.demo_key, {"credits": 3})
    first = world.geocode(account, "Berlin")
    assert first.deducted == 1000 and first.result["method"] == "geocoder"
    assert world.geocode(account, "berlin").result["method"] == "cache"
    assert world.geocode(account, "Nowhere Town").result == {
        "input": "Nowhere Town",
        "succeeded": False,
        "locations": [],
        "method": "no_match",
        "error": "Could not resolve 'Nowhere Town' to a location.",
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prices=st.tuples(*(st.integers(min_value=0, max_value=3000) for _ in range(4))),
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("search"), st.integers(1, 100)),
            st.tuples(st.just("feed"), st.integers(1, 400)),
            st.tuples(st.just("geocode"), st.just(1)),
            st.tuples(st.just("topup"), st.integers(0, 5_000_000)),
        ),
        max_size=25,
    ),
)
def test_wallet_invariant_balance_plus_spent_is_granted(prices: tuple[int, ...], ops: list[tuple[str, int]]) -> None:
    world = _wallet_world(dict(zip(("search", "company_jobs", "feed", "geocode"), prices, strict=True)))
    key = world.demo_key
    account = world.authenticate(key)
    deducted_total = 0
    for kind, size in ops:
        before = account.wallet.balance
        try:
            if kind == "search":
                charged = world.search(account, {"page_size": size}, advanced=False)
                expected = Fraction(prices[0], 1000) * len(charged.result.jobs)
            elif kind == "feed":
                charged = world.feed(account, {"batch_size": size})
                expected = Fraction(prices[2], 1000) * len(charged.result.jobs)
            elif kind == "geocode":
                charged = world.geocode(account, "London")
                expected = Fraction(prices[3], 1000)
            else:
                world.update_account(key, {"credits": cr.text(size)})
                assert account.wallet.balance == size
                continue
        except InsufficientCredits as exc:
            assert account.wallet.balance == before  # a 402 takes nothing
            assert exc.required_milli > before
            continue
        assert Fraction(charged.deducted, 1000) == expected  # exact, no float drift
        deducted_total += charged.deducted
        w = account.wallet
        assert w.balance >= 0 and w.balance + w.spent == w.granted
    assert account.wallet.spent == deducted_total


_WALLET_WORLDS: dict[tuple, JoboWorld] = {}


def _wallet_world(prices: dict[str, int]) -> JoboWorld:
    world = _WALLET_WORLDS.get(())
    if world is None:
        world = _WALLET_WORLDS[()] = small_world(jobs=400, companies=20)
    world.settings.prices = prices
    world.accounts.pop(world.demo_key)
    world.add_account(world.demo_key, plan="paid", feed="payg", credits=50)
    return world


# ── rate limits ──────────────────────────────────────────────────────────────


def test_rolling_window_most_restrictive_wins_and_refusals_take_no_slot() -> None:
    limiter = RateLimiter()
    limits = {"minute": 3, "hour": 5}
    status = [limiter.take("k", "general", limits, START + i) for i in range(3)]
    assert [(s.window, s.remaining) for s in status] == [("minute", 2), ("minute", 1), ("minute", 0)]
    with pytest.raises(RateLimited) as refused:
        limiter.take("k", "general", limits, START + 10)
    assert (refused.value.window, refused.value.retry_after) == ("minute", 50)  # the first slot frees at START+60
    # Rolling: at START+60 the first request has left the minute window (the refused one took no slot).
    after = limiter.take("k", "general", limits, START + 60)
    assert (after.window, after.remaining, after.reset) == ("minute", 0, int(START) + 61)
    last = limiter.take("k", "general", limits, START + 61)
    assert (last.window, last.remaining) == ("minute", 0)  # both windows full: the tie goes to the shorter
    with pytest.raises(RateLimited) as hourly:
        limiter.take("k", "general", limits, START + 62)
    assert hourly.value.window == "hour" and hourly.value.retry_after == 3600 - 62
    # Another key and another group count apart.
    assert limiter.take("other", "general", limits, START + 62).remaining == 2
    assert limiter.take("k", "feed", limits, START + 62).remaining == 2


def test_plans_use_the_newer_edition_and_free_keys_have_no_feed_window(world: JoboWorld) -> None:
    paid = world.authenticate(world.demo_key)
    free = world.authenticate(world.free_key)
    assert world.limits_for(paid, "general") == {"minute": 360, "hour": 10000, "day": 100000}
    assert world.limits_for(free, "general") == {"minute": 60, "hour": 1000, "day": 10000}
    assert world.limits_for(free, "feed") is None
    assert world.limits_for(paid, "feed") == {"minute": 120, "hour": 5000, "day": 50000}


def test_free_key_hits_the_per_minute_limit() -> None:
    world = small_world()
    free = world.authenticate(world.free_key)
    for _ in range(60):
        world.take_rate(free, "general")
    with pytest.raises(RateLimited) as refused:
        world.take_rate(free, "general")
    assert refused.value.retry_after == 60
    assert refused.value.message == "Rate limit exceeded. Try again in 60 seconds."
    world.clock.set(world.clock.now() + 60)
    assert world.take_rate(free, "general").remaining == 59


# ── accounts and keys ────────────────────────────────────────────────────────


def test_keys_have_the_documented_shape_and_unknown_keys_are_refused(world: JoboWorld) -> None:
    for key, prefix in ((world.demo_key, "jbe_live_"), (world.sandbox_key, "jbe_test_"), (world.free_key, "jbe_live_")):
        assert key.startswith(prefix) and len(key) == 74
    with pytest.raises(Unauthenticated):
        world.authenticate("jbe_live_unknown")
    with pytest.raises(Unauthenticated):
        world.authenticate(None)
    other = small_world()
    other.update_account(other.demo_key, {"revoked": True})
    with pytest.raises(Unauthenticated):
        other.authenticate(other.demo_key)


def test_control_account_fields() -> None:
    world = small_world()
    world.update_account("jbe_test_custom", {"credits": "12.5", "plan": "free", "feed": "payg", "autoApply": True})
    view = world.account_view(world.authenticate("jbe_test_custom"))
    assert view["credits"] == {"balance": 12.5, "spent": 0, "granted": 12.5}
    assert (view["plan"], view["feed"], view["autoApply"], view["environment"]) == ("free", "payg", True, "sandbox")
    assert view["rateLimits"]["general"]["minute"] == {"limit": 60, "used": 0, "remaining": 60}
    with pytest.raises(InvalidParameter):
        world.update_account("jbe_test_custom", {"plan": "gold"})
    with pytest.raises(InvalidParameter):
        world.update_account("sk_not_jobo", {})


# ── cursors and the feed ─────────────────────────────────────────────────────


def test_cursor_is_tamper_evident_and_bound_to_key_and_operation() -> None:
    signer = CursorSigner(b"secret")
    token = signer.encode({"op": "feed", "k": _tag("jbe_live_a"), "p": 5})
    assert signer.decode(token, operation="feed", api_key="jbe_live_a")["p"] == 5
    body, mac = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (flipped + "." + mac, body + "." + mac[:-1], "garbage", "", "a.b.c"):
        with pytest.raises(InvalidCursor):
            signer.decode(bad, operation="feed", api_key="jbe_live_a")
    with pytest.raises(InvalidCursor):
        signer.decode(token, operation="feed", api_key="jbe_live_b")
    with pytest.raises(InvalidCursor):
        signer.decode(token, operation="expired", api_key="jbe_live_a")
    with pytest.raises(InvalidCursor):
        CursorSigner(b"other").decode(token, operation="feed", api_key="jbe_live_a")


def _tag(key: str) -> str:
    from mock_server.vendors.jobo.domain.cursor import key_tag

    return key_tag(key)


def test_cursor_carries_filters_and_batch_size() -> None:
    world = small_world()
    account = world.authenticate(world.sandbox_key)
    first = world.feed(account, {"work_models": ["remote"], "batch_size": 7}).result
    assert first.estimated_total == sum(1 for j in world.sandbox.active_jobs() if j.work_model == "remote")
    second = world.feed(account, {"cursor": first.next_cursor, "batch_size": 500, "work_models": ["onsite"]}).result
    assert len(second.jobs) == 7 and all(j.work_model == "remote" for j in second.jobs)
    assert second.estimated_total is None


def test_legacy_scan_past_the_depth_limit_requires_a_restart() -> None:
    world = small_world(legacy_depth_limit=20)
    account = world.authenticate(world.sandbox_key)
    page = world.feed(account, {"stable_scan": False, "batch_size": 10, "sources": ["jobosandbox"]}).result
    page = world.feed(account, {"cursor": page.next_cursor}).result
    with pytest.raises(CursorRestartRequired) as restart:
        world.feed(account, {"cursor": page.next_cursor})
    assert restart.value.replacement_request == {"sources": ["jobosandbox"], "stable_scan": True, "batch_size": 10}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=st.integers(min_value=1, max_value=120),
    steps=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 3), st.integers(0, 3600)), max_size=40
    ),
    seed=st.integers(0, 10_000),
)
def test_stable_feed_serves_every_surviving_job_exactly_once(batch: int, steps: list, seed: int) -> None:
    """Whole feed, paged while jobs are added, updated and expired between pages (and time passes)."""
    import random

    world = _feed_world()
    cat = world.sandbox
    rng = random.Random(seed)
    account = world.authenticate(world.sandbox_key)
    at_start = {j.id for j in cat.active_jobs()}
    seen: list[str] = []
    added: set[str] = set()
    page = world.feed(account, {"batch_size": batch}).result
    for i in range(5_000):  # bounded: more pages than 300 jobs + 200 additions + clock discoveries can fill
        for job in page.jobs:
            assert job.expired_at is None  # only active jobs are served
        seen += [j.id for j in page.jobs]
        if not page.has_more:
            break
        # Changes between the first pages only, so that the scan can end (adds could outrun small batches).
        adds, expires, updates, seconds = steps[i] if i < len(steps) else (0, 0, 0, 0)
        for _ in range(adds):
            added.add(world.add_job({}, sandbox=True).id)
        active = [j for j in cat.active_jobs()]
        for job in rng.sample(active, min(expires, len(active))):
            world.expire_job(job.id, sandbox=True)
        for job in rng.sample(active, min(updates, len(active))):
            if job.expired_at is None:
                world.update_job(job.id, {}, sandbox=True)
        world.clock.set(world.clock.now() + seconds)
        page = world.feed(account, {"cursor": page.next_cursor}).result
    else:  # pragma: no cover
        pytest.fail("the feed never ended")
    assert len(seen) == len(set(seen)), "a job was served twice"
    survivors = {j.id for j in cat.active_jobs()}
    assert (at_start | added) & survivors <= set(seen), "a job active throughout the scan was skipped"


def _feed_world() -> JoboWorld:
    # A fresh small world per example (hypothesis mutates it), with life on the clock switched on.
    return small_world(jobs=50, companies=5, sandbox_jobs=300, sandbox_companies=8,
                       sandbox_rates=LifeRates(discovered=30, updated=30, expired=30))  # fmt: skip


def test_expired_ids_default_window_and_cursor() -> None:
    world = small_world()
    account = world.authenticate(world.demo_key)
    all_recent = world.expired(account, {"expired_since": "2025-12-20T00:00:00Z", "batch_size": 10000})
    day = world.expired(account, {})
    assert 0 < len(day.job_ids) < len(all_recent.job_ids)  # default 24 h vs (clamped) 7 days
    pages, cursor = [], None
    for _ in range(1000):
        page = world.expired(account, {"expired_since": "2025-12-20", "batch_size": 3, "cursor": cursor})
        pages += page.job_ids
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert pages == all_recent.job_ids
    job = world.live.jobs[-1]
    world.expire_job(job.id)
    assert world.expired(account, {}).job_ids[-1] == job.id
    assert world.expired(account, {"limit": 1, "expired_since": "2025-12-20"}).has_more
    free = world.authenticate(world.free_key)
    with pytest.raises(FeedNotIncluded):
        world.expired(free, {})


def test_catalogue_lists_jobs_in_discovery_order_so_newest_first_is_its_reverse() -> None:
    """The no-text search reverses the catalogue instead of sorting it: discovery times never go down along it,
    through generation, life on the clock and jobs added by hand."""
    world = small_world(rates=LifeRates(discovered=600, updated=300, expired=300))
    world.clock.set(START + 1800)
    world.add_job({"title": "Added by hand"})
    world.clock.set(START + 3600)
    jobs = world.catalogue(None).jobs
    assert all(a.created_at <= b.created_at for a, b in zip(jobs, jobs[1:], strict=False))
    account = world.authenticate(world.demo_key)
    page = world.search(account, {"page_size": 100}, advanced=False).result
    expected = sorted((j for j in jobs if j.expired_at is None), key=lambda j: (-j.created_at, -j.seq))[:100]
    assert [j.id for j in page.jobs] == [j.id for j in expected]


def test_a_ranked_search_is_kept_until_the_catalogue_changes() -> None:
    world = small_world()
    account = world.authenticate(world.demo_key)
    first = world.search(account, {"q": "engineer", "page_size": 10}, advanced=False).result
    second = world.search(account, {"q": "engineer", "page_size": 10, "page": 2}, advanced=False).result
    assert first.total == second.total and not {j.id for j in first.jobs} & {j.id for j in second.jobs}
    world.add_job({"title": "Engineer of Everything"})
    again = world.search(account, {"q": "engineer", "page_size": 10}, advanced=False).result
    assert again.total == first.total + 1 and again.jobs[0].title == "Engineer of Everything"
    world.expire_now(again.jobs[0].id)
    assert world.search(account, {"q": "engineer", "page_size": 10}, advanced=False).result.total == first.total
