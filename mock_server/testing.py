"""Test a client integration against the mock: a server in a thread, a handle, fault schedules, invariants.

What a user's test suite needs, usable with or without pytest (the pytest
plugin, :mod:`mock_server.pytest_plugin`, is a thin layer over this module):

* :func:`serve` / :class:`MockServer`: a real uvicorn server on a free
  127.0.0.1 port in a background thread, manual clock by default;
* :class:`UpHuntMock`: the handle tests talk to. It drives the mock through
  the HTTP control API (``/_mock/...``) only, so it works the same against a
  mock in another process (:meth:`UpHuntMock.connect`);
* :class:`RequestLog`: the request journal with assertion helpers;
* hypothesis strategies that generate :class:`FaultSchedule` objects (injected
  429 + Retry-After, 500, 503, delays, dropped connections, forced outcomes)
  and turn them into scenario documents;
* invariants (:func:`check_client`, :func:`assert_client_behaved`) that hold
  for any well-behaved client against any schedule: no duplicate applies,
  Retry-After respected, polling cadence, retryable retried with backoff,
  terminal not retried.

Waiting clients must not really sleep in tests: give them ``mock.sleep`` (which
advances the manual clock) and ``mock.time`` (which reads it).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .world import DEMO_API_KEY

__all__ = [
    "MockServer",
    "UpHuntMock",
    "Request",
    "RequestLog",
    "serve",
]

APPLY = "applyToJob"
STATUS = "getApplicationStatus"
# Seconds of slack the timing invariants allow (jitter, rounding to the journal's milliseconds).
TOLERANCE = 0.001


# ── the server ───────────────────────────────────────────────────────────────


class MockServer:
    """A uvicorn server for one :class:`~mock_server.runtime.Runtime`, in a daemon thread.

    Binds 127.0.0.1 on a free port before the thread starts, so the port is
    known at once and two servers (e.g. two xdist workers) can never collide.
    """

    def __init__(
        self,
        world: str | Path | None = None,
        clock: str = "manual",
        seed: int | None = None,
    ) -> None:
        self.world = world
        self.clock = clock
        self.seed = seed
        self.base_url = ""
        self.runtime: Any = None  # the in-process Runtime, for white-box tests; the handle never needs it
        self._thread: Any = None

    def start(self, timeout: float = 10.0) -> MockServer:
        from .http.app import create_app
        from .runtime import Runtime
        from .serving import ServerThread
        from .world import World

        _quiet_dropped_connections()
        world = World.from_file(self.world, seed=self.seed) if self.world else World.default(seed=self.seed or 0)
        self.runtime = Runtime(world, clock=self.clock)
        self._thread = ServerThread(create_app(self.runtime), startup_timeout=timeout).start()
        self.base_url = self._thread.base_url
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.stop(timeout)
            self._thread = None

    def handle(self, api_key: str = DEMO_API_KEY) -> UpHuntMock:
        return UpHuntMock(self.base_url, api_key=api_key, server=self)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _DroppedConnectionFilter(logging.Filter):
    """uvicorn logs an ERROR for every connection a scenario drops on purpose; tests expect those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def _quiet_dropped_connections() -> None:
    log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DroppedConnectionFilter) for f in log.filters):
        log.addFilter(_DroppedConnectionFilter())


@contextmanager
def serve(
    world: str | Path | None = None,
    scenarios: Sequence[str | Path | dict[str, Any]] = (),
    clock: str = "manual",
    seed: int | None = None,
    api_key: str = DEMO_API_KEY,
) -> Iterator[UpHuntMock]:
    """Start a mock, yield its handle (scenarios loaded), stop it::

        with serve() as mock:
            httpx.post(mock.base_url + "/api/auto-apply-v2/apply", headers=mock.headers, json={...})
    """
    with MockServer(world=world, clock=clock, seed=seed) as server:
        mock = server.handle(api_key)
        try:
            for scenario in scenarios:
                mock.load_scenario(scenario)
            yield mock
        finally:
            mock.close()


# ── the handle ───────────────────────────────────────────────────────────────


