"""The simulated Jobo service: one object the vendor's handlers call, one method per operation.

Each operation follows the documented order (decision J4): the HTTP layer has already
authenticated (:meth:`JoboWorld.authenticate`), rate-limited (:meth:`JoboWorld.take_rate`) and
validated the request's shape; here come the domain's own 400s, then entitlement (403),
existence (404), the worst-case credit precheck (402), the work, and the debit of what was
delivered. A refusal leaves no trace: nothing is charged.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import geo, vocab
from .accounts import (
    DEMO_FREE_KEY,
    DEMO_LIVE_KEY,
    DEMO_SANDBOX_KEY,
    PLANS,
    Account,
    check_callback_secret,
    feed_access,
    is_jobo_key,
)
from .catalogue import Catalogue, Company, Job, LifeRates
from .credits import Wallet, to_milli
from .cursor import CursorSigner
from .errors import FeedNotIncluded, Forbidden, InvalidParameter, NotFound, Unauthenticated
from .feed import ExpiredPage, FeedPage, expired_page, open_scan, query_for, run_scan
from .ratelimit import RateLimiter, WindowStatus
from .search import (
    DEFAULT_FACETS,
    SearchPage,
    build_query,
    facets,
    page_of,
    parse_time,
    query_from_get,
    rank,
    run_search,
    tri_state,
    whole,
)


class Clock(Protocol):
    def now(self) -> float: ...


# The newer edition of the rate-limit page (decision J8); the spec's x-mock-rate-limits has the same table.
DEFAULT_RATE_LIMITS: dict[str, dict[str, dict[str, int] | None]] = {
    "general": {
        "free": {"minute": 60, "hour": 1000, "day": 10000},
        "paid": {"minute": 360, "hour": 10000, "day": 100000},
    },
    "feed": {"free": None, "paid": {"minute": 120, "hour": 5000, "day": 50000}},
}
# The mid pricing edition (decision J5), in milli-credits per unit; the spec's x-mock-price has the same.
DEFAULT_PRICES = {"search": 1000, "company_jobs": 1000, "feed": 500, "geocode": 1000}
# The keys of a world without an accounts list (the vendor's default world file lists the same).
DEFAULT_ACCOUNTS: list[dict[str, Any]] = [
    {"apiKey": DEMO_LIVE_KEY, "plan": "paid", "feed": "payg", "credits": 100_000, "autoApply": True},
    {"apiKey": DEMO_SANDBOX_KEY, "plan": "paid", "feed": "subscription", "credits": 0, "autoApply": True},
    {"apiKey": DEMO_FREE_KEY, "plan": "free", "feed": "none", "credits": 1_000},
]


@dataclass
class JoboSettings:
    """Everything a world file can set for Jobo (see the vendor's world loader)."""

    seed: int = 42
    jobs: int = 20000
    companies: int = 400
    sandbox_jobs: int = 500
    sandbox_companies: int = 20
    rates: LifeRates = field(default_factory=LifeRates)
    sandbox_rates: LifeRates = field(default_factory=lambda: LifeRates(discovered=10, updated=5, expired=5))
    prices: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    rate_limits: dict[str, dict[str, dict[str, int] | None]] = field(default_factory=lambda: DEFAULT_RATE_LIMITS)
    rate_limits_enabled: bool = True
    legacy_depth_limit: int = 10000
    strict_enums: bool = False
    default_credits: int = 100_000 * 1000  # milli-credits for a key created by the control API
    default_plan: str = "paid"
    default_feed: str = "payg"


@dataclass
class Charged:
    """An operation's result and what it cost (milli-credits)."""

    result: Any
    deducted: int


def _uuid_param(value: str, name: str = "id") -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise InvalidParameter(f"Parameter '{name}' must be a UUID.", name) from None


def _page_params(page: Any, page_size: Any) -> tuple[int, int]:
    number, size = whole(page), whole(page_size)
    if number is None or number < 1:
        raise InvalidParameter("Parameter 'page' must be 1 or greater.", "page")
    if size is None or not 1 <= size <= 100:
        raise InvalidParameter.out_of_range("page_size", 1, 100)
    return number, size


SEARCH_CACHE_SIZE = 32  # ranked searches kept (each at most a catalogue's worth of references)
_PAGE_ONLY = ("page", "page_size", "include_fields")  # parameters that do not change the ranking


def _query_key(params: dict[str, Any]) -> str:
    """The search parameters that decide the ranking and facets, as one comparable text."""
    return json.dumps({k: v for k, v in params.items() if k not in _PAGE_ONLY}, sort_keys=True, default=str)


def _job_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A world file's (or the control API's) job fields with ``date_posted`` parsed to Unix seconds."""
    if isinstance(fields.get("date_posted"), str):
        return {**fields, "date_posted": parse_time(fields["date_posted"], "date_posted")}
    return fields


class JoboWorld:
    def __init__(
        self, clock: Clock, settings: JoboSettings | None = None, accounts: list[dict[str, Any]] | None = None
    ) -> None:
        self.clock = clock
        self.settings = settings or JoboSettings()
        s = self.settings
        start = clock.now()
        self.live = Catalogue(s.seed, jobs=s.jobs, companies=s.companies, start=start, rates=s.rates)
        self.sandbox = Catalogue(
            s.seed + 1,
            jobs=s.sandbox_jobs,
            companies=s.sandbox_companies,
            start=start,
            sandbox=True,
            rates=s.sandbox_rates,
        )
        self.accounts: dict[str, Account] = {}
        self.limiter = RateLimiter()
        self.signer = CursorSigner(hashlib.sha256(f"jobo-cursor:{s.seed}".encode()).digest())
        self.geocode_cache: set[str] = set()
        self.scans = 0  # feed scans started (numbers each scan's cursors)
        self._searches: dict[tuple[Any, ...], tuple[list[Job], dict[str, Any]]] = {}  # see search()
        self.demo_key, self.sandbox_key, self.free_key = DEMO_LIVE_KEY, DEMO_SANDBOX_KEY, DEMO_FREE_KEY
        for fields in accounts if accounts is not None else DEFAULT_ACCOUNTS:
            fields = dict(fields)
            self.add_account(fields.pop("apiKey"), **fields)

    # ── accounts, plans, limits ─────────────────────────────────────────────

    def add_account(self, api_key: str, **fields: Any) -> Account:
        """Create the account of ``api_key`` with the world's defaults, then apply ``fields``."""
        if not is_jobo_key(api_key):
            raise InvalidParameter("Jobo API keys start with 'jbe_' (jbe_live_…, jbe_test_…).", "apiKey")
        s = self.settings
        account = Account(api_key, plan=s.default_plan, feed=s.default_feed, wallet=Wallet(granted=s.default_credits))
        self.accounts[api_key] = account
        self.update_account(api_key, fields)
        return account

    def update_account(self, api_key: str, fields: dict[str, Any]) -> Account:
        """The control API's account fields: credits (sets the balance), plan, feed, autoApply, ..."""
        account = self.accounts.get(api_key) or self.add_account(api_key)
        if "plan" in fields:
            if fields["plan"] not in PLANS:
                raise InvalidParameter("plan must be 'free' or 'paid'.", "plan")
            account.plan = fields["plan"]
        if "feed" in fields:
            try:
                account.feed = feed_access(fields["feed"])
            except ValueError as exc:
                raise InvalidParameter(str(exc), "feed") from None
        if "credits" in fields:
            try:
                milli = to_milli(fields["credits"])
                account.wallet.set_balance(milli)
            except (ValueError, TypeError) as exc:
                raise InvalidParameter(f"credits: {exc}", "credits") from None
        for name, attr in (("autoApply", "auto_apply"), ("revoked", "revoked")):
            if name in fields:
                setattr(account, attr, bool(fields[name]))
        if "managedCompanies" in fields:
            account.managed_companies = [str(c).lower() for c in fields["managedCompanies"]]
        if "callbackUrl" in fields:
            account.callback_url = fields["callbackUrl"]
        for name, attr in (
            ("callbackSecret", "callback_secret"),
            ("previousCallbackSecret", "previous_callback_secret"),
        ):
            if name in fields:
                value = fields[name]
                if value is None and name == "previousCallbackSecret":
                    account.previous_callback_secret = None
                    continue
                try:
                    setattr(account, attr, check_callback_secret(value, name))
                except ValueError as exc:
                    raise InvalidParameter(str(exc), name) from None
        return account

    def authenticate(self, api_key: str | None) -> Account:
        account = self.accounts.get(api_key or "")
        if account is None or account.revoked:
            raise Unauthenticated()
        return account

    def limits_for(self, account: Account, group: str) -> dict[str, int] | None:
        return self.settings.rate_limits.get(group, {}).get(account.plan)

    def take_rate(self, account: Account, group: str) -> WindowStatus | None:
        """Count the request in its group (429 when a window is full). None: the plan has no such group."""
        limits = self.limits_for(account, group)
        if not limits:
            # Free plans have no feed windows: the request is refused with a 403 further on, so count it
            # against the general counter instead of leaving it uncounted.
            limits = self.limits_for(account, "general")
            group = "general"
            if not limits:
                return None
        return self.limiter.take(account.api_key, group, limits, self.clock.now(), self.settings.rate_limits_enabled)

    def account_view(self, account: Account) -> dict[str, Any]:
        from .credits import number

        w = account.wallet
        return {
            "apiKey": account.api_key,
            "environment": "sandbox" if account.sandbox else "live",
            "plan": account.plan,
            "feed": account.feed,
            "autoApply": account.auto_apply,
            "credits": {"balance": number(w.balance), "spent": number(w.spent), "granted": number(w.granted)},
            "rateLimits": self.limiter.windows(
                account.api_key, {g: self.limits_for(account, g) for g in self.settings.rate_limits}, self.clock.now()
            ),
            "managedCompanies": list(account.managed_companies),
            "callbackUrl": account.callback_url,
            "callbackSecret": account.callback_secret,
            "previousCallbackSecret": account.previous_callback_secret,
        }

    # ── helpers ─────────────────────────────────────────────────────────────

    def catalogue(self, account: Account | None) -> Catalogue:
        cat = self.sandbox if account is not None and account.sandbox else self.live
        cat.advance(self.clock.now())
        return cat

    def _price(self, account: Account, name: str) -> int:
        if account.sandbox:
            return 0
        if name == "feed" and account.feed == "subscription":
            return 0
        return self.settings.prices.get(name, 0)

    def _precheck(self, account: Account, price: int, units: int, operation: str) -> None:
        account.wallet.precheck(price * units, operation)

    def _require_feed(self, account: Account) -> None:
        if account.plan == "free" or account.feed == "none":
            raise FeedNotIncluded()

    # ── search ──────────────────────────────────────────────────────────────

    def search(self, account: Account, params: dict[str, Any], *, advanced: bool) -> Charged:
        """``GET /api/jobs`` (query parameters) or ``POST /api/jobs/search`` (body)."""
        page, page_size = _page_params(params.get("page", 1), params.get("page_size", 25))
        strict = self.settings.strict_enums
        query = build_query(params, strict_enums=strict) if advanced else query_from_get(params, strict_enums=strict)
        facet_names = tri_state(params.get("include_facets"))
        price = self._price(account, "search")
        self._precheck(account, price, page_size, "job search")
        catalogue = self.catalogue(account)
        # Ranking and facets depend only on the catalogue and the query, not on the page: kept until
        # the catalogue changes, so paging through a result (or polling a search) ranks it once.
        key = (catalogue.sandbox, catalogue.version, advanced, _query_key(params))
        cached = self._searches.get(key)
        if cached is None:
            hits = rank(catalogue.jobs, query)
            names = DEFAULT_FACETS if facet_names is None else facet_names
            cached = self._searches[key] = (hits, facets(hits, names) if names else {})
            while len(self._searches) > SEARCH_CACHE_SIZE:
                del self._searches[next(iter(self._searches))]
        result = page_of(cached[0], cached[1], page=page, page_size=page_size)
        return Charged(result, account.wallet.debit(price * len(result.jobs)))

    def company_jobs(self, account: Account, company_id: str, params: dict[str, Any]) -> Charged:
        page, page_size = _page_params(params.get("page", 1), params.get("page_size", 25))
        posted_after = parse_time(params.get("posted_after"), "posted_after")
        cid = _uuid_param(company_id)
        catalogue = self.catalogue(account)
        company = catalogue.company(cid)
        query = build_query({})
        query.posted_after = posted_after
        price = self._price(account, "company_jobs")
        self._precheck(account, price, page_size, "company jobs listing")
        result: SearchPage = run_search(
            catalogue.by_company.get(company.id, []), query, page=page, page_size=page_size,
            include_facets=(), newest_first=True,
        )  # fmt: skip
        return Charged(result, account.wallet.debit(price * len(result.jobs)))

    def get_job(self, account: Account, job_id: str) -> Job:
        return self.catalogue(account).job(_uuid_param(job_id))

    def get_company(self, account: Account | None, company_id: str) -> Company:
        return self.catalogue(account).company(_uuid_param(company_id))

    # ── feed ────────────────────────────────────────────────────────────────

    def feed(self, account: Account, body: dict[str, Any], *, managed: bool = False) -> Charged:
        operation = "managed" if managed else "feed"
        scan = open_scan(body, operation=operation, api_key=account.api_key, signer=self.signer, managed=managed)
        if scan.first:
            # Each scan gets an id of its own, so a new scan never hands out a cursor equal to an old one
            # (a client told to restart can tell, and so can the invariant that it never reuses a cursor).
            self.scans += 1
            scan.scan_id = self.scans
        self._require_feed(account)
        company_ids = None
        if managed:
            if account.sandbox:
                raise Forbidden("Managed feeds are not available to sandbox keys.", "managed_feed_unavailable")
            company_ids = frozenset(account.managed_companies)
        query = query_for(scan, strict_enums=self.settings.strict_enums, company_ids=company_ids)
        price = self._price(account, "feed")
        self._precheck(account, price, scan.batch_size, "jobs feed")
        page: FeedPage = run_scan(
            self.catalogue(account), scan, query, operation=operation, api_key=account.api_key, signer=self.signer,
            legacy_depth_limit=self.settings.legacy_depth_limit,
        )  # fmt: skip
        return Charged(page, account.wallet.debit(price * len(page.jobs)))

    def expired(self, account: Account, params: dict[str, Any]) -> ExpiredPage:
        catalogue = self.catalogue(account)
        page = expired_page(catalogue, params, now=self.clock.now(), api_key=account.api_key, signer=self.signer)
        self._require_feed(account)
        return page

    # ── locations and connectors ────────────────────────────────────────────

    def geocode(self, account: Account, location: str | None) -> Charged:
        if location is None or not location.strip():
            raise InvalidParameter("Parameter 'location' is required.", "location")
        price = self._price(account, "geocode")
        self._precheck(account, price, 1, "geocode lookup")
        deducted = account.wallet.debit(price)  # flat: debited before the work
        return Charged(geo.geocode(location, self.geocode_cache), deducted)

    def connector_filters(self, account: Account) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for job in self.catalogue(account).active_jobs():
            counts[job.source] = counts.get(job.source, 0) + 1
        return {
            "enums": {
                "work_models": list(vocab.WORK_MODELS),
                "employment_types": list(vocab.EMPLOYMENT_TYPES),
                "experience_levels": list(vocab.EXPERIENCE_LEVELS),
            },
            "sources": [{"key": k, "count": c} for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))],
        }

    def filter_options(self, account: Account, facet: str, q: str | None, limit: int) -> dict[str, Any]:
        if facet not in ("sources", "industries", "skills"):
            raise InvalidParameter("Parameter 'facet' must be one of sources, industries, skills.", "facet")
        from .search import facet_keys

        counts: dict[str, int] = {}
        for job in self.catalogue(account).active_jobs():
            for key in facet_keys(job, facet):
                counts[key] = counts.get(key, 0) + 1
        text = (q or "").strip().lower()
        ranked = sorted(
            ((k, c) for k, c in counts.items() if text in k),
            key=lambda kv: (not kv[0].startswith(text), -kv[1], kv[0]),
        )
        return {"facet": facet, "options": [{"key": k, "count": c} for k, c in ranked[:limit]]}

    def suggest_locations(self, q: str | None, limit: int) -> dict[str, Any]:
        return {"suggestions": geo.suggest(q, limit)}

    # ── control ─────────────────────────────────────────────────────────────

    def _control_catalogue(self, sandbox: bool) -> Catalogue:
        cat = self.sandbox if sandbox else self.live
        cat.advance(self.clock.now())
        return cat

    def add_job(self, fields: dict[str, Any], *, sandbox: bool = False) -> Job:
        return self._control_catalogue(sandbox).add_job(_job_fields(fields), self.clock.now())

    def update_job(self, job_id: str, fields: dict[str, Any], *, sandbox: bool = False) -> Job:
        return self._control_catalogue(sandbox).update_job(job_id, _job_fields(fields), self.clock.now())

    def expire_job(self, job_id: str, *, sandbox: bool = False) -> Job:
        return self._control_catalogue(sandbox).expire_job(job_id, self.clock.now())

    def add_company(self, fields: dict[str, Any], *, sandbox: bool = False) -> Company:
        return self._control_catalogue(sandbox).add_company(fields)

    def find(self, job_id: str) -> tuple[Job, bool] | None:
        """A job in either catalogue, both brought up to now: ``(job, sandbox)`` (control API)."""
        for sandbox in (False, True):
            try:
                return self._control_catalogue(sandbox).job(job_id), sandbox
            except NotFound:
                continue
        return None

    def put_job(self, job_id: str, fields: dict[str, Any]) -> tuple[Job, bool, bool]:
        """Add (discovered now) or update (updated now) the job ``job_id``: ``(job, sandbox, created)``.

        ``fields`` are a world file's ``jobs`` entry; ``sandbox`` picks a new job's catalogue and must
        match an existing one's. A bad value raises :class:`InvalidParameter`."""
        job_id = _uuid_param(job_id, "jobId")
        fields = dict(fields)
        wanted = fields.pop("sandbox", None)
        fields.pop("id", None)
        found = self.find(job_id)
        if found is not None:
            job, sandbox = found
            if wanted is not None and bool(wanted) != sandbox:
                where = "sandbox" if sandbox else "live"
                raise InvalidParameter(f"Job '{job_id}' is in the {where} catalogue.", "sandbox")
            return self._with_company(lambda: self.update_job(job_id, fields, sandbox=sandbox)), sandbox, False
        sandbox = bool(wanted)
        job = self._with_company(lambda: self.add_job({**fields, "id": job_id}, sandbox=sandbox))
        return job, sandbox, True

    def expire_now(self, job_id: str) -> tuple[Job, bool] | None:
        """Expire a job at the current time (nothing changes if it already expired): ``(job, sandbox)``."""
        found = self.find(job_id)
        if found is None:
            return None
        job, sandbox = found
        return self.expire_job(job.id, sandbox=sandbox), sandbox

    @staticmethod
    def _with_company(make: Any) -> Job:
        try:
            job: Job = make()
        except NotFound as exc:  # only the company can be missing here: the job was looked up first
            raise InvalidParameter(f"company_id: no company '{exc.ident}' in this catalogue.", "company_id") from None
        return job
