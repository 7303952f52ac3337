"""Per-key request limits in fixed windows of simulated time, and the legacy v1 quota.

Two meters live here:

* **Per-operation limits** (decision 12): for each limited operation (its
  spec ``operationId``; aliases share it through ``x-mock-handler``) a set of
  windows, e.g. ``{"minute": 60, "day": 1000}``. Windows are fixed and
  aligned: a minute window starts on the minute, a day window at 00:00 UTC.
  A request must fit every window of its operation; the headers describe the
  window with fewer requests left (ties: the shorter one).
* **The legacy Bearer quota** (decision 10b): retired ``up_`` keys on
  ``/api/v1/*`` paths share one quota per account per billing period. The mock
  has no subscriptions, so the billing period is the **calendar month in UTC**
  (the documented rule for accounts without an active subscription).

A refused request is never counted, in any window, so retrying after
``Retry-After`` works and a 429 has no side effect. With ``enabled: false``
requests are still counted and the headers still sent (the real API always
sends them), but nothing is ever refused.

The default table is not written here: :func:`limits_from_spec` reads it from
the spec's ``x-mock-rate-limits`` (and ``x-mock-quota`` of the ``LegacyBearer``
scheme), so code and contract cannot disagree. This module takes the parsed
spec as a plain dict and imports nothing from the HTTP layer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple

# The window sizes the spec's 429 bodies can name (RateLimitError.window).
WINDOWS: dict[str, int] = {"minute": 60, "day": 86_400}
LEGACY_WINDOW = "billingPeriod"

Limits = dict[str, dict[str, int]]  # group (operationId) -> window -> max requests


@dataclass(slots=True)
class Decision:
    """The outcome of one metering check, with everything the headers and the 429 body need."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds when the reported window rolls over
    window: str  # minute | day | billingPeriod
    retry_after: int = 0  # seconds, when refused
    used: int = 0  # legacy quota only: requests of the period, this one included

    def headers(self) -> dict[str, str]:
        h = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            h["Retry-After"] = str(self.retry_after)
        return h

    @property
    def resets_at_iso(self) -> str:
        """``X-RateLimit-Reset`` as ISO-8601 UTC with milliseconds (the legacy body's ``resetsAt``)."""
        return datetime.fromtimestamp(self.reset, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def limits_from_spec(spec: Mapping[str, Any]) -> Limits:
    """``x-mock-rate-limits`` of every operation, keyed by the operation's handler (aliases carry none)."""
    table: Limits = {}
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "x-mock-rate-limits" not in op:
                continue
            group: str = op["x-mock-handler"] if "x-mock-handler" in op else op["operationId"]
            table[group] = {window: int(limit) for window, limit in op["x-mock-rate-limits"].items()}
    return table


def legacy_quota_from_spec(spec: Mapping[str, Any]) -> int:
    """The size of the retired v1 Bearer quota (``x-mock-quota.limit`` of the ``LegacyBearer`` scheme)."""
    return int(spec["components"]["securitySchemes"]["LegacyBearer"]["x-mock-quota"]["limit"])


def billing_period(now: float) -> tuple[int, int]:
    """(start, end) in Unix seconds of the calendar month (UTC) containing ``now``."""
    dt = datetime.fromtimestamp(now, tz=timezone.utc)
    start = datetime(dt.year, dt.month, 1, tzinfo=timezone.utc)
    end = datetime(dt.year + (dt.month == 12), dt.month % 12 + 1, 1, tzinfo=timezone.utc)
    return int(start.timestamp()), int(end.timestamp())


class _Window(NamedTuple):
    """One fixed window of an operation's limits, as it stands at a given instant."""

    limit: int
    name: str  # minute | day
    size: int  # seconds
    start: int  # Unix seconds
    used: int  # requests counted in it so far

    @property
    def end(self) -> int:
        return self.start + self.size


class RateLimiter:
    """Counts requests per (key, group, window) and decides whether one more fits."""

    def __init__(
        self, limits: Mapping[str, Mapping[str, int]], *, enabled: bool = True, legacy_quota: int = 10_000
    ) -> None:
        for group, windows in limits.items():
            unknown = set(windows) - set(WINDOWS)
            if unknown:
                raise ValueError(f"rate limit group {group}: unknown window(s) {sorted(unknown)}")
        self.limits: Limits = {g: dict(w) for g, w in limits.items()}
        self.enabled = enabled
        self.legacy_quota = legacy_quota
        self._counts: dict[tuple[str, str, str], tuple[int, int]] = {}  # -> (window start, count)
        # key -> the groups it has counts in: usage() (the dashboard's meters, up to 200 accounts ten
        # times a second) looks a key up instead of scanning every key's counts (issue 18's profile).
        self._groups: dict[str, set[str]] = {}

    @classmethod
    def from_settings(cls, raw: Mapping[str, Any] | None, spec: Mapping[str, Any]) -> RateLimiter:
        """The spec's defaults with a world's ``settings.rateLimits`` laid over them.

        ``raw`` may hold ``enabled`` (bool), ``legacyQuota`` (int >= 0) and, per
        group (an operationId of the table), a mapping of window -> limit that
        replaces those windows (``null`` removes a window). Anything else is a
        ``ValueError`` naming the setting and what is allowed.
        """
        limits = limits_from_spec(spec)
        legacy_quota = legacy_quota_from_spec(spec)
        enabled = True
        where = "settings.rateLimits"
        for name, value in (raw or {}).items():
            if name == "enabled":
                if not isinstance(value, bool):
                    raise ValueError(f"{where}.enabled must be true or false, got {value!r}")
                enabled = value
            elif name == "legacyQuota":
                if not _is_count(value):
                    raise ValueError(f"{where}.legacyQuota must be an integer >= 0, got {value!r}")
                legacy_quota = value
            elif name in limits:
                if not isinstance(value, Mapping):
                    raise ValueError(
                        f"{where}.{name} must be a mapping of window to limit, e.g. {{minute: 10, day: 100}}"
                    )
                windows = dict(limits[name])
                for window, limit in value.items():
                    if window not in WINDOWS:
                        raise ValueError(f"{where}.{name}.{window}: unknown window; use one of {', '.join(WINDOWS)}")
                    if limit is None:
                        windows.pop(window, None)
                    elif _is_count(limit):
                        windows[window] = limit
                    else:
                        raise ValueError(
                            f"{where}.{name}.{window} must be an integer >= 0 (or null to drop the window), got {limit!r}"
                        )
                if not windows:
                    raise ValueError(
                        f"{where}.{name}: at least one window must remain (use enabled: false to switch every limit off)"
                    )
                limits[name] = windows
            else:
                raise ValueError(
                    f"{where}.{name}: unknown setting; use enabled, legacyQuota or one of {', '.join(sorted(limits))}"
                )
        return cls(limits, enabled=enabled, legacy_quota=legacy_quota)

    def _windows(self, key: str | None, group: str, now: float) -> list[_Window]:
        """Every window of ``group`` at ``now``, with what ``key`` has used of it (0 for no key)."""
        states = []
        for window, limit in self.limits.get(group, {}).items():
            size = WINDOWS[window]
            start = int(math.floor(now / size) * size)
            used = self._count((key, group, window), start) if key else 0
            states.append(_Window(limit, window, size, start, used))
        return states

    def check(self, key: str, group: str, now: float) -> Decision | None:
        """Count one request of ``key`` to ``group`` if it fits every window; None when nothing meters it.

        Runs on every API request, so it walks the windows once, without building a record per
        window (what :meth:`peek` does with :meth:`_windows`); the decision is the same.
        """
        windows = self.limits.get(group)
        if not windows:
            return None
        if len(windows) == 1:  # most operations (every data read): one window, no choosing
            ((name, limit),) = windows.items()
            return self._check_one(key, group, name, limit, now)
        return self._check_many(key, group, windows, now)

    def _check_one(self, key: str, group: str, name: str, limit: int, now: float) -> Decision:
        """:meth:`check` of a group with a single window: the same decision, without the bookkeeping."""
        size = WINDOWS[name]
        start = int(math.floor(now / size) * size)
        slot = (key, group, name)
        prev = self._counts.get(slot) if key else None
        used = prev[1] if prev is not None and prev[0] == start else 0
        end = start + size
        if self.enabled and used >= limit:
            return Decision(False, limit, 0, end, name, retry_after=max(1, math.ceil(end - now)))
        if prev is None:  # a slot seen before has its group noted already
            self._note_group(key, group)
        self._counts[slot] = (start, used + 1)
        return Decision(True, limit, max(0, limit - used - 1), end, name)

    def _check_many(self, key: str, group: str, windows: Mapping[str, int], now: float) -> Decision:
        """:meth:`check` of a group with several windows: all counted, the tightest one reported."""
        counts = self._counts
        states: list[tuple[str, int, int, int, int]] = []  # (name, limit, size, start, used)
        last: tuple[str, int, int, int, int] | None = None  # among the full windows, the one that frees up last
        for name, limit in windows.items():
            size = WINDOWS[name]
            start = int(math.floor(now / size) * size)
            prev = counts.get((key, group, name)) if key else None
            used = prev[1] if prev is not None and prev[0] == start else 0
            state = (name, limit, size, start, used)
            states.append(state)
            if self.enabled and used >= limit and (last is None or start + size > last[3] + last[2]):
                last = state
        if last is not None:
            name, limit, size, start, _used = last
            end = start + size
            return Decision(False, limit, 0, end, name, retry_after=max(1, math.ceil(end - now)))
        shown = states[0]
        self._note_group(key, group)
        for state in states:
            counts[(key, group, state[0])] = (state[3], state[4] + 1)
            if (state[1] - state[4], state[2]) < (shown[1] - shown[4], shown[2]):
                shown = state
        name, limit, size, start, used = shown
        return Decision(True, limit, max(0, limit - used - 1), start + size, name)

    def peek(self, key: str | None, group: str, now: float) -> Decision | None:
        """The window the headers would describe for ``key`` now, without counting (for injected responses)."""
        states = self._windows(key, group, now)
        if not states:
            return None
        w = min(states, key=lambda w: (max(0, w.limit - w.used), w.size))
        return Decision(True, w.limit, max(0, w.limit - w.used), w.end, w.name)

    def check_legacy(self, key: str, now: float) -> Decision | None:
        """Count one legacy Bearer request of account ``key`` against the billing-period quota."""
        start, end = billing_period(now)
        slot = (key, "legacyBearer", LEGACY_WINDOW)
        count = self._count(slot, start)
        limit = self.legacy_quota
        if count >= limit and self.enabled:
            return Decision(
                False, limit, 0, end, LEGACY_WINDOW, retry_after=max(1, math.ceil(end - now)), used=count + 1
            )
        self._counts[slot] = (start, count + 1)
        self._note_group(key, "legacyBearer")
        return Decision(True, limit, max(0, limit - count - 1), end, LEGACY_WINDOW, used=count + 1)

    def _note_group(self, key: str, group: str) -> None:
        groups = self._groups.get(key)  # not setdefault: it would build a set on every request
        if groups is None:
            self._groups[key] = {group}
        elif group not in groups:
            groups.add(group)

    def usage(self, key: str, now: float) -> list[tuple[str, str, int, int, int]]:
        """``(group, window, limit, used, resets_at)`` of every window ``key`` has used, as it stands at ``now``.

        A window that has rolled over since shows 0 used (and its new reset time).
        """
        groups = sorted(self._groups.get(key, ()))
        out = []
        for group in groups:
            if group == "legacyBearer":
                start, end = billing_period(now)
                used = self._count((key, group, LEGACY_WINDOW), start)
                out.append((group, LEGACY_WINDOW, self.legacy_quota, used, end))
            else:
                out.extend((group, w.name, w.limit, w.used, w.end) for w in self._windows(key, group, now))
        return out

    def _count(self, slot: tuple[str, str, str], start: int) -> int:
        prev = self._counts.get(slot)
        return prev[1] if prev is not None and prev[0] == start else 0

    def reset(self) -> None:
        self._counts.clear()
        self._groups.clear()


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
