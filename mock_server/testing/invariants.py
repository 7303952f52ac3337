"""Invariants of a well-behaved client, from the documented retry and polling recipes."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from .journal import APPLY, STATUS, TOLERANCE, Request
from .schedule import (
    NO_RESPONSE,
    RETRYABLE_OUTCOMES,
    RETRYABLE_STATUSES,
    TERMINAL_OUTCOMES,
    TERMINAL_STATUSES,
    FaultSchedule,
)

if TYPE_CHECKING:
    from .handle import UpHuntMock


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
    """The documented client behaviour the invariants hold a client to (the docs' Error Reference, Check Status and How Auto-Apply Works pages)."""

    max_attempts: int = 4  # per job: apply requests in a row that fail retryably (Error Reference)
    backoff_base: float = 0.5  # attempt k waits at least 2^k * base seconds (Error Reference)
    poll_fast: float = 5.0  # poll interval during the first minute (Check Status)
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
            at = [
                a
                for a in self.apps
                if a["queueId"] not in claimed and a["createdAt"] == round(r.time * 1000) and a["apiKey"] == r.api_key
            ]
            exact = [a for a in at if r.job_id in (a["jobId"], a["processedJobId"])]
            chosen = next(iter(exact or at), None)
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
        later = [
            b["createdAt"]
            for b in self.client_apps()
            if self.app_key(b) == self.app_key(app) and b["createdAt"] > app["createdAt"]
        ]
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
                out.append(
                    Violation(
                        "no-duplicate-apply", f"applied to {key[1]} again while {a['queueId']} was {state}", shown
                    )
                )
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
        nxt = next(
            (x for x in ctx.log if x.id > r.id and x.operation_id == r.operation_id and x.api_key == r.api_key), None
        )
        if nxt is not None and nxt.time - r.time < wait - TOLERANCE:
            out.append(
                Violation(
                    "retry-after",
                    f"next {r.operation_id} came {nxt.time - r.time:g} s after a 429 with Retry-After: {wait:g}",
                    (r, nxt),
                )
            )
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
                out.append(
                    Violation(
                        "polling-stops-at-terminal",
                        f"{len(extra)} more poll(s) of {a['queueId']} after it was seen {a['applicationStatus']}",
                        (seen, extra[0]),
                    )
                )
        late = [p for p in polls if p.time - t0 > recipe.give_up_after + TOLERANCE]
        if late:
            out.append(
                Violation(
                    "polling-gives-up",
                    f"still polling {a['queueId']} {late[0].time - t0:g} s after the apply "
                    f"(limit {recipe.give_up_after:g} s; {len(late)} poll(s) too late)",
                    (late[0],),
                )
            )
        for p, q in zip(polls, polls[1:], strict=False):
            if seen is not None and p.id >= seen.id:
                break
            elapsed = p.time - t0
            interval = recipe.poll_fast if elapsed < recipe.fast_phase - TOLERANCE else recipe.poll_slow
            gap = q.time - p.time
            if gap < interval - TOLERANCE:
                out.append(
                    Violation(
                        "polling-cadence",
                        f"polled {a['queueId']} {gap:g} s apart at {elapsed:g} s after the apply "
                        f"(documented: every {interval:g} s)",
                        (p, q),
                    )
                )
                break
            allowed = max(interval, (ctx.schedule.retry_after_for(p) or 0) if ctx.schedule and p.status == 429 else 0)
            if gap > allowed + TOLERANCE:
                out.append(
                    Violation(
                        "polling-cadence",
                        f"waited {gap:g} s between polls of {a['queueId']} at {elapsed:g} s after the apply "
                        f"(documented: every {interval:g} s)",
                        (p, q),
                    )
                )
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
                    out.append(
                        Violation(
                            "retryable-retried",
                            f"apply to {job} got {what} on attempt {streak} and was never retried "
                            f"(retry up to {recipe.max_attempts} attempts)",
                            (r,),
                        )
                    )
                continue
            floor = 2**streak * recipe.backoff_base
            if nxt.time - r.time < floor - TOLERANCE:
                out.append(
                    Violation(
                        "retry-backoff",
                        f"apply to {job} retried {nxt.time - r.time:g} s after {what} on attempt {streak} "
                        f"(backoff: at least 2^{streak} x {recipe.backoff_base:g} s = {floor:g} s)",
                        (r, nxt),
                    )
                )
    for a in ctx.client_apps():
        if a["applicationStatus"] not in RETRYABLE_OUTCOMES:
            continue
        seen = ctx.seen_terminal(a)
        if seen is None:
            continue
        reqs = _groups(ctx).get(ctx.app_key(a), [])
        rounds = sum(
            1 for b in ctx.client_apps() if ctx.app_key(b) == ctx.app_key(a) and b["createdAt"] <= a["createdAt"]
        )
        nxt = next((r for r in reqs if r.id > seen.id), None)
        if nxt is None:
            if rounds < recipe.max_attempts:
                out.append(
                    Violation(
                        "retryable-retried",
                        f"{a['queueId']} ended {a['applicationStatus']} and the job "
                        f"{a['jobId']} was never applied to again",
                        (seen,),
                    )
                )
        elif nxt.time - seen.time < recipe.outcome_retry_delay - TOLERANCE:
            out.append(
                Violation(
                    "retry-backoff",
                    f"re-applied {nxt.time - seen.time:g} s after seeing "
                    f"{a['applicationStatus']} (wait at least {recipe.outcome_retry_delay:g} s)",
                    (seen, nxt),
                )
            )
    return out


def _terminal_not_retried(ctx: _Context, recipe: Recipe) -> list[Violation]:
    out = []
    for (_key, job), reqs in _groups(ctx).items():
        for i, r in enumerate(reqs):
            if r.status in TERMINAL_STATUSES and i + 1 < len(reqs):
                out.append(
                    Violation(
                        "terminal-not-retried",
                        f"apply to {job} answered {r.status} was sent again ({len(reqs) - i - 1} more time(s))",
                        (r, reqs[i + 1]),
                    )
                )
                break
    for a in ctx.client_apps():
        if a["applicationStatus"] not in TERMINAL_OUTCOMES:
            continue
        seen = ctx.seen_terminal(a)
        again = [r for r in _groups(ctx).get(ctx.app_key(a), []) if seen is not None and r.id > seen.id]
        if again:
            out.append(
                Violation(
                    "terminal-not-retried",
                    f"{a['queueId']} ended {a['applicationStatus']} and the job {a['jobId']} was applied to again",
                    (seen, again[0]),  # type: ignore[arg-type]  # seen is not None here (the filter above)
                )
            )
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
    applications = cast("list[dict[str, Any]]", mock.applications())  # TypedDicts, read as plain records
    violations = check_client(log, applications, schedule, checks, recipe)
    if violations:
        lines = "\n  ".join(str(v) for v in violations)
        shown = [str(r) for r in log if r.operation_id in (APPLY, STATUS)]
        if len(shown) > 24:
            shown = [*shown[:10], f"... {len(shown) - 20} more ...", *shown[-10:]]
        journal = "\n    ".join(shown)
        raise AssertionError(
            f"{len(violations)} client invariant(s) broken:\n  {lines}\n  journal (apply/status):\n    {journal}"
        )
