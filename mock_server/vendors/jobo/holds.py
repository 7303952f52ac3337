"""Held requests (decision J26): wait until an application is answerable or terminal, or a deadline.

A create, an answer and ``GET …?wait_seconds=N`` hold. The wait is an ``await`` on an
:class:`asyncio.Event` that the application's state changes set (its ``watchers``), so a held
request never blocks the event loop or any other request. The deadline is on the simulated
clock: a scheduler event at ``now + seconds`` wakes the waiter, so advancing the manual clock
past it releases the request even if nothing else happens. Real time caps the wait too: the
clock's own rate on real and scaled clocks, ``autoApply.holdRealSeconds`` on the manual clock
(where time never passes by itself).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

# Real seconds added to a real or scaled clock's wait, so the scheduler's own deadline event wins the race.
_SLACK = 0.05


async def hold(backend: Any, rt: Any, app: Any, seconds: float) -> None:
    """Return when ``app`` is answerable or terminal, ``seconds`` simulated seconds passed, or the real cap."""
    if app.answerable or seconds <= 0:
        return
    loop = asyncio.get_running_loop()
    woken = asyncio.Event()

    def wake() -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            woken.set()
        else:  # the clock was advanced from another thread (e.g. in-process Runtime.advance)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(woken.set)

    clock = backend.clock
    deadline = clock.now() + seconds
    timer = backend.scheduler.at(deadline, wake, f"hold on {app.id}")
    app.watchers.append(wake)
    real = clock.wall_delay(seconds)
    cap = backend.auto_apply.settings.hold_real_seconds if real is None else real + _SLACK
    end = loop.time() + cap
    try:
        while not app.answerable and clock.now() < deadline and rt.sim is backend:
            remaining = end - loop.time()
            if remaining <= 0:
                break
            woken.clear()
            try:
                await asyncio.wait_for(woken.wait(), remaining)
            except asyncio.TimeoutError:
                break
    finally:
        with contextlib.suppress(ValueError):
            app.watchers.remove(wake)
        timer.cancel()
