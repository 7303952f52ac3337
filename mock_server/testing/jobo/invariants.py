"""Invariants of a well-behaved Jobo client, from the Status Codes page's retry table.

| Status | What a client must do (the Status Codes page) | Check |
|---|---|---|
| 400, 401, 402, 403, 404 | never retry | ``terminal-not-retried`` |
| 409 ``feed_cursor_restart_required`` | never the same cursor again: start a new scan (a first page, which has no cursor, is the replacement request itself) | ``cursor-not-reused`` |
| 429 | wait exactly ``Retry-After`` (longer only when 429s repeat: backoff with jitter) | ``retry-after`` |
| 500 (and a dropped connection) | back off from 1 s, doubling, capped at 30 s; 3-5 retries | ``backoff-500``, ``retry-count`` |
| 503 | wait 30-60 s (longer if ``Retry-After`` says so); up to 5 retries | ``wait-503``, ``retry-count`` |

A *retry* is the same request (method, path, query and body, so a feed page's cursor too) sent
again by the same key; consecutive retries form a *chain*. A chain that ends on a retryable
answer is the client giving up. The checks read the request journal: they judge one run of a
client (clear the journal with ``mock.clear_requests()`` where the world changed between runs,
e.g. after a top-up, so that resuming is not counted as retrying). ``Retry-After`` values come
from the fault schedule (the journal records no response headers): without one, a 429 is only
held to "not at once" and a 503 to the 30 s floor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..invariants import Violation
from ..journal import TOLERANCE, Request
from ..schedule import NO_RESPONSE
from .schedule import RESTART_STATUS, TERMINAL_STATUSES, JoboFaultSchedule

if TYPE_CHECKING:
    from .handle import JoboMock


@dataclass(frozen=True)
class JoboRecipe:
    """The Status Codes page's retry table as numbers (change one to hold a client to a stricter or looser recipe)."""

    backoff_start: float = 1.0  # 500: the first retry waits 1 s, each next one twice as long...
    backoff_cap: float = 30.0  # ... up to 30 s
    wait_503: tuple[float, float] = (30.0, 60.0)  # 503: wait 30-60 s (or Retry-After, when it asks for more)
    retry_after_slack: float = 1.0  # 429: the first retry comes within Retry-After + this many seconds
    # Retries allowed after each kind of answer in one chain: (at least before giving up, at most).
    retries: dict[int, tuple[int, int | None]] = field(
        default_factory=lambda: {500: (3, 5), 503: (1, 5), 429: (1, None)}
    )


DEFAULT_RECIPE = JoboRecipe()


def _kind(status: int) -> int | None:
    """Which row of the table an answer falls in: 500 (also 502, 504 and no answer), 503, 429, or None."""
    if status in (429, 503):
        return status
    if status == NO_RESPONSE or status in (500, 502, 504):
        return 500
    return None


def signature(r: Request) -> tuple[Any, ...]:
    """What makes two requests "the same request": key, method, path, query and body."""
    body = json.dumps(r.body, sort_keys=True) if not isinstance(r.body, str) else r.body
    return (r.api_key, r.method, r.path, json.dumps(r.query, sort_keys=True), body)


@dataclass
class _Link:
    """A request and the next one its key sent (None: it sent no other)."""

    request: Request
    next: Request | None
    same: bool  # the next one is the same request: a retry


def _links(log: Sequence[Request]) -> list[_Link]:
    out = []
    for i, r in enumerate(log):
        nxt = next((x for x in log[i + 1 :] if x.api_key == r.api_key), None)
        out.append(_Link(r, nxt, nxt is not None and signature(nxt) == signature(r)))
    return out


