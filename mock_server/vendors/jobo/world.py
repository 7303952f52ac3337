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
from .domain.autoapply import AutoApplyService, AutoApplySettings
from .domain.autoapply.forms import TargetRule, default_forms, form_from_data
from .domain.autoapply.quotas import Quotas
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
        self.auto_apply = AutoApplyService(
            world, clock, self.scheduler, auto_apply_settings(settings.get("autoApply") or {}), seed, emit=self._emit
        )

    def _emit(self, event: Any) -> None:
        for listener in list(self.event_listeners):
            listener(event)

    def settle(self, max_seconds: float = 86_400.0) -> float:
        """Manual clock: advance until no application is queued, running or awaiting answers (or ``max_seconds``)."""
        start = self.clock.now()
        deadline = start + max_seconds
        while any(not a.terminal for a in self.auto_apply.applications.values()):
            due = self.scheduler.next_due()
            if due is None or due > deadline:
                break
            self.scheduler.advance(max(0.0, due - self.clock.now()))
        return self.clock.now() - start


def auto_apply_settings(raw: dict[str, Any]) -> AutoApplySettings:
    """``settings.autoApply`` of a world file over the defaults (the price from the spec's ``x-mock-price``)."""
    spec = load_spec(SPEC_NAME)
    create = spec["paths"]["/api/auto-apply/applications"]["post"]
    defaults = AutoApplySettings()
    durations = dict(defaults.durations)
    for stage, pair in (raw.get("durations") or {}).items():
        durations[stage] = (float(pair[0]), float(pair[1]))
    forms = default_forms() if raw.get("defaultForms", True) else {}
    for data in raw.get("forms") or ():
        form = form_from_data(data)
        forms[form.slug] = form
    targets = [TargetRule(t["form"], t.get("jobId"), t.get("applyUrl")) for t in raw.get("targets") or ()]
    return AutoApplySettings(
        enabled=bool(raw.get("enabled", False)),
        hold_seconds=float(raw.get("holdSeconds", defaults.hold_seconds)),
        hold_real_seconds=float(raw.get("holdRealSeconds", defaults.hold_real_seconds)),
        answers_expire_seconds=float(raw.get("answersExpireSeconds", defaults.answers_expire_seconds)),
        one_time_code_expire_seconds=float(raw.get("oneTimeCodeExpireSeconds", defaults.one_time_code_expire_seconds)),
        import_seconds=float(raw.get("importSeconds", defaults.import_seconds)),
        price_milli=to_milli(raw.get("price", create["x-mock-price"]["credits"])),
        quotas=Quotas.from_section(raw.get("quotas")),
        durations=durations,
        forms=forms,
        targets=targets,
        default_form=raw.get("defaultForm", defaults.default_form),
    )


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


# ── run-time settings (PATCH /_mock/settings, the scenario action autoApply; decision J37) ──────────

_NUMBERS = {
    "holdSeconds": "hold_seconds",
    "holdRealSeconds": "hold_real_seconds",
    "answersExpireSeconds": "answers_expire_seconds",
    "oneTimeCodeExpireSeconds": "one_time_code_expire_seconds",
    "importSeconds": "import_seconds",
}
_QUOTAS = {
    "livePerDay": "live_per_day",
    "sandboxPerHour": "sandbox_per_hour",
    "inFlight": "in_flight",
    "capacity": "capacity",
}


def auto_apply_view(settings: AutoApplySettings) -> dict[str, Any]:
    """The run-time Auto Apply settings, in the world file's names."""
    from .domain.credits import number

    view: dict[str, Any] = {"enabled": settings.enabled}
    view.update({name: getattr(settings, attr) for name, attr in _NUMBERS.items()})
    view["price"] = number(settings.price_milli)
    view["quotas"] = {name: getattr(settings.quotas, attr) for name, attr in _QUOTAS.items()}
    view["durations"] = {stage: list(pair) for stage, pair in settings.durations.items()}
    return view


def update_auto_apply(settings: AutoApplySettings, changes: Any) -> None:
    """Apply ``changes`` (world-file names) to live settings; ValueError names the first bad key (nothing changes)."""
    if not isinstance(changes, dict):
        raise ValueError("autoApply must be an object")
    staged: list[tuple[Any, str, Any]] = []
    for key, value in changes.items():
        where = f"autoApply.{key}"
        if key == "enabled":
            if not isinstance(value, bool):
                raise ValueError(f"{where} must be true or false")
            staged.append((settings, "enabled", value))
        elif key in _NUMBERS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value > 10**7:
                raise ValueError(f"{where} must be a number of seconds >= 0")
            staged.append((settings, _NUMBERS[key], float(value)))
        elif key == "price":
            try:
                staged.append((settings, "price_milli", to_milli(value)))
            except (ValueError, TypeError):
                raise ValueError(f"{where} must be a credit amount") from None
        elif key == "quotas":
            if not isinstance(value, dict):
                raise ValueError(f"{where} must be an object")
            for name, limit in value.items():
                if name not in _QUOTAS:
                    raise ValueError(f"{where}.{name}: unknown quota (one of {', '.join(_QUOTAS)})")
                if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                    raise ValueError(f"{where}.{name} must be an integer >= 0")
                staged.append((settings.quotas, _QUOTAS[name], limit))
        elif key == "durations":
            if not isinstance(value, dict):
                raise ValueError(f"{where} must be an object")
            durations = dict(settings.durations)
            for stage, pair in value.items():
                ok = (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in pair)
                )
                if stage not in durations or not ok or pair[0] > pair[1]:
                    raise ValueError(f"{where}.{stage} must be [low, high] seconds of queued, discovery or review")
                durations[stage] = (float(pair[0]), float(pair[1]))
            staged.append((settings, "durations", durations))
        else:
            raise ValueError(f"{where}: unknown setting")
    for target, attr, value in staged:
        setattr(target, attr, value)
