"""Put clients that sleep where they cannot be told how (tenacity, urllib3 ``Retry``, asyncio) on the mock's clock.

    def test_retries(uphunt_mock, monkeypatch):
        uphunt_mock.patch_time(monkeypatch)      # until the end of the test
        client_that_uses_tenacity.apply(...)     # its time.sleep(2) advances the mock 2 s, at once

It needs the manual clock (the plugin's default). While patched, in the thread that patched (the
test's): ``time.sleep(s)`` and ``asyncio.sleep(s)`` advance the mock's manual clock by ``s`` instead of waiting, and ``time.time()`` /
``time.monotonic()`` read the mock's simulated time (Unix seconds; the handle's view of it, exact
when time moves only through this handle, which is what the manual clock means). Other threads
(the mock's own server, pytest's) keep real time. Code that did ``from time import sleep`` at
import holds the real function: patch that name too (``monkeypatch.setattr(module, "sleep", time.sleep)``
after patching), or give the client ``mock.sleep``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from typing import Any


class TimePatch:
    """The patched functions; a context manager, or applied through pytest's ``monkeypatch``."""

    def __init__(self, mock: Any) -> None:
        self.mock = mock  # UpHuntMock (or anything with monotonic() and sleep(seconds))
        self.thread = threading.get_ident()
        self._busy = threading.local()  # inside a call to the mock: every clock read there is real
        self.real_sleep = time.sleep
        self.real_time = time.time
        self.real_monotonic = time.monotonic
        self.real_asyncio_sleep = asyncio.sleep
        self._undo: list[Callable[[], None]] = []

    def _ours(self) -> bool:
        return threading.get_ident() == self.thread and not getattr(self._busy, "on", False)

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        self._busy.on = True
        try:
            return fn(*args)
        finally:
            self._busy.on = False

    # ── the replacements ──

    def time(self) -> float:
        return self._call(self.mock.monotonic) if self._ours() else self.real_time()

    def monotonic(self) -> float:
        return self._call(self.mock.monotonic) if self._ours() else self.real_monotonic()

    def sleep(self, seconds: float) -> None:
        if not self._ours():
            self.real_sleep(seconds)
        elif seconds > 0:
            self._call(self.mock.sleep, seconds)

    async def asyncio_sleep(self, delay: float, result: Any = None) -> Any:
        if self._ours() and delay > 0:
            self._call(self.mock.sleep, delay)  # the loop waits for the advance; then others run
            delay = 0
        return await self.real_asyncio_sleep(delay, result)

    # ── installing ──

    def targets(self) -> list[tuple[Any, str, Any]]:
        return [
            (time, "sleep", self.sleep),
            (time, "time", self.time),
            (time, "monotonic", self.monotonic),
            (asyncio, "sleep", self.asyncio_sleep),
        ]

    def apply(self, monkeypatch: Any) -> TimePatch:
        """Patch through pytest's ``monkeypatch`` (undone at the end of the test)."""
        for module, name, value in self.targets():
            monkeypatch.setattr(module, name, value)
        return self

    def __enter__(self) -> TimePatch:
        for module, name, value in self.targets():
            previous = getattr(module, name)
            setattr(module, name, value)
            self._undo.append(functools.partial(setattr, module, name, previous))
        return self

    def __exit__(self, *exc: object) -> None:
        while self._undo:
            self._undo.pop()()


def patch_time(mock: Any, monkeypatch: Any = None) -> TimePatch:
    """Patch ``time.sleep``, ``time.time``, ``time.monotonic`` and ``asyncio.sleep`` onto ``mock``'s clock.

    With ``monkeypatch`` (pytest's fixture) the patch lasts until the end of the test; without it,
    use the result as a context manager: ``with patch_time(mock): ...``.
    """
    patch = TimePatch(mock)
    return patch.apply(monkeypatch) if monkeypatch is not None else patch
