"""How long the simulated worker takes: pickup delay and proposal submission.

Each stage is a log-normal distribution fitted to two documented figures (its
median and its 95th percentile) and clipped to a range, so a world file can
state the latency budget in the docs' own terms. The defaults reproduce the
budget of the docs' How Auto-Apply Works page (https://uphunt.io/docs/how-auto-apply-works):
pickup usually under 5 s and at most 30 s under load, submission mostly 20-60 s,
end-to-end p50 about 40 s and p95 about 90 s.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

_Z95 = 1.6448536269514722  # standard normal 95th percentile


@dataclass(slots=True)
class Stage:
    """A log-normal stage duration in seconds, described by median and p95, clipped to [low, high]."""

    median: float
    p95: float
    low: float = 0.0
    high: float = math.inf

    def __post_init__(self) -> None:
        if not (self.median > 0 and self.p95 >= self.median):
            raise ValueError("a latency stage needs 0 < median <= p95")
        if self.low > self.high:
            raise ValueError("a latency stage needs low <= high")

    @property
    def sigma(self) -> float:
        return math.log(self.p95 / self.median) / _Z95

    def sample(self, rng: random.Random) -> float:
        value = self.median * math.exp(self.sigma * rng.gauss(0.0, 1.0))
        return min(self.high, max(self.low, value))


@dataclass(slots=True)
class LatencyModel:
    """Pickup and submission stages, plus how queue depth stretches the pickup.

    ``workers`` is the size of the simulated worker pool: when more
    applications wait for pickup than there are workers, the pickup delay
    grows in proportion, up to ``pickup.high`` (30 s by default).
    """

    pickup: Stage = field(default_factory=lambda: Stage(median=2.0, p95=4.5, low=0.5, high=30.0))
    submission: Stage = field(default_factory=lambda: Stage(median=37.5, p95=88.0, low=12.0, high=240.0))
    workers: int = 50

    def pickup_delay(self, rng: random.Random, waiting: int) -> float:
        base = self.pickup.sample(rng)
        load = waiting / self.workers if self.workers > 0 else 0.0
        return min(self.pickup.high, base * (1.0 + load))

    def submission_time(self, rng: random.Random) -> float:
        return self.submission.sample(rng)
