"""The boundary between the engine and one simulated service (a *vendor*), and the registry of vendors.

The engine (``mock_server.core``) serves HTTP, validates against a spec, journals, runs the clock,
scenarios and webhook delivery; it knows no vendor. A vendor (``mock_server.vendors.<name>``)
brings its spec, its world, its simulated service (the *backend*), its handlers by operationId
and its error dialect, by subclassing :class:`Vendor`. moto's per-service folders around a
``moto/core`` that imports no service are the model.

Vendors are found by name: the ``uphunt_mock.vendors`` entry-point group (the project's own
``pyproject.toml`` lists ``uphunt`` and ``jobo``), or :func:`register` for a vendor defined at run
time (the tests' toy vendor). Looking a vendor up imports it by name, so core never imports a
vendor module.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from .errors import ApiError

if TYPE_CHECKING:
    from .clock import Clock
    from .runtime import Runtime
    from .scheduler import Scheduler
    from .spec import Operation

ENTRY_POINT_GROUP = "uphunt_mock.vendors"
DEFAULT_VENDOR = "uphunt"


@dataclass(slots=True)
class Ctx:
    """What a handler receives: the runtime, the authenticated principal and the validated input."""

    runtime: Runtime
    account: Any
    params: dict[str, Any]
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    operation: Operation | None = None


Result = tuple[int, Any]
"""What a handler returns: ``(status, body)``, or ``(status, body, headers)`` through :class:`Reply`."""

Handler = Callable[[Ctx], Any]


@dataclass(slots=True)
class Reply:
    """A handler's answer when it sets headers too (plain ``(status, body)`` tuples need none)."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class Backend(Protocol):
    """The simulated service of one world, rebuilt at start and on every reset.

    The engine reads only these; everything else is the vendor's own.
    """

    clock: Clock
    scheduler: Scheduler
    seed: int
    event_listeners: list[Callable[[Any], None]]

    def settle(self, max_seconds: float = ...) -> float: ...


class WorldLike(Protocol):
    """A validated world description: ``build`` makes a fresh backend from it on a clock."""

    data: dict[str, Any]
    seed: int

    def settings_section(self, name: str) -> dict[str, Any]: ...

    def build(self, clock: Clock) -> Any: ...


@dataclass(slots=True)
class StateList:
    """One list of the state (e.g. applications): its length and how to render ``[start:stop]`` of it."""

    length: int
    page: Callable[[int, int], list[dict[str, Any]]]

    def __len__(self) -> int:
        return self.length