def _chains(log: Sequence[Request]) -> list[list[Request]]:
    """Retry chains: a request, then every retry of it that followed a retryable answer."""
    links = {link.request.id: link for link in _links(log)}
    inside: set[int] = set()
    chains = []
    for r in log:
        if r.id in inside:
            continue
        chain = [r]
        while _kind(chain[-1].status) is not None:
            link = links[chain[-1].id]
            if not link.same or link.next is None:
                break
            chain.append(link.next)
            inside.add(link.next.id)
        chains.append(chain)
    return chains


def _cursor(r: Request) -> str | None:
    """The cursor a feed or expired-ids continuation carries (body or query)."""
    value = r.body.get("cursor") if isinstance(r.body, dict) else None
    value = value or r.query.get("cursor")
    return value if isinstance(value, str) and value else None


def _label(r: Request) -> str:
    return f"{r.operation_id or r.path}" + (" (a continuation)" if _cursor(r) else "")


def _terminal_not_retried(
    log: Sequence[Request], schedule: JoboFaultSchedule | None, recipe: JoboRecipe
) -> list[Violation]:
    out = []
    for i, r in enumerate(log):
        if r.status not in TERMINAL_STATUSES and not (r.status == RESTART_STATUS and _cursor(r)):
            continue  # a 409 on a first page (no cursor) asks for the replacement request: sending it again is right
        again = [x for x in log[i + 1 :] if signature(x) == signature(r)]
        if not again:
            continue
        if r.status == RESTART_STATUS:
            out.append(Violation("cursor-not-reused", f"{_label(r)} answered 409 feed_cursor_restart_required was sent "
                                 f"again ({len(again)} more time(s)): start a new scan instead", (r, again[0])))  # fmt: skip
        else:
            out.append(Violation("terminal-not-retried", f"{_label(r)} answered {r.status} was sent again "
                                 f"({len(again)} more time(s))", (r, again[0])))  # fmt: skip
    return out


def _waits(log: Sequence[Request], schedule: JoboFaultSchedule | None, recipe: JoboRecipe) -> list[Violation]:
    out = []
    for chain in _chains(log):
        fives = 0  # 500-class answers so far in this chain
        tooks = 0  # 429s so far
        for r, nxt in zip(chain, chain[1:], strict=False):
            gap = nxt.time - r.time
            kind = _kind(r.status)
            what = "no answer" if r.status == NO_RESPONSE else str(r.status)
            retry_after = schedule.retry_after_for(r) if schedule is not None else None
            if kind == 500:
                fives += 1
                floor = min(recipe.backoff_start * 2 ** (fives - 1), recipe.backoff_cap)
                if gap < floor - TOLERANCE:
                    out.append(Violation("backoff-500", f"{_label(r)} retried {gap:g} s after {what} (retry {fives}: "
                                         f"back off at least {floor:g} s, from 1 s doubling)", (r, nxt)))  # fmt: skip
                elif gap > recipe.backoff_cap + TOLERANCE:
                    out.append(Violation("backoff-500", f"{_label(r)} retried {gap:g} s after {what} (the backoff is "
                                         f"capped at {recipe.backoff_cap:g} s)", (r, nxt)))  # fmt: skip
            elif kind == 503:
                low = max(recipe.wait_503[0], retry_after or 0.0)
                high = max(recipe.wait_503[1], retry_after or 0.0)
                if not low - TOLERANCE <= gap <= high + TOLERANCE:
                    told = f", Retry-After: {retry_after:g}" if retry_after is not None else ""
                    out.append(Violation("wait-503", f"{_label(r)} retried {gap:g} s after 503{told} (wait "
                                         f"{low:g}-{high:g} s)", (r, nxt)))  # fmt: skip
            elif kind == 429:
                tooks += 1
                floor = retry_after if retry_after is not None else 1.0
                if gap < floor - TOLERANCE:
                    told = f"Retry-After: {retry_after:g}" if retry_after is not None else "no known Retry-After"
                    out.append(Violation("retry-after", f"next {_label(r)} came {gap:g} s after a 429 with {told}",
                                         (r, nxt)))  # fmt: skip
                elif (
                    tooks == 1 and retry_after is not None and gap > retry_after + recipe.retry_after_slack + TOLERANCE
                ):
                    out.append(Violation("retry-after", f"next {_label(r)} came {gap:g} s after a 429 with Retry-After: "
                                         f"{retry_after:g} (wait exactly Retry-After)", (r, nxt)))  # fmt: skip
    return out