class MockError(AssertionError):
    """The control API refused a request (e.g. an invalid scenario): the status and its body."""

    def __init__(self, status: int, body: Any, what: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{what}: HTTP {status}: {json.dumps(body) if not isinstance(body, str) else body}")


class UpHuntMock:
    """What a test holds: the mock's address, the demo key, and control over time, scenarios and state.

    Every method is a call to the control API (``/_mock/...``) of the server at
    ``base_url``, so a handle works against any running mock.
    """

    def __init__(self, base_url: str, api_key: str = DEMO_API_KEY, server: MockServer | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.server = server
        self.default_scenarios: list[str | Path | dict[str, Any]] = []
        # verify=False: plain http on localhost; building the default SSL context costs ~0.2 s per client.
        self._http = httpx.Client(base_url=self.base_url, timeout=30.0, verify=False)
        self._now: float | None = None  # the clock as of this handle's last clock operation

    @classmethod
    def connect(cls, base_url: str, api_key: str = DEMO_API_KEY) -> UpHuntMock:
        """A handle on a mock started elsewhere (``uphunt-mock serve --clock manual``)."""
        return cls(base_url, api_key)

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"<UpHuntMock {self.base_url} api_key={self.api_key!r}>"

    # ── plumbing ──

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        res = self._http.request(method, path, **kwargs)
        try:
            body = res.json()
        except ValueError:
            body = res.text
        if res.status_code >= 400:
            raise MockError(res.status_code, body, what)
        return body

    @property
    def headers(self) -> dict[str, str]:
        """Headers that authenticate as :attr:`api_key`."""
        return {"x-api-key": self.api_key}

    def client(self, api_key: str | None = None, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on the mock, authenticated with ``api_key`` (default: the handle's)."""
        headers = {"x-api-key": api_key or self.api_key, **kwargs.pop("headers", {})}
        kwargs.setdefault("verify", False)  # plain http: skip building an SSL context (~0.2 s)
        return httpx.Client(base_url=self.base_url, headers=headers, **kwargs)

    # ── time ──

    def time(self) -> float:
        """The simulated clock, Unix seconds (read from the mock)."""
        self._now = self._call("GET", "/_mock/clock", "read the clock")["now"] / 1000
        return self._now

    def monotonic(self) -> float:
        """The simulated clock as of this handle's last clock operation, without a request.

        Pass it with :meth:`sleep` to a client under test (``clock=mock.monotonic, sleep=mock.sleep``):
        with the manual clock, time moves only through this handle, so this is exact and saves a
        request per poll. Use :meth:`time` if something else moves the clock.
        """
        return self._now if self._now is not None else self.time()

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the manual clock ``seconds`` forward, running every event that falls due."""
        result = self._call("POST", "/_mock/clock/advance", "advance the clock", json={"seconds": seconds})
        self._now = result["now"] / 1000
        return result

    def sleep(self, seconds: float) -> None:
        """A ``time.sleep`` replacement for the client under test: advances the mock's clock instead."""
        if seconds > 0:
            self.advance(seconds)

    def settle(self, max_seconds: float = 3600.0) -> float:
        """Advance until no application is processing (at most ``max_seconds``). Returns seconds advanced."""
        advanced = 0.0
        for _ in range(10_000):  # bounded: one step per pending pickup or outcome
            state = self.state()
            now = state["clock"]["now"] / 1000
            pending = [a for a in state["applications"] if a["applicationStatus"] == "processing"]
            if not pending:
                break
            due = [t / 1000 for a in pending for t in (a.get("pickupAt"), a.get("completesAt")) if t is not None]
            future = [t for t in due if t > now]
            step = (min(future) - now) if future else 1.0
            step = min(step, max_seconds - advanced)
            if step <= 0:
                break
            self.advance(step)
            advanced += step
        return advanced

    # ── world ──

    def reset(self) -> None:
        """Back to the world as loaded: state, clock, journal; then only the default scenarios are loaded."""
        self.clear_scenarios()  # first: a reset re-runs the start rules (e.g. latency) of loaded scenarios
        self._now = self._call("POST", "/_mock/reset", "reset")["clock"]["now"] / 1000
        for scenario in self.default_scenarios:
            self.load_scenario(scenario)

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/_mock/state", "read the state")

    def applications(self) -> list[dict[str, Any]]:
        """Every application (status record plus createdAt, pickupAt, completesAt), in creation order."""
        return self.state()["applications"]

    def account(self, api_key: str | None = None) -> dict[str, Any]:
        """``{"apiKey", "agencyId", "credits": {"available", "reserved", "spent", "granted"}, "connects", ...}``."""
        key = api_key or self.api_key
        return self._call("GET", f"/_mock/accounts/{key}", f"read account {key}")

    def put_account(self, api_key: str | None = None, **changes: Any) -> dict[str, Any]:
        """Create or update an account: ``credits``, ``connects``, ``agencyId``, ``freelancers``, ``webhookUrl``."""
        key = api_key or self.api_key
        return self._call("PUT", f"/_mock/accounts/{key}", f"update account {key}", json=changes)

    # ── scenarios ──

    def load_scenario(self, scenario: str | Path | dict[str, Any]) -> list[dict[str, Any]]:
        """Load a scenario: a file path, YAML text, or a document (dict). Returns the loaded scenarios."""
        if isinstance(scenario, FaultSchedule):
            scenario = scenario.to_scenario()
        if isinstance(scenario, dict):
            body = self._call("POST", "/_mock/scenarios", "load scenario", json=scenario)
        else:
            text = str(scenario)
            if isinstance(scenario, Path) or ("\n" not in text and text.endswith((".yaml", ".yml", ".json"))):
                text = Path(scenario).read_text()
            body = self._call(
                "POST", "/_mock/scenarios", f"load scenario {scenario}", content=text.encode(),
                headers={"content-type": "application/yaml"},
            )
        return body["scenarios"]

    def scenarios(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_mock/scenarios", "list scenarios")["scenarios"]

    def clear_scenarios(self) -> None:
        res = self._http.delete("/_mock/scenarios")
        if res.status_code not in (200, 501):  # 501: scenario engine not built into this mock
            raise MockError(res.status_code, res.text, "clear scenarios")

    # ── observations ──

    @property
    def requests(self) -> RequestLog:
        """The request journal, oldest first (a fresh copy on every access)."""
        return RequestLog(Request.from_dict(e) for e in self._call("GET", "/_mock/requests", "read the journal")["requests"])

    def clear_requests(self) -> None:
        self._call("DELETE", "/_mock/requests", "clear the journal")

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every webhook delivery with its attempts (``GET /_mock/webhooks/deliveries``)."""
        return self._call("GET", "/_mock/webhooks/deliveries", "read webhook deliveries")["deliveries"]


# ── the journal ──────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Request:
    """One journal entry. ``time`` is simulated Unix seconds; ``status`` what the mock answered."""

    id: int
    time: float
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    status: int
    operation_id: str | None
    matched_rule: str | None
    latency_ms: float = 0.0

    @classmethod
    def from_dict(cls, e: dict[str, Any]) -> Request:
        return cls(
            id=e["id"], time=e["time"] / 1000, method=e["method"], path=e["path"], query=e["query"],
            headers=e["headers"], body=e["body"], status=e["status"], operation_id=e["operationId"],
            matched_rule=e["matchedRule"], latency_ms=e.get("latencyMs", 0.0),
        )

    @property
    def job_id(self) -> str | None:
        """The job this request is about: the apply body's ``jobId`` or the status query's."""
        if isinstance(self.body, dict) and isinstance(self.body.get("jobId"), str):
            return self.body["jobId"]
        value = self.query.get("jobId")
        return value if isinstance(value, str) else None

    @property
    def queue_id(self) -> str | None:
        value = self.query.get("queueId")
        return value if isinstance(value, str) else None

    @property
    def api_key(self) -> str | None:
        """The masked API key the request carried."""
        return self.headers.get("x-api-key")

    def __str__(self) -> str:
        what = self.queue_id or self.job_id or ""
        rule = f" [rule {self.matched_rule}]" if self.matched_rule else ""
        return f"#{self.id} t={self.time:.3f} {self.method} {self.path} {what} -> {self.status}{rule}".replace("  ", " ")


class RequestLog(list[Request]):
    """The journal as a list of :class:`Request`, with filters and assertions."""

    def for_operation(self, operation_id: str) -> RequestLog:
        return RequestLog(r for r in self if r.operation_id == operation_id)

    def for_job(self, job_id: str) -> RequestLog:
        return RequestLog(r for r in self if r.job_id == job_id)

    def for_queue(self, queue_id: str) -> RequestLog:
        return RequestLog(r for r in self if r.queue_id == queue_id)

    def with_status(self, *statuses: int) -> RequestLog:
        return RequestLog(r for r in self if r.status in statuses)

    def after(self, entry: Request) -> RequestLog:
        return RequestLog(r for r in self if r.id > entry.id)

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self]

    @property
    def times(self) -> list[float]:
        """Simulated seconds since the first request."""
        return [r.time - self[0].time for r in self] if self else []

    def gaps(self) -> list[float]:
        """Seconds between consecutive requests."""
        return [round(b.time - a.time, 3) for a, b in zip(self, self[1:], strict=False)]

    def assert_no_request_within(self, seconds: float, after: Request, operation: str | None = None) -> None:
        """No request (of ``operation``, if given) arrived less than ``seconds`` after ``after`` (e.g. a 429)."""
        early = [
            r for r in self.after(after)
            if r.time - after.time < seconds - TOLERANCE and (operation is None or r.operation_id == operation)
        ]
        if early:
            lines = "\n  ".join(f"{r}  ({r.time - after.time:.3f} s after)" for r in early)
            raise AssertionError(f"requests within {seconds} s after {after}:\n  {lines}")

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self)


# ── fault schedules ──────────────────────────────────────────────────────────

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
TERMINAL_STATUSES = frozenset({400, 401, 402, 404, 409, 422})
RETRYABLE_OUTCOMES = frozenset({"logged_out"})
TERMINAL_OUTCOMES = frozenset({"not_eligible", "not_available"})
OUTCOMES = ("applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out")
NO_RESPONSE = 0  # journal status of a request whose connection the mock dropped


@dataclass(frozen=True)
class Respond:
    """Answer the request with ``status`` (and ``Retry-After: retry_after`` seconds) instead of handling it."""

    status: int
    retry_after: int | None = None

    def __repr__(self) -> str:
        extra = f", retry_after={self.retry_after}" if self.retry_after is not None else ""
        return f"Respond({self.status}{extra})"


@dataclass(frozen=True)
class Drop:
    """Close the connection without an answer (the client sees a transport error)."""

    def __repr__(self) -> str:
        return "Drop()"


@dataclass(frozen=True)
class Delay:
    """Handle the request normally but answer ``seconds`` later."""

    seconds: float

    def __repr__(self) -> str:
        return f"Delay({self.seconds:g})"


@dataclass(frozen=True)
class Outcome:
    """Force an application's terminal state (``logged_out``, ``not_enough_connects``, ``applied``...)."""

    status: str

    def __repr__(self) -> str:
        return f"Outcome({self.status!r})"


Fault = Respond | Drop | Delay


@dataclass(frozen=True)
class FaultSchedule:
    """What goes wrong, in order: the Nth apply request gets ``apply[N-1]`` (``None``: served normally),
    the Nth status request ``status[N-1]``, the Nth application ends as ``outcomes[N-1]`` (``None``: the
    world decides); ``submission`` fixes how many seconds every submission takes (the slow tail).

    Its repr is what hypothesis prints as a falsifying example, so it is kept short.
    """

    apply: tuple[Fault | None, ...] = ()
    status: tuple[Fault | None, ...] = ()
    outcomes: tuple[Outcome | None, ...] = ()
    submission: float | None = None
    name: str = field(default="fault-schedule", compare=False)

    def __repr__(self) -> str:
        parts = [f"{k}={list(getattr(self, k))!r}" for k in ("apply", "status", "outcomes") if getattr(self, k)]
        if self.submission is not None:
            parts.append(f"submission={self.submission:g}")
        return f"FaultSchedule({', '.join(parts)})"

    @property
    def is_empty(self) -> bool:
        return self.submission is None and not any(f is not None for f in (*self.apply, *self.status, *self.outcomes))

    def _rules(self) -> list[tuple[dict[str, Any], Fault | Outcome | None]]:
        """(scenario rule, fault) in document order. The engine stops at the first rule that answers,
        so the rules of one counter go from the highest ``nth`` down: each then counts every request
        before its own."""
        out: list[tuple[dict[str, Any], Fault | Outcome | None]] = []
        for op, faults in ((APPLY, self.apply), (STATUS, self.status)):
            for n in range(len(faults), 0, -1):
                fault = faults[n - 1]
                if fault is not None:
                    out.append((_request_rule(op, n, fault), fault))
        for n in range(len(self.outcomes), 0, -1):
            outcome = self.outcomes[n - 1]
            if outcome is not None:
                out.append(({"name": f"outcome #{n}", "match": {"nth": n}, "outcome": outcome.status}, outcome))
        if self.submission is not None:
            s = float(self.submission)
            out.append(({"name": "submission time", "latency": {"submission": {"median": s, "p95": s, "low": s, "high": s}}}, None))
        return out

    def to_scenario(self) -> dict[str, Any]:
        """The scenario document that injects this schedule (load it with ``mock.load_scenario``)."""
        rules = [rule for rule, _ in self._rules()]
        if not rules:  # a scenario needs a rule: one that never matches
            rules = [{"name": "no faults", "match": {"operationId": APPLY, "probability": 0}, "respond": {"status": 500}}]
        return {"name": self.name, "description": repr(self), "rules": rules}

    def fault_for(self, request: Request) -> Fault | Outcome | None:
        """The fault that acted on a journal entry (its ``matchedRule`` is ``<scenario>/<index>``)."""
        prefix, _, index = (request.matched_rule or "").rpartition("/")
        rules = self._rules()
        if prefix == self.name and index.isdigit() and int(index) < len(rules):
            return rules[int(index)][1]
        return None

    def retry_after_for(self, request: Request) -> float | None:
        fault = self.fault_for(request)
        return float(fault.retry_after) if isinstance(fault, Respond) and fault.retry_after is not None else None


def _request_rule(operation: str, nth: int, fault: Fault) -> dict[str, Any]:
    """One request fault as a scenario rule (format: docs/guide/scenarios.md)."""
    rule: dict[str, Any] = {"name": f"{operation} #{nth}", "match": {"operationId": operation, "nth": nth}}
    if isinstance(fault, Respond):
        rule["respond"] = {"status": fault.status}
        if fault.retry_after is not None:
            rule["respond"]["retryAfter"] = fault.retry_after
    elif isinstance(fault, Drop):
        rule["drop"] = True
    elif isinstance(fault, Delay):
        rule["delay"] = {"seconds": fault.seconds}
    return rule


# ── hypothesis strategies ───────────────────────────────────────────────────
# hypothesis is a test dependency: imported when a strategy is built, not with this module.


def retryable_faults(max_retry_after: int = 60) -> Any:
    """429 with a Retry-After of 1..max_retry_after s, 500, 503, or a dropped connection."""
    from hypothesis import strategies as st

    return st.one_of(
        st.builds(Respond, st.just(429), st.integers(1, max_retry_after)),
        st.sampled_from([Respond(500), Respond(503), Drop()]),
    )


def terminal_faults() -> Any:
    """An error that retrying cannot fix: 400, 401, 402, 404, 409 or 422."""
    from hypothesis import strategies as st

    return st.sampled_from([Respond(s) for s in sorted(TERMINAL_STATUSES)])


def faults(retryable: bool = True, terminal: bool = True, max_retry_after: int = 60) -> Any:
    """Any injectable HTTP fault (``None`` = the request is served normally)."""
    from hypothesis import strategies as st

    options = [st.none()]
    if retryable:
        options.append(retryable_faults(max_retry_after))
    if terminal:
        options.append(terminal_faults())
    return st.one_of(*options)


def outcomes(statuses: Iterable[str] = ("logged_out", "not_enough_connects", "not_eligible", "not_available", "failed", "applied")) -> Any:
    """A forced outcome of one application (``None`` = the world decides)."""
    from hypothesis import strategies as st

    return st.one_of(st.none(), st.builds(Outcome, st.sampled_from(list(statuses))))


def submission_times(low: float = 10, high: float = 420) -> Any:
    """How long every submission takes (whole seconds), ``None`` for the world's latency model.

    Above ~300 s the application is still processing when the documented 5-minute polling
    window closes (the slow tail); above 60 s polling switches to the 15 s cadence.
    """
    from hypothesis import strategies as st

    return st.one_of(st.none(), st.integers(int(low), int(high)).map(float))


def fault_schedules(
    apply: Any = None,
    status: Any = None,
    outcome: Any = None,
    submission: Any = None,
    max_apply: int = 4,
    max_status: int = 3,
    max_outcomes: int = 2,
) -> Any:
    """Fault schedules: up to ``max_apply`` faults on apply requests, ``max_status`` on status polls,
    ``max_outcomes`` forced outcomes and a submission time. Pass a strategy to narrow a part
    (``apply=retryable_faults()``, ``submission=st.just(None)``), or a max of 0 to leave it alone.
    """
    from hypothesis import strategies as st

    apply = faults() if apply is None else apply
    status = faults(terminal=False) if status is None else status
    outcome = outcomes() if outcome is None else outcome
    submission = submission_times() if submission is None else submission
    return st.builds(
        FaultSchedule,
        apply=st.lists(apply, max_size=max_apply).map(tuple),
        status=st.lists(status, max_size=max_status).map(tuple),
        outcomes=st.lists(outcome, max_size=max_outcomes).map(tuple),
        submission=submission,
    )


# ── invariants ───────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Violation:
    """One broken invariant: which check, what happened, and the journal entries that show it."""

    check: str
    message: str
    requests: tuple[Request, ...] = ()

    def __str__(self) -> str:
        shown = "".join(f"\n      {r}" for r in self.requests)
        return f"[{self.check}] {self.message}{shown}"


@dataclass(frozen=True)
class Recipe:
    """The documented client behaviour the invariants hold a client to (SEED-000, SEED-001/002)."""

    max_attempts: int = 4  # per job: apply requests in a row that fail retryably (SEED-000)
    backoff_base: float = 0.5  # attempt k waits at least 2^k * base seconds (SEED-000)
    poll_fast: float = 5.0  # poll interval during the first minute (SEED-001)
    poll_slow: float = 15.0  # ... and after it
    fast_phase: float = 60.0
    give_up_after: float = 300.0  # stop polling 5 minutes after the apply
    outcome_retry_delay: float = 1.0  # a logged_out application is re-applied no sooner than this


DEFAULT_RECIPE = Recipe()


class _Context:
    """The journal and the applications, joined: which request created which application, job aliases."""

    def __init__(self, log: Sequence[Request], applications: Sequence[dict[str, Any]], schedule: FaultSchedule | None):
        self.log = list(log)
        self.apps = list(applications)
        self.schedule = schedule
        self.applies = [r for r in self.log if r.operation_id == APPLY]
        self.polls = [r for r in self.log if r.operation_id == STATUS]
        self.alias: dict[str, str] = {}
        for a in self.apps:
            self.alias[a["jobId"]] = a["jobId"]
            self.alias[a["processedJobId"]] = a["jobId"]
        self.created_by: dict[int, dict[str, Any]] = {}  # request id -> application it created
        claimed: set[str] = set()
        for r in self.applies:
            if r.status != 200:
                continue
            at = [a for a in self.apps if a["queueId"] not in claimed and a["createdAt"] == round(r.time * 1000)
                  and a["apiKey"] == r.api_key]
            exact = [a for a in at if r.job_id in (a["jobId"], a["processedJobId"])]
            chosen = (exact or at or [None])[0]
            if chosen is not None:
                claimed.add(chosen["queueId"])
                self.created_by[r.id] = chosen
                if r.job_id:
                    self.alias.setdefault(r.job_id, chosen["jobId"])
        self.creator = {a["queueId"]: r for r, a in ((self._req(i), a) for i, a in self.created_by.items())}

    def _req(self, request_id: int) -> Request:
        return next(r for r in self.log if r.id == request_id)

    def job_key(self, r: Request) -> tuple[str | None, str | None]:
        job = r.job_id
        return r.api_key, (self.alias.get(job, job) if job else None)

    def app_key(self, a: dict[str, Any]) -> tuple[str, str]:
        return a["apiKey"], a["jobId"]

    def client_apps(self) -> list[dict[str, Any]]:
        """Applications created by requests in the journal (not the world's preseeded ones)."""
        return [a for a in self.apps if a["queueId"] in self.creator]

    def polls_of(self, app: dict[str, Any]) -> list[Request]:
        """Status requests about ``app``: by its queueId, or by its job while it was the latest one."""
        later = [b["createdAt"] for b in self.client_apps()
                 if self.app_key(b) == self.app_key(app) and b["createdAt"] > app["createdAt"]]
        until = min(later) if later else math.inf
        out = []
        for r in self.polls:
            if r.queue_id is not None:
                if r.queue_id == app["queueId"]:
                    out.append(r)
            elif self.job_key(r) == self.app_key(app) and app["createdAt"] <= r.time * 1000 < until:
                out.append(r)
        return out

    def seen_terminal(self, app: dict[str, Any]) -> Request | None:
        """The first poll that answered with ``app``'s terminal state."""
        if app["applicationStatus"] == "processing" or app["completesAt"] is None:
            return None
        return next((p for p in self.polls_of(app) if p.status == 200 and p.time * 1000 >= app["completesAt"]), None)


def _no_duplicate_applies(ctx: _Context, recipe: Recipe) -> list[Violation]:
    out = []
    for r in ctx.applies:
        key = ctx.job_key(r)
        if key[1] is None:
            continue
        own = ctx.created_by.get(r.id)
        t = r.time * 1000
        for a in ctx.apps:
            if a is own or ctx.app_key(a) != key or a["createdAt"] > t:
                continue
            creator = ctx.creator.get(a["queueId"])
            if creator is not None and creator.id > r.id:
                continue
            done = a["applicationStatus"] != "processing" and a["completesAt"] is not None and a["completesAt"] <= t
            if not done or a["applicationStatus"] == "applied":
                state = "applied" if done else "processing"
                shown = (creator, r) if creator is not None else (r,)
                out.append(Violation("no-duplicate-apply", f"applied to {key[1]} again while {a['queueId']} was {state}", shown))
                break
    return out


def _retry_after_respected(ctx: _Context, recipe: Recipe) -> list[Violation]:
    out = []
    for r in ctx.log:
        if r.status != 429 or ctx.schedule is None:
            continue
        wait = ctx.schedule.retry_after_for(r)
        if wait is None:
            continue
        nxt = next((x for x in ctx.log if x.id > r.id and x.operation_id == r.operation_id and x.api_key == r.api_key), None)
        if nxt is not None and nxt.time - r.time < wait - TOLERANCE:
            out.append(Violation(
                "retry-after", f"next {r.operation_id} came {nxt.time - r.time:g} s after a 429 with Retry-After: {wait:g}",
                (r, nxt)))
    return out


def _polling_cadence(ctx: _Context, recipe: Recipe) -> list[Violation]:
    out = []
    for a in ctx.client_apps():
        polls = ctx.polls_of(a)
        if not polls:
            continue
        t0 = a["createdAt"] / 1000
        seen = ctx.seen_terminal(a)
        if seen is not None:
            extra = [p for p in polls if p.id > seen.id]
            if extra:
                out.append(Violation("polling-stops-at-terminal",
                                     f"{len(extra)} more poll(s) of {a['queueId']} after it was seen {a['applicationStatus']}",
                                     (seen, extra[0])))
        late = [p for p in polls if p.time - t0 > recipe.give_up_after + TOLERANCE]
        if late:
            out.append(Violation("polling-gives-up",
                                 f"still polling {a['queueId']} {late[0].time - t0:g} s after the apply "
                                 f"(limit {recipe.give_up_after:g} s; {len(late)} poll(s) too late)", (late[0],)))
        for p, q in zip(polls, polls[1:], strict=False):
            if seen is not None and p.id >= seen.id:
                break
            elapsed = p.time - t0
            interval = recipe.poll_fast if elapsed < recipe.fast_phase - TOLERANCE else recipe.poll_slow
            gap = q.time - p.time
            if gap < interval - TOLERANCE:
                out.append(Violation("polling-cadence",
                                     f"polled {a['queueId']} {gap:g} s apart at {elapsed:g} s after the apply "
                                     f"(documented: every {interval:g} s)", (p, q)))
                break
            allowed = max(interval, (ctx.schedule.retry_after_for(p) or 0) if ctx.schedule and p.status == 429 else 0)
            if gap > allowed + TOLERANCE:
                out.append(Violation("polling-cadence",
                                     f"waited {gap:g} s between polls of {a['queueId']} at {elapsed:g} s after the apply "
                                     f"(documented: every {interval:g} s)", (p, q)))
                break
    return out


def _groups(ctx: _Context) -> dict[tuple[str | None, str | None], list[Request]]:
    groups: dict[tuple[str | None, str | None], list[Request]] = {}
    for r in ctx.applies:
        groups.setdefault(ctx.job_key(r), []).append(r)
    return groups


def _retryable_retried(ctx: _Context, recipe: Recipe) -> list[Violation]:
    out = []
    for (_key, job), reqs in _groups(ctx).items():
        streak = 0
        for i, r in enumerate(reqs):
            if r.status not in RETRYABLE_STATUSES and r.status != NO_RESPONSE:
                streak = 0
                continue
            streak += 1
            nxt = reqs[i + 1] if i + 1 < len(reqs) else None
            what = "no answer" if r.status == NO_RESPONSE else str(r.status)
            if nxt is None:
                if streak < recipe.max_attempts:
                    out.append(Violation("retryable-retried",
                                         f"apply to {job} got {what} on attempt {streak} and was never retried "
                                         f"(retry up to {recipe.max_attempts} attempts)", (r,)))
                continue
            floor = 2**streak * recipe.backoff_base
            if nxt.time - r.time < floor - TOLERANCE:
                out.append(Violation("retry-backoff",
                                     f"apply to {job} retried {nxt.time - r.time:g} s after {what} on attempt {streak} "
                                     f"(backoff: at least 2^{streak} x {recipe.backoff_base:g} s = {floor:g} s)", (r, nxt)))
    for a in ctx.client_apps():
        if a["applicationStatus"] not in RETRYABLE_OUTCOMES:
            continue
        seen = ctx.seen_terminal(a)
        if seen is None:
            continue
        reqs = _groups(ctx).get(ctx.app_key(a), [])
        rounds = sum(1 for b in ctx.client_apps() if ctx.app_key(b) == ctx.app_key(a) and b["createdAt"] <= a["createdAt"])
        nxt = next((r for r in reqs if r.id > seen.id), None)
        if nxt is None:
            if rounds < recipe.max_attempts:
                out.append(Violation("retryable-retried", f"{a['queueId']} ended {a['applicationStatus']} and the job "
                                     f"{a['jobId']} was never applied to again", (seen,)))
        elif nxt.time - seen.time < recipe.outcome_retry_delay - TOLERANCE:
            out.append(Violation("retry-backoff", f"re-applied {nxt.time - seen.time:g} s after seeing "
                                 f"{a['applicationStatus']} (wait at least {recipe.outcome_retry_delay:g} s)", (seen, nxt)))
    return out


def _terminal_not_retried(ctx: _Context, recipe: Recipe) -> list[Violation]:
    out = []
    for (_key, job), reqs in _groups(ctx).items():
        for i, r in enumerate(reqs):
            if r.status in TERMINAL_STATUSES and i + 1 < len(reqs):
                out.append(Violation("terminal-not-retried", f"apply to {job} answered {r.status} was sent again "
                                     f"({len(reqs) - i - 1} more time(s))", (r, reqs[i + 1])))
                break
    for a in ctx.client_apps():
        if a["applicationStatus"] not in TERMINAL_OUTCOMES:
            continue
        seen = ctx.seen_terminal(a)
        again = [r for r in _groups(ctx).get(ctx.app_key(a), []) if seen is not None and r.id > seen.id]
        if again:
            out.append(Violation("terminal-not-retried", f"{a['queueId']} ended {a['applicationStatus']} and the job "
                                 f"{a['jobId']} was applied to again", (seen, again[0])))  # type: ignore[arg-type]
    return out


# Check name -> the function that finds its violations (one function may serve several names).
CHECKS: dict[str, Callable[[_Context, Recipe], list[Violation]]] = {
    "no-duplicate-apply": _no_duplicate_applies,
    "retry-after": _retry_after_respected,
    "polling-cadence": _polling_cadence,
    "polling-stops-at-terminal": _polling_cadence,
    "polling-gives-up": _polling_cadence,
    "retryable-retried": _retryable_retried,
    "retry-backoff": _retryable_retried,
    "terminal-not-retried": _terminal_not_retried,
}


def check_client(
    requests: Sequence[Request],
    applications: Sequence[dict[str, Any]],
    schedule: FaultSchedule | None = None,
    checks: Iterable[str] | None = None,
    recipe: Recipe = DEFAULT_RECIPE,
) -> list[Violation]:
    """Every violation of the documented client behaviour visible in the journal and the applications.

    ``checks`` selects among :data:`CHECKS` (default: all). ``schedule`` tells the checks which
    injected 429s carried which Retry-After.
    """
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; choose from {list(CHECKS)}")
    ctx = _Context(requests, applications, schedule)
    found: list[Violation] = []
    for fn in dict.fromkeys(CHECKS[n] for n in names):  # each function once, in CHECKS order
        found += [v for v in fn(ctx, recipe) if v.check in names]
    return found


def assert_client_behaved(
    mock: UpHuntMock,
    schedule: FaultSchedule | None = None,
    checks: Iterable[str] | None = None,
    recipe: Recipe = DEFAULT_RECIPE,
) -> None:
    """Raise ``AssertionError`` listing every broken invariant (see :func:`check_client`)."""
    log = mock.requests
    violations = check_client(log, mock.applications(), schedule, checks, recipe)
    if violations:
        lines = "\n  ".join(str(v) for v in violations)
        shown = [str(r) for r in log if r.operation_id in (APPLY, STATUS)]
        if len(shown) > 24:
            shown = [*shown[:10], f"... {len(shown) - 20} more ...", *shown[-10:]]
        journal = "\n    ".join(shown)
        raise AssertionError(f"{len(violations)} client invariant(s) broken:\n  {lines}\n  journal (apply/status):\n    {journal}")