class Vendor:
    """One simulated service. Subclass it, fill in the class attributes, override what differs.

    The request pipeline (:mod:`mock_server.core.app`) calls, per API request:
    :meth:`authenticate` (401), :meth:`admit` (rate limits: 429), spec validation (400/422),
    the handler from :attr:`handlers` by the operation's ``x-mock-handler`` (or operationId),
    and :meth:`render_error` for every refusal.
    """

    name: ClassVar[str]
    title: ClassVar[str]  # how people call the API, e.g. "UpHunt"
    spec_name: ClassVar[str]  # a file in openapi/: the contract, the registry of operations
    demo_api_key: ClassVar[str]
    handlers: ClassVar[Mapping[str, Handler]]
    domain_errors: ClassVar[tuple[type[Exception], ...]] = ()  # translated by translate_error
    # Snapshot/restore replays the inputs on a fresh backend (mock_server.core.snapshot): set True
    # once the backend reads time only from its clock and randomness only from seeded sources.
    snapshots: ClassVar[bool] = False
    # ``module:function`` of the vendor's client invariants (``uphunt-mock verify``); None: it has none.
    client_invariants: ClassVar[str | None] = None

    # ── the world ───────────────────────────────────────────────────────

    def load_world(self, path: str | Path | None = None, seed: int | None = None) -> WorldLike:
        raise NotImplementedError

    def world_from_data(self, data: dict[str, Any], seed: int) -> WorldLike:
        """A world from an already validated description (a snapshot's); by default the default world's class."""
        return type(self.load_world())(data, seed)  # type: ignore[call-arg]

    # ── the request pipeline ────────────────────────────────────────────

    def authenticate(self, rt: Runtime, op: Operation, headers: Mapping[str, str]) -> Any:
        """The principal (account) the request acts for; raise an :class:`ApiError` (401) otherwise."""
        raise NotImplementedError

    def admit(self, rt: Runtime, op: Operation, principal: Any, headers: Mapping[str, str]) -> dict[str, str]:
        """Rate limits: the headers every answer carries, or raise an :class:`ApiError` (429)."""
        return {}

    def translate_error(self, exc: Exception) -> ApiError:
        """A domain error (one of :attr:`domain_errors`) as the vendor's typed :class:`ApiError`."""
        raise exc

    def render_error(self, rt: Runtime | None, exc: ApiError, op: Operation | None) -> tuple[int, Any, dict[str, str]]:
        """``(status, body, headers)`` of a refusal, in the dialect of ``op`` (None: before routing) and of
        ``rt``'s world (a world may choose among a vendor's error formats)."""
        return exc.status, {"error": exc.message}, dict(exc.headers)

    def spending_is_free(self, api_key: str) -> bool:
        """True when ``api_key`` is never charged (a sandbox key): the contract checker's read-only mode
        then also runs the operations whose only effect is spending (``x-mock-effect: spend``)."""
        return False

    def fit_contract_case(self, case: Any) -> None:
        """Make a *positive* schemathesis case satisfy rules the spec states only in prose (contract checks)."""

    # ── the control API ─────────────────────────────────────────────────

    def account_view(self, rt: Runtime, api_key: str) -> dict[str, Any] | None:
        return None

    def put_account(self, rt: Runtime, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        raise ValueError(f"the {self.name} vendor has no account control")

    def state(self, rt: Runtime) -> dict[str, Any]:
        """The whole state in one mapping (small worlds; vendors with :meth:`state_lists` need not override it)."""
        lists = self.state_lists(rt)
        return {name: section.page(0, len(section)) for name, section in lists.items()} if lists else {}

    def api_keys(self, rt: Runtime) -> list[str]:
        """The world's API keys, unmasked (``/docs`` pre-fills the first for "Try it out"); from :meth:`state` by default."""
        return [a["apiKey"] for a in self.state(rt).get("accounts") or [] if isinstance(a, dict) and "apiKey" in a]

    def state_lists(self, rt: Runtime) -> dict[str, StateList] | None:
        """The state as named lists rendered a page at a time (``GET /_mock/state?limit=&cursor=``).

        None: the vendor has only :meth:`state`, which is answered whole. The order of the
        mapping is the order of the cursor's offsets.
        """
        return None

    def settings_view(self, rt: Runtime) -> dict[str, Any]:
        """The run-time settings ``GET /_mock/settings`` shows (what :meth:`update_settings` can change)."""
        return {}

    def update_settings(self, rt: Runtime, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the run-time settings (``PATCH /_mock/settings``); ValueError names a bad key."""
        if changes:
            raise ValueError(f"the {self.name} vendor has no run-time settings (got {', '.join(sorted(changes))})")
        return self.settings_view(rt)

    # The job catalogue (``/_mock/jobs/{jobId}``): optional. A vendor without an editable catalogue
    # keeps these, and the control API answers 501 naming the vendor.

    def job_state(self, rt: Runtime, job_id: str) -> dict[str, Any] | None:
        """A job's control view (``CatalogueJob`` in control.yaml), or None when there is no such job."""
        raise NotSupported(f"The {self.title} vendor has no job control")

    def put_job(self, rt: Runtime, job_id: str, fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Add (discovered now) or update (updated now) a job: ``(view, created)``; ValueError for a bad value."""
        raise NotSupported(f"The {self.title} vendor has no job control")

    def expire_job(self, rt: Runtime, job_id: str) -> dict[str, Any] | None:
        """Expire a job now (idempotent): its view, or None when there is no such job."""
        raise NotSupported(f"The {self.title} vendor has no job control")

    def dashboard_source(self) -> Any:
        """What the live dashboard draws of this vendor (:class:`mock_server.core.dashboard.source.DashboardSource`), or None."""
        return None

    # ── scenarios and webhooks ──────────────────────────────────────────

    def scenario_hooks(self) -> Any:
        """The vendor's scenario vocabulary (:class:`mock_server.core.scenarios.VendorScenarios`), or None."""
        return None

    def webhook_url(self, backend: Any, api_key: str) -> str | None:
        """Where events of ``api_key`` are delivered (None: nowhere)."""
        return None

    def webhook_headers(self, delivery_id: str, event: Any, body: bytes, attempt: int, now_ms: int) -> dict[str, str]:
        """The vendor's delivery headers (ids, event type, signatures)."""
        return {}

    def webhook_body(self, event: Any, frozen: bytes, attempt: int) -> bytes:
        """The body of delivery attempt ``attempt`` (default: the body frozen when the event happened)."""
        return frozen

    def webhook_retry_delays(self, event: Any) -> Sequence[float] | None:
        """Seconds between this event's attempts (attempt n+1 comes ``delays[n-1]`` after attempt n; as many
        attempts as delays + 1), or None for the world's exponential backoff."""
        return None

    def webhook_response(
        self, backend: Any, event: Any, attempt: int, status: int | None, body: bytes | None, last: bool
    ) -> bool:
        """Called after every delivery attempt with the receiver's answer (``status`` None: no answer;
        ``last``: no attempt follows by the schedule). True stops the retries: the vendor handled it."""
        return False


class NotSupported(Exception):
    """The vendor has no such control (the control API answers 501 with the message)."""


_registered: dict[str, Vendor] = {}
_loaded: dict[str, Vendor] = {}


def register(vendor: Vendor) -> None:
    """Make ``vendor`` available by its name (e.g. a vendor defined in a test suite)."""
    _registered[vendor.name] = vendor


def unregister(name: str) -> None:
    _registered.pop(name, None)


def available() -> list[str]:
    """Every vendor name that :func:`get_vendor` can find."""
    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)} | set(_registered)
    return sorted(names)


def get_vendor(name: str | None = None) -> Vendor:
    """The vendor called ``name`` (default ``uphunt``); ValueError naming the known ones otherwise."""
    name = name or DEFAULT_VENDOR
    if name in _registered:
        return _registered[name]
    if name in _loaded:
        return _loaded[name]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            module_name, _, attr = ep.value.partition(":")
            vendor = getattr(importlib.import_module(module_name), attr or "VENDOR")
            _loaded[name] = vendor
            return vendor
    if not name.isidentifier():
        raise ValueError(f"unknown vendor {name!r} (known: {', '.join(available())})")
    try:  # a source checkout that was not (re)installed: the vendors package by convention
        vendor = importlib.import_module(f"mock_server.vendors.{name}").VENDOR
    except (ImportError, AttributeError):
        known = ", ".join(available()) or "none installed"
        raise ValueError(f"unknown vendor {name!r} (known: {known})") from None
    _loaded[name] = vendor
    return vendor
