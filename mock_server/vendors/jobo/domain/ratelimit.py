"""Rolling-window rate limits per key, on the simulated clock.

Each key has two counters, ``general`` and ``feed`` (the rate-limit page counts the feed
endpoints apart). A counter has up to three windows (minute, hour, day); a request passes when
every window has room, and then takes one slot in each. Windows roll: a slot frees exactly one
window length after the request that took it. A refused request takes no slot (never charged).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

from .errors import RateLimited

WINDOW_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class WindowStatus:
    """What the ``X-RateLimit-*`` headers report: the window with the fewest requests left."""

    window: str
    limit: int
    remaining: int
    reset: int  # Unix seconds when the window frees its next slot
    group: str


@dataclass
class Counter:
    """The request times of one key in one group, ascending (only the last day is kept)."""

    times: list[float] = field(default_factory=list)

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.times, now - WINDOW_SECONDS["day"])
        if cut:
            del self.times[:cut]

    def used(self, now: float, seconds: int) -> tuple[int, float | None]:
        """Requests in ``(now - seconds, now]`` and the oldest of them."""
        start = bisect.bisect_right(self.times, now - seconds)
        count = len(self.times) - start
        return count, (self.times[start] if count else None)

    def status(self, now: float, limits: dict[str, int], group: str) -> WindowStatus:
        best: WindowStatus | None = None
        for window, limit in sorted(limits.items(), key=lambda kv: WINDOW_SECONDS[kv[0]]):
            seconds = WINDOW_SECONDS[window]
            count, oldest = self.used(now, seconds)
            reset = math.ceil((oldest if oldest is not None else now) + seconds)
            current = WindowStatus(window, limit, max(0, limit - count), reset, group)
            if best is None or current.remaining < best.remaining:
                best = current
        assert best is not None
        return best

    def take(self, now: float, limits: dict[str, int], group: str, enforce: bool = True) -> WindowStatus:
        """Take a slot or raise :class:`RateLimited` (no slot taken); return the headers' window."""
        self._prune(now)
        if enforce:
            blocked: list[tuple[int, str]] = []
            for window, limit in limits.items():
                seconds = WINDOW_SECONDS[window]
                count, oldest = self.used(now, seconds)
                if count >= limit:
                    # The (count - limit + 1)-th oldest request in the window must leave first.
                    start = len(self.times) - count
                    frees_at = self.times[start + count - limit] + seconds if limit > 0 else now + seconds
                    blocked.append((max(1, math.ceil(frees_at - now)), window))
            if blocked:
                retry_after, window = max(blocked)
                raise RateLimited(retry_after, window, self.status(now, limits, group))
        if self.times and now < self.times[-1]:
            bisect.insort(self.times, now)
        else:
            self.times.append(now)
        return self.status(now, limits, group)


class RateLimiter:
    """Counters of every key, by group."""

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str], Counter] = {}

    def take(self, key: str, group: str, limits: dict[str, int], now: float, enforce: bool = True) -> WindowStatus:
        counter = self._counters.setdefault((key, group), Counter())
        return counter.take(now, limits, group, enforce)

    def peek(self, key: str, group: str, limits: dict[str, int], now: float) -> WindowStatus:
        return self._counters.get((key, group), Counter()).status(now, limits, group)

    def usage(
        self, key: str, limits_by_group: dict[str, dict[str, int] | None], now: float
    ) -> list[tuple[str, str, int, int, int]]:
        """``(group, window, limit, used, frees_at)`` of every window of a key (the live dashboard's meters).

        ``frees_at`` is when the window frees its next slot (Unix seconds): one window length
        after its oldest request, or ``now`` plus the length when it is empty.
        """
        out = []
        for group, limits in limits_by_group.items():
            counter = self._counters.get((key, group), Counter())
            for window, limit in (limits or {}).items():
                seconds = WINDOW_SECONDS[window]
                used, oldest = counter.used(now, seconds)
                out.append((group, window, limit, used, math.ceil((oldest if oldest is not None else now) + seconds)))
        return out

    def windows(
        self, key: str, limits_by_group: dict[str, dict[str, int] | None], now: float
    ) -> dict[str, dict[str, Any]]:
        """Every window of a key (for the control API): ``{group: {window: {limit, used, remaining}}}``."""
        out: dict[str, dict[str, Any]] = {}
        for group, limits in limits_by_group.items():
            if not limits:
                continue
            counter = self._counters.get((key, group), Counter())
            out[group] = {}
            for window, limit in limits.items():
                used, _ = counter.used(now, WINDOW_SECONDS[window])
                out[group][window] = {"limit": limit, "used": used, "remaining": max(0, limit - used)}
        return out
