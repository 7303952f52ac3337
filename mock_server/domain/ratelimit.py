"""Per-key, per-endpoint request limits in fixed windows of simulated time.

Windows are aligned to the minute and to the UTC day (decision 12 in
docs/decisions.md). For an endpoint with two limits, a request must fit both;
the headers describe the window with fewer requests left (ties: the shorter).
A refused request is not counted, so retrying after ``Retry-After`` works.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WINDOWS = {"minute": 60, "hour": 3600, "day": 86_400}

# The documented table (RL-new); `dataReads` is the mock's decision (60/min).
DEFAULT_LIMITS: dict[str, list[tuple[int, str]]] = {
    "apply": [(60, "minute"), (1000, "day")],
    "status": [(300, "minute")],
    "appliedJobs": [(60, "minute")],
    "generateProposal": [(30, "minute"), (500, "day")],
    "freelancers": [(30, "minute")],
    "dataReads": [(60, "minute")],
}


@dataclass(slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds when the reported window rolls over
    window: str
    retry_after: int = 0  # seconds, when refused

    def headers(self) -> dict[str, str]:
        h = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            h["Retry-After"] = str(self.retry_after)
        return h


class RateLimiter:
    """Counts requests per (key, group, window) and decides whether one more fits."""

    def __init__(self, limits: dict[str, list[tuple[int, str]]] | None = None, enabled: bool = True) -> None:
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.enabled = enabled
        self._counts: dict[tuple[str, str, str], tuple[int, int]] = {}  # -> (window start, count)

    @classmethod
    def from_settings(cls, raw: dict[str, Any]) -> RateLimiter:
        """``settings.rateLimits`` of a world: ``enabled`` and per-group lists of {limit, window}."""
        limits = dict(DEFAULT_LIMITS)
        for group, rules in raw.items():
            if group == "enabled":
                continue
            if group not in DEFAULT_LIMITS:
                raise ValueError(f"settings.rateLimits.{group}: unknown group; use one of {', '.join(DEFAULT_LIMITS)}")
            parsed = []
            for rule in rules or []:
                if rule.get("window") not in WINDOWS or not isinstance(rule.get("limit"), int) or rule["limit"] < 0:
                    raise ValueError(f"settings.rateLimits.{group}: each rule needs limit (int >= 0) and window (minute|hour|day)")
                parsed.append((rule["limit"], rule["window"]))
            limits[group] = parsed
        return cls(limits, enabled=bool(raw.get("enabled", True)))

    def check(self, key: str, group: str, now: float) -> Decision | None:
        """Count one request if it fits every window; None when the group is unlimited."""
        rules = self.limits.get(group)
        if not self.enabled or not rules:
            return None
        states = []
        for limit, window in rules:
            size = WINDOWS[window]
            start = int(math.floor(now / size) * size)
            slot = (key, group, window)
            prev = self._counts.get(slot)
            count = prev[1] if prev is not None and prev[0] == start else 0
            states.append((limit, window, size, start, count, slot))
        refused = [s for s in states if s[4] >= s[0]]
        if refused:
            limit, window, size, start, _count, _slot = max(refused, key=lambda s: s[3] + s[2])
            reset = start + size
            return Decision(False, limit, 0, reset, window, retry_after=max(1, math.ceil(reset - now)))
        for _limit, _window, _size, start, count, slot in states:
            self._counts[slot] = (start, count + 1)
        limit, window, size, start, count, _slot = min(states, key=lambda s: (s[0] - s[4] - 1, s[2]))
        return Decision(True, limit, limit - count - 1, start + size, window)

    def peek(self, key: str, group: str, now: float) -> Decision | None:
        """The current window state without counting (for headers on responses that do not count)."""
        rules = self.limits.get(group)
        if not self.enabled or not rules:
            return None
        best = None
        for limit, window in rules:
            size = WINDOWS[window]
            start = int(math.floor(now / size) * size)
            prev = self._counts.get((key, group, window))
            count = prev[1] if prev is not None and prev[0] == start else 0
            cand = (max(0, limit - count), size, Decision(True, limit, max(0, limit - count), start + size, window))
            if best is None or cand[:2] < best[:2]:
                best = cand
        return best[2] if best else None

    def reset(self) -> None:
        self._counts.clear()
