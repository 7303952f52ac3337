"""The inputs that changed a running mock since its world was built: what a snapshot replays.

A mock is deterministic: the same world, seed and inputs at the same simulated times give the
same state (DESIGN.md). So "the whole world" (accounts, applications, scheduled events, the clock,
scenario counters, webhook retries) is saved as the world description plus this log, and
restored by replaying it on a fresh backend (:mod:`mock_server.core.snapshot`). The log holds:

* every API request, in two steps: ``api`` when it arrives (journal, scenario rules) and
  ``handle`` when its handler runs (after a scenario delay, other requests may come in between);
* the control calls that change state: ``advance``, ``settle``, ``account``, ``load``, ``clear``,
  ``reset``, ``redeliver`` (a webhook delivery sent again);
* ``tick``: the scheduler ran events on its own (real and scaled clocks; drained retries);
* ``attempt``: a webhook attempt completed, with what the receiver answered (real HTTP is not
  replayed; its outcome is).

Each entry carries the simulated time it happened at. On real and scaled clocks every step runs
at one pinned instant (:func:`mock_server.core.clock.pinned`), so that time is exact.

Calls made *by* a recorded input (a scenario rule changing an account, events run by an advance)
are not inputs themselves: :meth:`InputLog.input` counts the depth. A reset keeps only what
still matters after it (the scenario loads that make up the current scenario list), so the log
grows with the traffic since the last reset, up to :data:`MAX_INPUTS`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from typing import Any

# An overflowing log is freed this many entries per later input: freeing 400,000 at once stalled
# the server ~20 ms (the p99 of the runs it fell in, issue 18); this many take ~50 µs.
FREE_PER_INPUT = 1_000
MAX_INPUTS = 400_000  # about 200,000 API requests (~0.7 KB each); beyond this (since the last reset) snapshots are refused, recording stops

Entry = tuple[Any, ...]  # (op, t, *arguments)


class InputLog:
    """``runtime.recorder``: the ordered inputs since :attr:`built_at` (see the module docstring)."""

    def __init__(self, capacity: int = MAX_INPUTS) -> None:
        self.capacity = capacity
        self.entries: list[Entry] = []
        self.built_at = 0.0  # simulated time the world was (re)built at
        self.depth = 0  # > 0 while a recorded input runs: what it calls is not an input
        self.replaying = False
        self.overflowed = False
        self._scenario_log: list[Entry] = []  # load/clear entries, kept even after an overflow
        self._request_ids = itertools.count(1)
        self._discarded: list[Entry] = []  # the entries an overflow dropped, freed a slice per input

    @property
    def recording(self) -> bool:
        return self.depth == 0 and not self.replaying and not self.overflowed

    def add(self, *entry: Any) -> None:
        if self.depth or self.replaying:
            return
        if entry[0] in ("load", "clear"):
            self._scenario_log.append(entry)
        if self.overflowed:
            self._free_some()
            return
        if len(self.entries) >= self.capacity:
            self.overflowed, self._discarded, self.entries = True, self.entries, []
            return
        self.entries.append(entry)

    def _free_some(self) -> None:
        if self._discarded:
            del self._discarded[-FREE_PER_INPUT:]

    @contextlib.contextmanager
    def input(self, op: str, t: float, *args: Any) -> Iterator[None]:
        """Record ``op`` (if it is a top-level input), then run it; nothing it calls is recorded."""
        self.add(op, t, *args)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    @contextlib.contextmanager
    def nested(self) -> Iterator[None]:
        """Run a step whose calls are effects of an input already recorded (scenario side effects)."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    # ── the steps of an API request ─────────────────────────────────────

    def arrive(self, t: float, operation_id: str, scope: Any, raw: bytes, headers: bytes) -> int:
        """An API request arrived (before its scenario rules); returns the id its ``handle`` names.

        ``headers``: the request's header pairs as :mod:`.header_blob` packed them (the journal keeps the same object).
        """
        if not self.recording:
            if self.overflowed:
                self._free_some()
            return 0
        rid = next(self._request_ids)
        self.add(
            "api",
            t,
            rid,
            operation_id,
            scope["method"],
            scope["path"],
            scope["query_string"],
            headers,
            raw,
            scope.get("path_params") or {},
        )
        return rid

    def handle(self, t: float, rid: int) -> None:
        if rid:
            self.add("handle", t, rid)

    # ── lifecycle ───────────────────────────────────────────────────────

    def built(self, t: float) -> None:
        """The runtime built its first world at ``t``."""
        self.built_at = t
        self.entries, self._scenario_log, self._discarded = [], [], []
        self.overflowed = False

    def reset(self, t: float) -> None:
        """After a reset at ``t``: only the scenario loads since the list was last empty still matter.

        They rebuild the scenario list in its order (and the webhook directives in theirs); the
        reset then runs the start rules on the fresh world, exactly as it did live.
        """
        if self.replaying:
            return
        start = max((i for i, e in enumerate(self._scenario_log) if e[0] == "clear"), default=-1) + 1
        loads = [e for e in self._scenario_log[start:] if e[0] == "load"]
        self.overflowed, self._discarded = False, []
        if loads:
            self._scenario_log = loads
            self.entries = [*loads, ("reset", t)]
        else:
            self.built(t)
