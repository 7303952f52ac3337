"""One running mock: a vendor, its world, the clock, the backend and everything around it.

This is the Python API behind the control endpoints (``/_mock/...``) and the
pytest plugin: every control operation is a method here, and the HTTP
control handlers only translate. What an account or the state *looks like*
is the vendor's (:class:`~mock_server.core.vendor.Vendor`); the engine keeps
the clock, the journal, scenarios and webhook delivery. Extensions register
``sim_hooks`` (called whenever a backend is built, i.e. at start and on every
reset) and ``request_hooks`` (run before each API handler).
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .. import __version__
from .clock import Clock, ManualClock, ScaledClock, now_ms, parse_clock, pinned
from .journal import DEFAULT_MAX_BYTES, Journal, mask_fields
from .recording import InputLog
from .scenarios import ScenarioEngine
from .vendor import Vendor, WorldLike, get_vendor
from .webhooks import WebhookDispatcher


@dataclass
class RequestInfo:
    """What a request hook sees of an API request, before the handler runs."""

    operation_id: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    api_key: str | None
    time: float  # simulated seconds
    matched_rule: str | None = None
    replaying: bool = False  # a snapshot being restored: rules are evaluated, delays are not waited


RequestHook = Callable[[RequestInfo], Awaitable[Any]]

STATE_PAGE = 1000  # GET /_mock/state: items of each list per page unless ?limit= says otherwise


class Runtime:
    """A mock instance: build with a world (or a vendor's default world) and a clock mode, then serve or drive it.

    ``world`` carries its vendor (``world.vendor``); without a world, ``vendor`` (a name or a
    :class:`Vendor`, default ``uphunt``) supplies its default world.
    """

    def __init__(
        self,
        world: WorldLike | None = None,
        clock: str = "real",
        journal_capacity: int | None = None,
        vendor: Vendor | str | None = None,
    ) -> None:
        chosen = None if vendor is None else vendor if isinstance(vendor, Vendor) else get_vendor(vendor)
        if world is None:
            world = (chosen or get_vendor()).load_world()
        self.world = world
        self.vendor: Vendor = chosen or getattr(world, "vendor", None) or get_vendor()
        self.clock_spec = clock
        self.started_at = time.monotonic()  # for the uptime in GET /_mock/health
        parse_clock(clock)  # fail early on a bad spec
        journal = self.world.settings_section("journal")
        capacity = journal_capacity if journal_capacity is not None else journal.get("capacity", 1000)
        self.journal = Journal(capacity=capacity, max_bytes=journal.get("maxBytes", DEFAULT_MAX_BYTES))
        self.sim_hooks: list[Callable[[Any], None]] = []
        self.request_hooks: list[RequestHook] = []
        self.reset_hooks: list[Callable[[], None]] = []
        # When set, /_mock/* (except /_mock/health) needs the X-Mock-Control-Token header (serve --control-token).
        self.control_token: str | None = None
        self.pipeline: Any = None  # the app's request stages, for a snapshot restore (set by create_app)
        self.journal_sinks: list[Callable[[Any], None]] = []  # called with each finished journal entry (--journal-file)
        self.recorder = InputLog()  # the inputs since the world was built: what a snapshot replays
        self.built_at = 0.0
        self.sim: Any = self._build()
        self.webhooks = WebhookDispatcher.install(self)  # POSTs the backend's events to each account's URL
        self.scenarios = ScenarioEngine(self)  # scripted failures: load / load_file / clear / list
        from .dashboard import install  # change notifications (GET /_mock/events) and account meters

        self.changes, self.meters = install(self)
        self.recorder.built(self.built_at)

    @property
    def backend(self) -> Any:
        """The vendor's simulated service (``sim`` is the historical name, kept for users' tests)."""
        return self.sim

    def _build(self) -> Any:
        self.clock: Clock = parse_clock(self.clock_spec)
        self.built_at = self.clock.now()
        with pinned(self.built_at):  # one instant for the whole build (replayed exactly by a restore)
            sim = self.world.build(self.clock)
            sim.scheduler.on_run = self._on_scheduler_run
            for hook in self.sim_hooks:
                hook(sim)
        return sim

    def _on_scheduler_run(self, t: float) -> None:
        self.recorder.add("tick", t)

    def add_sim_hook(self, hook: Callable[[Any], None]) -> None:
        """Register and apply at once to the current backend."""
        self.sim_hooks.append(hook)
        with pinned(self.built_at):
            hook(self.sim)

    # ── control operations ──────────────────────────────────────────────

    def reset(self) -> dict[str, Any]:
        """Back to the world as loaded at start: state, clock, limits, journal; scenarios stay loaded but restart."""
        with self.recorder.nested():
            self.sim = self._build()
            with pinned(self.built_at):
                self.journal.clear()
                failure: Exception | None = None
                for hook in list(self.reset_hooks):
                    try:  # every hook runs even if one fails: a skipped hook (the scheduler driver) would stall the world
                        hook()
                    except Exception as exc:
                        logging.getLogger("uphunt_mock").exception("reset hook %r failed", hook)
                        failure = failure or exc
        self.recorder.reset(self.built_at)
        if failure is not None:
            raise failure
        return {"status": "reset", "clock": self.clock_info()}

    def health(self) -> dict[str, Any]:
        """``GET /_mock/health``: alive, and which mock this is (a CI script checks what it started)."""
        return {
            "status": "ok",
            "version": __version__,
            "vendor": self.vendor.name,
            "clock": self.clock_info(),
            "uptimeSeconds": round(time.monotonic() - self.started_at, 3),
        }

    def clock_info(self) -> dict[str, Any]:
        factor = self.clock.factor if isinstance(self.clock, ScaledClock) else None
        return {"mode": self.clock.mode, "now": now_ms(self.clock), "factor": factor}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Manual clock: move time, running every event that falls due, in order."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError(f"the clock is {self.clock.mode}; only the manual clock can be advanced")
        with self.recorder.input("advance", self.clock.now(), seconds):
            ran = self.sim.scheduler.advance(seconds)
        return {**self.clock_info(), "eventsRun": ran}

    def advance_until(self, target: str) -> dict[str, Any]:
        """Manual clock: ``nextEvent`` runs the next scheduled event(s); ``settled`` runs until nothing is in progress."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError(f"the clock is {self.clock.mode}; only the manual clock can be advanced")
        if target not in ("nextEvent", "settled"):
            raise ValueError(f"until must be nextEvent or settled, got {target!r}")
        scheduler = self.sim.scheduler
        before = scheduler.events_run
        # Through advance() and settle(): each is a recorded input, so a snapshot replays it.
        if target == "settled":
            self.settle()
        elif (due := scheduler.next_due()) is not None:
            self.advance(max(0.0, due - self.clock.now()))
        return {**self.clock_info(), "eventsRun": scheduler.events_run - before}

    def settle(self, max_seconds: float = 86_400.0) -> float:
        """Manual clock: advance until nothing is in progress."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError("settle() needs the manual clock")
        with self.recorder.input("settle", self.clock.now(), max_seconds):
            return float(self.sim.settle(max_seconds))

    def redeliver(self, delivery_id: str) -> Any:
        """One more attempt of a webhook delivery, now (KeyError: unknown id; ValueError: held or in flight)."""
        with self.recorder.input("redeliver", self.clock.now(), delivery_id):
            return self.webhooks.redeliver(delivery_id)

    def account_view(self, api_key: str) -> dict[str, Any] | None:
        return self.vendor.account_view(self, api_key)

    def put_account(self, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or update an account; an unknown key gets the defaults of the world. Returns (view, created)."""
        with self.recorder.input("account", self.clock.now(), api_key, copy.deepcopy(changes)):
            return self.vendor.put_account(self, api_key, changes)

    def state(self, limit: int | None = None, cursor: str | None = None) -> dict[str, Any]:
        """A page of the state, keys masked: at most ``limit`` (default :data:`STATE_PAGE`) items of each list, from ``cursor``.

        A world whose lists all fit answers whole with ``nextCursor: None``. ``cursor`` is the
        previous page's ``nextCursor`` (offsets into the lists, which only grow until a reset).
        """
        lists = self.vendor.state_lists(self)
        if lists is None:
            return mask_fields({"clock": self.clock_info(), **self.vendor.state(self), "nextCursor": None})
        limit = STATE_PAGE if limit is None else limit
        starts = [int(part) for part in cursor.split(".")] if cursor else []
        starts += [0] * (len(lists) - len(starts))
        out: dict[str, Any] = {"clock": self.clock_info()}
        nexts, more = [], False
        for (name, section), start in zip(lists.items(), starts, strict=False):
            stop = min(len(section), start + limit)
            out[name] = section.page(start, stop) if start < stop else []
            nexts.append(max(start, stop))
            more = more or stop < len(section)
        out["nextCursor"] = ".".join(map(str, nexts)) if more else None
        return mask_fields(out)  # every apiKey (and other credential-named field) masked, whatever the vendor

    def settings(self) -> dict[str, Any]:
        """The vendor's run-time settings (e.g. Jobo's Auto Apply launch gate)."""
        return self.vendor.settings_view(self)

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change run-time settings until the next reset; ValueError names a bad key or value."""
        return self.vendor.update_settings(self, changes)

    # The job catalogue, for vendors that have one (the others raise vendor.NotSupported).

    def job_state(self, job_id: str) -> dict[str, Any] | None:
        return self.vendor.job_state(self, job_id)

    def put_job(self, job_id: str, fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Add a job (discovered now) or update one (updated now). Returns (view, created)."""
        return self.vendor.put_job(self, job_id, fields)

    def expire_job(self, job_id: str) -> dict[str, Any] | None:
        return self.vendor.expire_job(self, job_id)

    # ── snapshot / restore ──────────────────────────────────────────────

    def snapshot(self) -> dict[str, Any]:
        """The whole world as a JSON document :meth:`restore` brings back exactly (:mod:`.snapshot`)."""
        from .snapshot import take

        return take(self)

    def restore(self, document: dict[str, Any]) -> dict[str, Any]:
        """Replace the world, clock, scenarios, journal and deliveries with a :meth:`snapshot`'s."""
        from .snapshot import restore

        return restore(self, document)
