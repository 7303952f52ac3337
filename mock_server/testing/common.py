"""What the sync and the async handle share (so neither imports the other)."""

from __future__ import annotations

import json
from typing import Any

from .shapes import State


def settle_step(state: State, advanced: float, max_seconds: float) -> float:
    """Seconds to advance next so the next pickup or outcome runs (0: nothing is processing, or the budget is spent)."""
    now = state["clock"]["now"] / 1000
    pending = [a for a in state["applications"] if a["applicationStatus"] == "processing"]
    if not pending:
        return 0.0
    due = [t / 1000 for a in pending for t in (a.get("pickupAt"), a.get("completesAt")) if t is not None]
    future = [t for t in due if t > now]
    step = (min(future) - now) if future else 1.0
    return min(step, max_seconds - advanced)


class MockError(AssertionError):
    """The control API refused a request (e.g. an invalid scenario): the status and its body."""

    def __init__(self, status: int, body: Any, what: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{what}: HTTP {status}: {json.dumps(body) if not isinstance(body, str) else body}")


STATE_PAGE_LIMIT = 10_000  # the largest page GET /_mock/state gives
_MAX_STATE_PAGES = 10_000  # a bound on following cursors (10^8 items)


def merge_state_page(state: dict[str, Any], page: dict[str, Any]) -> None:
    """Append a later page of ``GET /_mock/state`` to the first one: its lists extended, its cursor taken."""
    for name, value in page.items():
        if isinstance(value, list) and isinstance(state.get(name), list):
            state[name].extend(value)
    state["nextCursor"] = page.get("nextCursor")
