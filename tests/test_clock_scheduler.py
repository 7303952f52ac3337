"""The clock modes and the one event heap (issue 3, "Clock")."""

from __future__ import annotations

import asyncio
import time

import pytest
from conftest import APPLY, DEMO, STATUS, default_world
from starlette.testclient import TestClient

from mock_server.core import clock as clock_module
from mock_server.core.app import create_app
from mock_server.core.clock import DEFAULT_MANUAL_EPOCH, ManualClock, RealClock, ScaledClock, parse_clock
from mock_server.core.runtime import Runtime
from mock_server.core.scheduler import Scheduler
from mock_server.vendors.uphunt.domain.simulator import ApplyRequest

# ── clocks ──────────────────────────────────────────────────────────────────


def test_parse_clock_modes() -> None:
    assert isinstance(parse_clock("real"), RealClock)
    manual = parse_clock("manual")
    assert isinstance(manual, ManualClock) and manual.now() == DEFAULT_MANUAL_EPOCH == 1_767_225_600.0
    scaled = parse_clock("scale=0.01")
    assert isinstance(scaled, ScaledClock) and scaled.factor == 0.01 and scaled.mode == "scaled"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fast", "bad clock 'fast': use real, manual or scale=F"),
        ("scale=x", "bad clock 'scale=x': scale=F needs a number, e.g. scale=0.01"),
        ("scale=0", "bad clock 'scale=0': the scale factor must be > 0"),
        ("scale=-2", "bad clock 'scale=-2': the scale factor must be > 0"),
    ],
)
def test_parse_clock_rejects_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_clock(spec)
    assert str(info.value) == message


def test_manual_clock_moves_only_forward() -> None:
    c = ManualClock(100.0)
    assert (c.now(), c.wall_delay(5)) == (100.0, None)
    c.set(150.5)
    assert c.now() == 150.5
    with pytest.raises(ValueError, match="never goes backwards"):
        c.set(150.0)
    assert c.now() == 150.5


def test_scaled_clock_runs_one_over_factor_times_as_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """scale=0.01: every simulated second takes 0.01 real seconds, so 0.4 real s is the 40 s p50."""
    c = ScaledClock(factor=0.01, start=1_000.0, _mono0=50.0)
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: 50.4)
    assert c.now() == pytest.approx(1_040.0)
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: 51.0)
    assert c.now() == pytest.approx(1_100.0)  # 1 real second = 100 simulated seconds
    assert c.wall_delay(40.0) == pytest.approx(0.4)
    assert c.wall_delay(-3.0) == 0.0
    slow = ScaledClock(factor=2.0, start=0.0, _mono0=51.0)
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: 55.0)
    assert slow.now() == pytest.approx(2.0)  # factor > 1 slows time down
    assert slow.wall_delay(3.0) == pytest.approx(6.0)


def test_real_clock_is_wall_time() -> None:
    c = RealClock()
    assert abs(c.now() - time.time()) < 1.0
    assert c.wall_delay(2.5) == 2.5


# ── the event heap ──────────────────────────────────────────────────────────


def test_events_run_in_time_then_insertion_order_with_their_own_timestamps() -> None:
    c = ManualClock(0.0)
    s = Scheduler(c)
    seen: list[tuple[str, float]] = []
    s.at(5.0, lambda: seen.append(("b", c.now())))
    s.at(2.0, lambda: seen.append(("a", c.now())))
    s.at(5.0, lambda: seen.append(("c", c.now())))  # tie: after b
    late = s.at(9.0, lambda: seen.append(("late", c.now())))
    cancelled = s.at(3.0, lambda: seen.append(("cancelled", c.now())))
    cancelled.cancel()
    assert len(s) == 4
    assert s.next_due() == 2.0
    assert s.advance(6.0) == 3
    assert seen == [("a", 2.0), ("b", 5.0), ("c", 5.0)]
    assert c.now() == 6.0
    assert s.next_due() == 9.0 and len(s) == 1
    late.cancel()
    assert s.advance(100.0) == 0 and s.next_due() is None and c.now() == 106.0


def test_an_event_with_an_arg_calls_its_callback_with_it_in_order_with_the_others() -> None:
    c = ManualClock(0.0)
    s = Scheduler(c)
    seen: list[object] = []
    s.at(3.0, seen.append, "with arg", ("x", 3.0))
    s.at(1.0, lambda: seen.append("no arg"))
    s.after(3.0, seen.append, arg=None)  # None is an argument like any other
    assert s.advance(5.0) == 3
    assert seen == ["no arg", ("x", 3.0), None]


def test_events_scheduled_during_an_advance_run_in_the_same_advance_when_due() -> None:
    c = ManualClock(0.0)
    s = Scheduler(c)
    seen: list[float] = []

    def chain() -> None:
        seen.append(c.now())
        if len(seen) < 5:
            s.after(1.5, chain)

    s.after(1.0, chain)
    assert s.advance(5.0) == 3  # at 1.0, 2.5, 4.0; the next (5.5) is not yet due
    assert seen == [1.0, 2.5, 4.0]
    assert s.advance(10.0) == 2
    assert seen == [1.0, 2.5, 4.0, 5.5, 7.0]


