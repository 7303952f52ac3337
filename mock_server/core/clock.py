"""The one source of time for the whole mock.

Every timestamp the mock emits and every delay it simulates is read from a
:class:`Clock`, so tests can use the manual clock and never sleep, while
``make run`` uses real (or scaled) time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Protocol

# 2026-01-01T00:00:00Z: the manual clock's default epoch, so runs are reproducible.
DEFAULT_MANUAL_EPOCH = 1_767_225_600.0


class Clock(Protocol):
    """Simulated time in Unix seconds (float)."""

    # Read-only in the protocol, so a clock whose factor is always a float (ScaledClock) still is one.
    @property
    def mode(self) -> str: ...

    @property
    def factor(self) -> float | None: ...

    def now(self) -> float: ...

    def wall_delay(self, simulated_seconds: float) -> float | None:
        """Real seconds to wait for ``simulated_seconds`` to pass, or None if time never passes by itself."""
        ...


# One instant for a whole step of work on a real or scaled clock (an API request's handler, a batch
# of scheduler events, a world build): every read inside it sees the same time, so the step can be
# replayed exactly from that one recorded time (snapshot/restore). Context-local: a request task's
# pin is invisible to the scheduler task and to other requests. The manual clock needs none.
_PINNED: ContextVar[float | None] = ContextVar("uphunt_mock_pinned_now", default=None)


@contextlib.contextmanager
def pinned(t: float) -> Iterator[float]:
    """Real and scaled clocks read ``t`` inside the block (in this thread or task only)."""
    token = _PINNED.set(t)
    try:
        yield t
    finally:
        _PINNED.reset(token)


def set_pin(t: float) -> Token[float | None]:
    """:func:`pinned` for code that cannot use a ``with`` block (an ``await`` in between); undo with :func:`reset_pin`."""
    return _PINNED.set(t)


def reset_pin(token: Token[float | None]) -> None:
    _PINNED.reset(token)


def unpin() -> None:
    """Forget any pin inherited by a new task (tasks copy the context they are created in)."""
    _PINNED.set(None)


def now_ms(clock: Clock) -> int:
    """Unix milliseconds, the unit of every body timestamp in the UpHunt API."""
    return int(round(clock.now() * 1000))


@dataclass
class RealClock:
    """Wall-clock time."""

    mode: str = "real"
    factor: float | None = None

    def now(self) -> float:
        pin = _PINNED.get()
        return time.time() if pin is None else pin

    def wall_delay(self, simulated_seconds: float) -> float | None:
        return max(0.0, simulated_seconds)


@dataclass
class ScaledClock:
    """Time that runs ``factor`` times as fast as the wall clock's, from a start point.

    ``factor=0.01`` is *not* a speed-up: it means every simulated second takes
    0.01 real seconds, i.e. the 40 s median apply settles in 0.4 s. The
    factor is therefore "real seconds per simulated second".
    """

    factor: float = 0.01
    start: float = field(default_factory=time.time)
    mode: str = "scaled"
    _mono0: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        pin = _PINNED.get()
        return self.start + (time.monotonic() - self._mono0) / self.factor if pin is None else pin

    def resume_at(self, t: float) -> None:
        """Continue from simulated time ``t`` now (a restored snapshot: time did not pass while stopped)."""
        self.start, self._mono0 = t, time.monotonic()

    def wall_delay(self, simulated_seconds: float) -> float | None:
        return max(0.0, simulated_seconds) * self.factor


@dataclass
class ManualClock:
    """Time that moves only when told to (``advance``/``set``)."""

    current: float = DEFAULT_MANUAL_EPOCH
    mode: str = "manual"
    factor: float | None = None

    def now(self) -> float:
        return self.current

    def wall_delay(self, simulated_seconds: float) -> float | None:
        return None

    def set(self, t: float) -> None:
        if t < self.current:
            raise ValueError("the manual clock never goes backwards")
        self.current = t


def parse_clock(spec: str, start: float | None = None) -> Clock:
    """Build a clock from the CLI form: ``real``, ``manual`` or ``scale=F``."""
    spec = spec.strip()
    if spec == "real":
        return RealClock()
    if spec == "manual":
        return ManualClock(DEFAULT_MANUAL_EPOCH if start is None else start)
    if spec.startswith("scale="):
        try:
            factor = float(spec.split("=", 1)[1])
        except ValueError:
            raise ValueError(f"bad clock {spec!r}: scale=F needs a number, e.g. scale=0.01") from None
        if not factor > 0:
            raise ValueError(f"bad clock {spec!r}: the scale factor must be > 0")
        return ScaledClock(factor=factor)
    raise ValueError(f"bad clock {spec!r}: use real, manual or scale=F")
