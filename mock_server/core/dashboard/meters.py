"""Account meters over simulated time: a bounded history of every number an account shows.

The dashboard charts balances (UpHunt credits available / reserved / spent /
granted and Connects; a Jobo wallet) without knowing any vendor: an account
record is flattened to ``{"credits.available": 41, "connects": 184, ...}``
(every number, nested keys joined with dots) and a point is kept when one of
those numbers changed. Points are taken off the request path: when the change
publisher runs (at most ten times a second), after control operations, on
terminal transitions (at their exact simulated time) and when the meters are
read. Each account keeps at most ``capacity`` points (a ring buffer).

An API request changes only the account that made it (its credits, its rate windows), so
when requests are all that changed, the publisher samples the accounts they
:meth:`Meters.touch`-ed instead of every account: with 1,000 accounts, sampling 200 of them
ten times a second under traffic stalled the server ~1 ms each time, the p99 at one
connection (issue 18). At most :data:`TOUCHED_PER_PUBLISH` of them per publish, oldest
first (the rest wait for the next one): a publish never stalls the server more than ~0.1 ms,
however many accounts the traffic reaches. Anything else (a terminal transition, which changes
an agency's Connects for all its accounts; a scenario rule; a control operation; a reset)
samples all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

DEFAULT_CAPACITY = 500  # points per account
MAX_ACCOUNTS = 200  # accounts sampled; a world with more is charted for its first 200
# Changes that may touch any account (ChangeFeed counters); "request" alone touches the requesters'.
FULL_SAMPLE = frozenset({"state", "clock", "world"})
TOUCHED_PER_PUBLISH = 32  # charted accounts a publish samples for API requests (~3 µs each)


def flatten_numbers(record: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Every number of ``record`` (booleans excluded), nested mapping keys joined with dots."""
    out: dict[str, float] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[name] = value
        elif isinstance(value, Mapping):
            out.update(flatten_numbers(value, name + "."))
    return out


class MeterHistory:
    """Per account, the points at which its numbers changed, oldest first, bounded."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self.points: dict[str, deque[tuple[int, dict[str, float]]]] = {}

    def record(self, key: str, t_ms: int, values: dict[str, float]) -> None:
        """Keep ``values`` at ``t_ms`` if they differ from the account's last point."""
        points = self.points.get(key)
        if points is None:
            points = self.points[key] = deque(maxlen=self.capacity)
        if points and points[-1][1] == values:
            return
        if points and points[-1][0] == t_ms:
            points.pop()  # several changes at one instant: the last state is the one that counts
        points.append((t_ms, values))

    def sample(self, t_ms: int, accounts: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        for n, (key, record) in enumerate(accounts):
            if n >= MAX_ACCOUNTS:
                break
            self.record(key, t_ms, flatten_numbers(record))

    def history(self, key: str) -> list[dict[str, Any]]:
        return [{"t": t, "values": values} for t, values in self.points.get(key, ())]

    def clear(self) -> None:
        self.points.clear()


class Meters:
    """The history plus where its samples come from (given as callables, so this module knows no vendor).

    ``accounts()`` yields ``(apiKey, record)`` pairs; ``now_ms()`` is the simulated time.
    """

    def __init__(
        self,
        accounts: Callable[[], Iterable[tuple[str, Mapping[str, Any]]]],
        now_ms: Callable[[], int],
        account: Callable[[str], Mapping[str, Any] | None],
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        """``accounts()``: every ``(apiKey, record)``; ``account(apiKey)``: one record (None: no such account)."""
        self.accounts = accounts
        self.now_ms = now_ms
        self.account = account
        self.history = MeterHistory(capacity)
        # keys whose accounts API requests changed since they were last sampled, oldest first
        self.touched: dict[str, None] = {}

    def touch(self, api_key: str) -> None:
        """An API request of ``api_key`` may have changed its account (the request path: one insertion)."""
        self.touched[api_key] = None

    def sample(self) -> None:
        self.touched.clear()
        self.history.sample(self.now_ms(), self.accounts())

    def sample_touched(self, budget: int = TOUCHED_PER_PUBLISH) -> None:
        """A point for each touched account already charted (or while fewer than MAX_ACCOUNTS are),
        at most ``budget`` of them; the others stay touched, ahead of those touched later."""
        keys, self.touched = list(self.touched), {}
        points, t_ms = self.history.points, self.now_ms()
        for n, key in enumerate(keys):
            if key not in points and len(points) >= MAX_ACCOUNTS:
                continue
            if budget == 0:
                self.touched = dict.fromkeys(keys[n:])
                return
            budget -= 1
            record = self.account(key)
            if record is not None:
                self.history.record(key, t_ms, flatten_numbers(record))

    def on_publish(self, changed: set[str]) -> None:
        """A ChangeFeed publish hook (``changed``: the counters bumped): sample what may have changed."""
        if changed & FULL_SAMPLE:
            self.sample()
        elif "request" in changed:
            self.sample_touched()
