"""Auto Apply quotas (decision J32): creates per rolling window, in flight, capacity.

``application_quota_exceeded``: live creates per rolling 24 h (5), sandbox creates per rolling
hour (20), non-terminal applications per key (5). ``application_capacity_exceeded``: queued +
running applications of the key at capacity (200). A refused create is not counted.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from . import errors

IN_FLIGHT_RETRY_HINT = 60
CAPACITY_RETRY_AFTER = 30


@dataclass
class Quotas:
    live_per_day: int = 5
    sandbox_per_hour: int = 20
    in_flight: int = 5
    capacity: int = 200

    @classmethod
    def from_section(cls, raw: dict[str, int] | None) -> Quotas:
        raw = raw or {}
        return cls(
            live_per_day=int(raw.get("livePerDay", 5)),
            sandbox_per_hour=int(raw.get("sandboxPerHour", 20)),
            in_flight=int(raw.get("inFlight", 5)),
            capacity=int(raw.get("capacity", 200)),
        )


class CreateWindows:
    """When each key's accepted creates happened (rolling windows)."""

    def __init__(self) -> None:
        self._times: dict[str, deque[float]] = {}

    def check(self, api_key: str, sandbox: bool, quotas: Quotas, now: float, in_flight: int, active: int) -> None:
        """Raise the quota or capacity refusal the next create would meet; record nothing."""
        limit, window, label = (
            (quotas.sandbox_per_hour, 3600.0, "sandbox applications per hour")
            if sandbox
            else (quotas.live_per_day, 86400.0, "live applications per 24 hours")
        )
        times = self._times.setdefault(api_key, deque())
        while times and times[0] <= now - window:
            times.popleft()
        if len(times) >= limit:
            wait = max(1, math.ceil(times[len(times) - limit] + window - now)) if limit > 0 else int(window)
            raise errors.AutoApplyError(
                "quota", "application_quota_exceeded",
                f"Application quota exceeded: {limit} {label}. Try again in {wait} seconds.", retry_after=wait,
            )  # fmt: skip
        if in_flight >= quotas.in_flight:
            raise errors.AutoApplyError(
                "quota", "application_quota_exceeded",
                f"Application quota exceeded: {quotas.in_flight} applications in flight. Wait for one to finish.",
                retry_after=IN_FLIGHT_RETRY_HINT,
            )  # fmt: skip
        if active >= quotas.capacity:
            raise errors.AutoApplyError(
                "unavailable", "application_capacity_exceeded",
                f"Too many applications queued or running ({quotas.capacity}). Try again in {CAPACITY_RETRY_AFTER} seconds.",
                retry_after=CAPACITY_RETRY_AFTER,
            )  # fmt: skip

    def record(self, api_key: str, now: float) -> None:
        self._times.setdefault(api_key, deque()).append(now)