def _retry_count(log: Sequence[Request], schedule: JoboFaultSchedule | None, recipe: JoboRecipe) -> list[Violation]:
    out = []
    for chain in _chains(log):
        after: dict[int, int] = {}
        for r in chain[:-1]:
            kind = _kind(r.status)
            if kind is not None:
                after[kind] = after.get(kind, 0) + 1
        for kind, count in after.items():
            most = recipe.retries.get(kind, (0, None))[1]
            if most is not None and count > most:
                out.append(Violation("retry-count", f"{_label(chain[0])} retried {count} times after {kind}s "
                                     f"(at most {most})", (chain[0], chain[-1])))  # fmt: skip
        last = chain[-1]
        kind = _kind(last.status)
        if kind is None:
            continue
        least = recipe.retries.get(kind, (0, None))[0]
        done = after.get(kind, 0)
        if done < least:
            what = "no answer" if last.status == NO_RESPONSE else str(last.status)
            out.append(Violation("retry-count", f"{_label(last)} gave up after {what} with {done} retr"
                                 f"{'y' if done == 1 else 'ies'} (retry at least {least} time(s))", (last,)))  # fmt: skip
    return out


# Check name -> the function that finds its violations (one function may serve several names).
CHECKS: dict[str, Callable[[Sequence[Request], JoboFaultSchedule | None, JoboRecipe], list[Violation]]] = {
    "terminal-not-retried": _terminal_not_retried,
    "cursor-not-reused": _terminal_not_retried,
    "retry-after": _waits,
    "backoff-500": _waits,
    "wait-503": _waits,
    "retry-count": _retry_count,
}


def check_client(
    requests: Sequence[Request],
    applications: Sequence[dict[str, Any]] = (),
    schedule: JoboFaultSchedule | None = None,
    checks: Iterable[str] | None = None,
    recipe: JoboRecipe = DEFAULT_RECIPE,
) -> list[Violation]:
    """Every violation of the Status Codes page's retry table visible in the journal.

    ``applications`` is unused (Jobo's data API has none); it keeps the signature of UpHunt's
    ``check_client`` so ``uphunt-mock verify`` can run either. ``checks`` selects among
    :data:`CHECKS` (default: all); ``schedule`` says which injected answers carried which ``Retry-After``.
    """
    names = list(CHECKS) if checks is None else list(checks)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ValueError(f"unknown checks {unknown}; choose from {list(CHECKS)}")
    log = sorted(requests, key=lambda r: r.id)
    found: list[Violation] = []
    for fn in dict.fromkeys(CHECKS[n] for n in names):  # each function once, in CHECKS order
        found += [v for v in fn(log, schedule, recipe) if v.check in names]
    return found


def assert_client_behaved(
    mock: JoboMock,
    schedule: JoboFaultSchedule | None = None,
    checks: Iterable[str] | None = None,
    recipe: JoboRecipe = DEFAULT_RECIPE,
) -> None:
    """Raise ``AssertionError`` listing every broken invariant and the journal (see :func:`check_client`)."""
    log = mock.requests
    violations = check_client(log, (), schedule, checks, recipe)
    if violations:
        lines = "\n  ".join(str(v) for v in violations)
        shown = [str(r) for r in log]
        if len(shown) > 24:
            shown = [*shown[:10], f"... {len(shown) - 20} more ...", *shown[-10:]]
        journal = "\n    ".join(shown)
        raise AssertionError(f"{len(violations)} client invariant(s) broken:\n  {lines}\n  journal:\n    {journal}")
