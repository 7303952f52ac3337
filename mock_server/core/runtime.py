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

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .clock import Clock, ManualClock, ScaledClock, now_ms, parse_clock
from .journal import DEFAULT_MAX_BYTES, Journal, mask_fields
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
        parse_clock(clock)  # fail early on a bad spec
        journal = self.world.settings_section("journal")
        capacity = journal_capacity if journal_capacity is not None else journal.get("capacity", 1000)
        self.journal = Journal(capacity=capacity, max_bytes=journal.get("maxBytes", DEFAULT_MAX_BYTES))
        self.sim_hooks: list[Callable[[Any], None]] = []
        self.request_hooks: list[RequestHook] = []
        self.reset_hooks: list[Callable[[], None]] = []
        # When set, /_mock/* (except /_mock/health) needs the X-Mock-Control-Token header (serve --control-token).
        self.control_token: str | None = None
        self.sim: Any = self._build()
        self.webhooks = WebhookDispatcher.install(self)  # POSTs the backend's events to each account's URL
        self.scenarios = ScenarioEngine(self)  # scripted failures: load / load_file / clear / list

    @property
    def backend(self) -> Any:
        """The vendor's simulated service (``sim`` is the historical name, kept for users' tests)."""
        return self.sim

    def _build(self) -> Any:
        self.clock: Clock = parse_clock(self.clock_spec)
        sim = self.world.build(self.clock)
        for hook in self.sim_hooks:
            hook(sim)
        return sim

    def add_sim_hook(self, hook: Callable[[Any], None]) -> None:
        """Register and apply at once to the current backend."""
        self.sim_hooks.append(hook)
        hook(self.sim)

    # ── control operations ──────────────────────────────────────────────

    def reset(self) -> dict[str, Any]:
        """Back to the world as loaded at start: state, clock, limits, journal; scenarios stay loaded but restart."""
        self.sim = self._build()
        self.journal.clear()
        failure: Exception | None = None
        for hook in list(self.reset_hooks):
            try:  # every hook runs even if one fails: a skipped hook (the scheduler driver) would stall the world
                hook()
            except Exception as exc:
                logging.getLogger("uphunt_mock").exception("reset hook %r failed", hook)
                failure = failure or exc
        if failure is not None:
            raise failure
        return {"status": "reset", "clock": self.clock_info()}

    def clock_info(self) -> dict[str, Any]:
        factor = self.clock.factor if isinstance(self.clock, ScaledClock) else None
        return {"mode": self.clock.mode, "now": now_ms(self.clock), "factor": factor}

    def advance(self, seconds: float) -> dict[str, Any]:
        """Manual clock: move time, running every event that falls due, in order."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError(f"the clock is {self.clock.mode}; only the manual clock can be advanced")
        ran = self.sim.scheduler.advance(seconds)
        return {**self.clock_info(), "eventsRun": ran}

    def settle(self, max_seconds: float = 86_400.0) -> float:
        """Manual clock: advance until nothing is in progress."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError("settle() needs the manual clock")
        return float(self.sim.settle(max_seconds))

    def account_view(self, api_key: str) -> dict[str, Any] | None:
        return self.vendor.account_view(self, api_key)

    def put_account(self, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or update an account; an unknown key gets the defaults of the world. Returns (view, created)."""
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
