"""One event heap on the Clock.

Every future effect (worker pickup, submission outcome, webhook retry, job
closing, rate-limit reset...) is an event on this heap. There is no thread or
task per application and nothing polls: with the manual clock, events run
only inside :meth:`Scheduler.advance`; with real or scaled time, a single
asyncio task sleeps until the next event is due (:meth:`Scheduler.drive`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from .clock import Clock, ManualClock, pinned, unpin


@dataclass(order=True)
class Event:
    """A callback due at simulated time ``due``; ties run in scheduling order."""

    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    label: str = field(default="", compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """Runs callbacks at simulated times, in (time, insertion) order."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[Event] = []
        self._seq = itertools.count()
        self._wake: asyncio.Event | None = None
        self.events_run = 0  # every event run so far (the control API reports how many an advance ran)
        # Called with the time after run_due ran at least one event on its own (snapshot inputs).
        self.on_run: Callable[[float], None] | None = None

    def __len__(self) -> int:
        return sum(1 for e in self._heap if not e.cancelled)

    def at(self, due: float, callback: Callable[[], None], label: str = "") -> Event:
        event = Event(due, next(self._seq), callback, label)
        heapq.heappush(self._heap, event)
        if self._wake is not None and self._heap[0] is event:
            self._wake.set()
        return event

    def after(self, delay: float, callback: Callable[[], None], label: str = "") -> Event:
        return self.at(self.clock.now() + max(0.0, delay), callback, label)

    def next_due(self) -> float | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0].due if self._heap else None

    def run_due(self, until: float | None = None) -> int:
        """Run every event due at or before ``until`` (default: now). Returns how many ran.

        With the manual clock, the clock is moved to each event's time before
        it runs, so timestamps written by the event are its own due time.
        """
        limit = self.clock.now() if until is None else until
        due = self.next_due()
        if due is None or due > limit:
            return 0  # the common case on every API request: nothing due
        manual = self.clock if isinstance(self.clock, ManualClock) else None
        ran = 0
        with contextlib.nullcontext() if manual is not None else pinned(limit):  # one instant for the whole batch
            while True:
                due = self.next_due()
                if due is None or due > limit:
                    break
                event = heapq.heappop(self._heap)
                if manual is not None and event.due > manual.now():
                    manual.set(event.due)
                event.callback()
                ran += 1
        self.events_run += ran
        if ran and self.on_run is not None:
            self.on_run(limit)
        return ran

    def advance(self, seconds: float) -> int:
        """Manual clock only: move time forward, running every due event in order."""
        if not isinstance(self.clock, ManualClock):
            raise TypeError("advance() needs the manual clock")
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        target = self.clock.now() + seconds
        ran = self.run_due(until=target)
        self.clock.set(target)
        return ran

    def clear(self) -> None:
        self._heap.clear()

    async def drive(self) -> None:
        """Run events as real time passes (real and scaled clocks). Cancelled to stop."""
        unpin()  # created during a pinned reset or restore: this task reads the live clock
        self._wake = asyncio.Event()
        try:
            while True:
                self.run_due()
                due = self.next_due()
                delay = None if due is None else self.clock.wall_delay(due - self.clock.now())
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
        finally:
            self._wake = None
