"""The Jobo world a mock serves: the default one, or a YAML world file merged over it.

:class:`JoboWorldFile` is the description (validated against ``world.schema.yaml`` beside this
file); :meth:`JoboWorldFile.build` makes a fresh :class:`JoboBackend` on a clock. The prices and
rate-limit tables start from the spec's ``x-mock-price`` / ``x-mock-rate-limits``, so the
contract and the simulation cannot disagree; world settings override them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from mock_server.core import world as core_world
from mock_server.core.clock import Clock
from mock_server.core.scheduler import Scheduler
from mock_server.core.spec import load_spec

from .domain import JoboSettings, JoboWorld
from .domain.accounts import DEMO_LIVE_KEY
from .domain.catalogue import LifeRates
from .domain.credits import to_milli

SPEC_NAME = "jobo.yaml"
DEMO_API_KEY = DEMO_LIVE_KEY
PRICE_OPERATIONS = {
    "search": "searchJobs",
    "companyJobs": "getCompanyJobs",
    "feed": "getJobsFeed",
    "geocode": "geocodeLocation",
}
DOMAIN_PRICE_NAMES = {"search": "search", "companyJobs": "company_jobs", "feed": "feed", "geocode": "geocode"}


class JoboBackend:
    """What the engine holds (``rt.sim``): the domain world plus the engine's per-world parts."""

    def __init__(self, clock: Clock, world: JoboWorld, seed: int, settings: dict[str, Any]) -> None:
        self.clock = clock
        self.scheduler = Scheduler(clock)
        self.seed = seed
        self.event_listeners: list[Callable[[Any], None]] = []
        self.world = world
        self.error_format: str = settings.get("errorFormat", "docs")
        self.search_envelope: str = settings.get("searchEnvelope", "jobs")

    def settle(self, max_seconds: float = 0.0) -> float:
        return 0.0


def spec_prices(spec: dict[str, Any]) -> dict[str, int]:
    """Milli-credits per unit from the spec's ``x-mock-price`` (the domain's names)."""
    ops = {op["operationId"]: op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)}
    return {
        DOMAIN_PRICE_NAMES[k]: to_milli(ops[op_id]["x-mock-price"]["credits"]) for k, op_id in PRICE_OPERATIONS.items()
    }


def _life(raw: dict[str, Any] | None, default: LifeRates) -> LifeRates:
    if not raw:
        return default
    return LifeRates(
        discovered=raw.get("discoveredPerHour", default.discovered),
        updated=raw.get("updatedPerHour", default.updated),
        expired=raw.get("expiredPerHour", default.expired),
    )


def settings_from(data: dict[str, Any], seed: int) -> JoboSettings:
    spec = load_spec(SPEC_NAME)
    raw = data.get("settings") or {}
    cat = data.get("catalogue") or {}
    defaults = JoboSettings()
    limits_raw = raw.get("rateLimits") or {}
    table_name = "x-mock-rate-limits-old-edition" if limits_raw.get("edition") == "old" else "x-mock-rate-limits"
    limits = copy.deepcopy(spec[table_name])
    for group in ("general", "feed"):
        limits[group].update(limits_raw.get(group) or {})
    prices = spec_prices(spec)
    for name, value in (raw.get("prices") or {}).items():
        prices[DOMAIN_PRICE_NAMES[name]] = to_milli(value)
    account_defaults = raw.get("defaultAccount") or {}
    from .domain.accounts import feed_access

    return JoboSettings(
        seed=seed,
        jobs=cat.get("jobs", defaults.jobs),
        companies=cat.get("companies", defaults.companies),
        sandbox_jobs=cat.get("sandboxJobs", defaults.sandbox_jobs),
        sandbox_companies=cat.get("sandboxCompanies", defaults.sandbox_companies),
        rates=_life(cat.get("life"), defaults.rates),
        sandbox_rates=_life(cat.get("sandboxLife"), defaults.sandbox_rates),
        prices=prices,
        rate_limits=limits,
        rate_limits_enabled=limits_raw.get("enabled", True),
        legacy_depth_limit=raw.get("legacyDepthLimit", defaults.legacy_depth_limit),
        strict_enums=raw.get("strictEnums", False),
        default_credits=to_milli(account_defaults.get("credits", 100_000)),
        default_plan=account_defaults.get("plan", "paid"),
        default_feed=feed_access(account_defaults.get("feed", "payg")),
    )


class JoboWorldFile(core_world.World):
    """A Jobo world: catalogue size and life, accounts, pinned companies and jobs, settings."""

    schema_resource = "vendors/jobo/world.schema.yaml"
    default_resource = "vendors/jobo/worlds/default.yaml"
    merged_lists = {"accounts": "apiKey", "companies": "id", "jobs": "id"}

    def build(self, clock: Clock) -> JoboBackend:
        data = self.data
        world = JoboWorld(clock, settings_from(data, self.seed), accounts=[dict(a) for a in data.get("accounts", [])])
        for company in data.get("companies", []):
            fields = {k: v for k, v in company.items() if k != "sandbox"}
            world.add_company(fields, sandbox=bool(company.get("sandbox")))
        for job in data.get("jobs", []):
            fields = {k: v for k, v in job.items() if k != "sandbox"}
            world.add_job(fields, sandbox=bool(job.get("sandbox")))
        return JoboBackend(clock, world, self.seed, data.get("settings") or {})
