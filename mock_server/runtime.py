"""One running mock: the world, the clock, the simulator and everything around it.

This is the Python API behind the control endpoints (``/_mock/...``) and the
pytest plugin: every control operation is a method here, and the HTTP
control handlers only translate. Extensions (scenarios, webhooks) register
``sim_hooks`` (called whenever a simulator is built, i.e. at start and on
every reset) and ``request_hooks`` (run before each API handler).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .clock import Clock, ManualClock, ScaledClock, now_ms, parse_clock
from .domain.accounts import Account
from .domain.ledger import CreditLedger
from .domain.ratelimit import RateLimiter
from .domain.simulator import Simulator
from .journal import Journal
from .webhooks import WebhookDispatcher, check_webhook_url
from .world import World, freelancer_from_dict


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


class Runtime:
    """A mock instance: build with a world and a clock mode, then serve or drive it directly."""

    def __init__(self, world: World | None = None, clock: str = "real", journal_capacity: int | None = None) -> None:
        self.world = world or World.default()
        self.clock_spec = clock
        parse_clock(clock)  # fail early on a bad spec
        capacity = journal_capacity if journal_capacity is not None else self.world.settings_section("journal").get("capacity", 1000)
        self.journal = Journal(capacity=capacity)
        self.sim_hooks: list[Callable[[Simulator], None]] = []
        self.request_hooks: list[RequestHook] = []
        self.reset_hooks: list[Callable[[], None]] = []
        self.sim: Simulator = self._build()
        from .http.spec import load_spec  # the spec's x-mock-rate-limits are the default limits

        self.rate_limiter = RateLimiter.from_settings(self.world.settings_section("rateLimits"), load_spec("uphunt.yaml"))
        self.webhooks = WebhookDispatcher.install(self)  # POSTs terminal events to each account's webhookUrl
        from .scenarios import ScenarioEngine  # scripted failures: load / load_file / clear / list

        self.scenarios = ScenarioEngine(self)
        from .dashboard import install  # change notifications (GET /_mock/events) and account meters

        self.changes, self.meters = install(self)

    def _build(self) -> Simulator:
        self.clock: Clock = parse_clock(self.clock_spec)
        sim = self.world.build(self.clock)
        for hook in self.sim_hooks:
            hook(sim)
        return sim

    def add_sim_hook(self, hook: Callable[[Simulator], None]) -> None:
        """Register and apply at once to the current simulator."""
        self.sim_hooks.append(hook)
        hook(self.sim)

    # ── control operations ──────────────────────────────────────────────

    def reset(self) -> dict[str, Any]:
        """Back to the world as loaded at start: state, clock, limits, journal; scenarios stay loaded but restart."""
        self.sim = self._build()
        self.rate_limiter.reset()
        self.journal.clear()
        for hook in self.reset_hooks:
            hook()
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

    def advance_until(self, target: str) -> dict[str, Any]:
        """Manual clock: ``nextEvent`` runs the next scheduled event(s); ``settled`` runs until nothing is processing."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError(f"the clock is {self.clock.mode}; only the manual clock can be advanced")
        scheduler = self.sim.scheduler
        before = scheduler.events_run
        if target == "nextEvent":
            due = scheduler.next_due()
            if due is not None:
                scheduler.advance(max(0.0, due - self.clock.now()))
        elif target == "settled":
            self.sim.settle()
        else:
            raise ValueError(f"until must be nextEvent or settled, got {target!r}")
        return {**self.clock_info(), "eventsRun": scheduler.events_run - before}

    def settle(self, max_seconds: float = 86_400.0) -> float:
        """Manual clock: advance until no application is processing."""
        if not isinstance(self.clock, ManualClock):
            raise ValueError("settle() needs the manual clock")
        return self.sim.settle(max_seconds)

    def account_view(self, api_key: str) -> dict[str, Any] | None:
        account = self.sim.accounts.get(api_key)
        if account is None:
            return None
        from .http.render import freelancer

        agency = self.sim.agency_of(account)
        return {
            "apiKey": account.api_key,
            "agencyId": account.agency_id,
            "credits": account.ledger.as_dict(),
            "connects": agency.connects,
            "webhookUrl": account.webhook_url,
            "freelancers": [freelancer(f) for f in agency.freelancers],
        }

    def put_account(self, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Create or update an account; an unknown key gets the defaults of the world. Returns (view, created)."""
        url = check_webhook_url(changes.get("webhookUrl"))
        sim = self.sim
        account = sim.accounts.get(api_key)
        created = account is None
        if account is None:
            template = next(iter(sim.accounts.values()), None)
            agency_id = changes.get("agencyId") or (template.agency_id if template else "agency_default")
            account = Account(api_key=api_key, agency_id=agency_id, ledger=CreditLedger.with_grant(0))
            sim.accounts[api_key] = account
        if "agencyId" in changes:
            account.agency_id = changes["agencyId"]
        agency = sim.ensure_agency(account.agency_id)
        if "credits" in changes:
            account.ledger.set_available(changes["credits"])
        if "connects" in changes:
            agency.connects = changes["connects"]
        if "freelancers" in changes:
            agency.freelancers = [freelancer_from_dict(f) for f in changes["freelancers"]]
        if "webhookUrl" in changes:
            account.webhook_url = url
        view = self.account_view(api_key)
        assert view is not None
        return view, created

    def application_record(self, app: Any) -> dict[str, Any]:
        """An application as ``GET /_mock/state`` shows it: the status record plus bookkeeping."""
        from .journal import mask_secret

        record = app.status_record()
        record.update(
            apiKey=mask_secret(app.api_key),
            agencyId=app.agency_id,
            createdAt=round(app.created_at * 1000),
            pickupAt=round(app.pickup_at * 1000),
            completesAt=round(app.completes_at * 1000),
        )
        return record

    def state(self) -> dict[str, Any]:
        apps = [self.application_record(app) for app in self.sim.applications.values()]
        views = [self.account_view(k) for k in self.sim.accounts]
        return {"clock": self.clock_info(), "accounts": views, "applications": apps}