def test_advance_needs_the_manual_clock_and_a_non_negative_amount() -> None:
    with pytest.raises(TypeError):
        Scheduler(RealClock()).advance(1.0)
    with pytest.raises(ValueError):
        Scheduler(ManualClock(0.0)).advance(-1.0)


def test_driver_runs_events_in_scaled_real_time() -> None:
    """Factor 0.001: an event at 600 simulated seconds (0.6 s real), then one at 50 (0.05 s) added while the
    driver sleeps towards the first. The second must wake it: without the wake-up it would fire at 600 or later.

    The margins are wide (a 550 ms window for the wake-up, where this test once gave 100 ms) because a
    busy CI machine stalled the event loop ~240 ms once; the order and the wake-up are what is checked.
    """
    clock = ScaledClock(factor=0.001)
    s = Scheduler(clock)
    fired: list[tuple[str, float]] = []

    async def main() -> None:
        done = asyncio.Event()
        t0 = clock.now()
        s.after(600.0, lambda: (fired.append(("far", clock.now() - t0)), done.set()))
        driver = asyncio.create_task(s.drive())
        await asyncio.sleep(0.01)
        s.after(50.0, lambda: fired.append(("near", clock.now() - t0)))  # sooner than the sleeping driver's target
        await asyncio.wait_for(done.wait(), timeout=5.0)
        driver.cancel()
        await asyncio.gather(driver, return_exceptions=True)

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 5.0
    assert [name for name, _ in fired] == ["near", "far"]
    (_, near), (_, far) = fired
    assert 50.0 <= near < 600.0 <= far < 5000.0


def test_simulator_settles_under_a_tiny_scale_factor() -> None:
    """scale=0.001 makes every application settle in well under a second of real time, through HTTP."""
    rt = Runtime(default_world(), clock="scale=0.001")
    with TestClient(create_app(rt)) as client:
        queued = client.post(APPLY, json={"jobId": "~022053140178050136031", "coverLetter": "Hi"}, headers=DEMO)
        assert queued.status_code == 200
        deadline = time.monotonic() + 0.9  # the latency model caps an application at 30 + 240 s = 0.27 s here
        status = "processing"
        while status == "processing" and time.monotonic() < deadline:
            time.sleep(0.02)
            status = client.get(STATUS, params={"queueId": queued.json()["queueId"]}, headers=DEMO).json()[
                "applicationStatus"
            ]
        assert status == "applied"
        assert client.get("/_mock/clock").json()["mode"] == "scaled"
        assert client.get("/_mock/clock").json()["factor"] == 0.001


# ── the clock through the runtime and the control API ──────────────────────


def test_control_api_clock_and_advance(client: TestClient) -> None:
    assert client.get("/_mock/clock").json() == {"mode": "manual", "now": 1_767_225_600_000, "factor": None}
    r = client.post("/_mock/clock/advance", json={"seconds": 90.5})
    assert r.status_code == 200
    assert r.json() == {"mode": "manual", "now": 1_767_225_690_500, "factor": None, "eventsRun": 0}
    assert client.post("/_mock/clock/advance", json={"seconds": -1}).status_code == 422
    assert client.post("/_mock/clock/advance", json={"seconds": "1"}).status_code == 400
    assert client.post("/_mock/clock/advance", json={}).status_code == 400
    assert client.get("/_mock/clock").json()["now"] == 1_767_225_690_500


def test_advance_is_refused_on_a_scaled_clock() -> None:
    rt = Runtime(default_world(), clock="scale=0.01")
    with pytest.raises(ValueError, match="only the manual clock can be advanced"):
        rt.advance(1.0)
    with TestClient(create_app(rt)) as client:
        r = client.post("/_mock/clock/advance", json={"seconds": 1})
        assert (r.status_code, r.json()) == (
            422,
            {"error": "the clock is scaled; only the manual clock can be advanced"},
        )


def test_advance_runs_due_events_and_reset_restores_the_clock(runtime: Runtime) -> None:
    sim = runtime.sim
    app = sim.apply(sim.accounts["sk_uphunt_demo_key"], ApplyRequest("~022053140178050136031", "Hi"))
    assert runtime.advance(app.pickup_at - sim.clock.now())["eventsRun"] == 1
    assert app.processed_at == app.pickup_at and app.status == "processing"
    result = runtime.advance(app.completes_at - sim.clock.now())
    assert result["eventsRun"] >= 1 and app.status == "applied"
    assert runtime.reset()["clock"] == {"mode": "manual", "now": 1_767_225_600_000, "factor": None}
    assert runtime.sim.applications.keys() == {"queue_abc123"}
