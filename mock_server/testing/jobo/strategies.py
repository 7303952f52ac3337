"""Hypothesis strategies of Jobo fault schedules (hypothesis is imported only when one is built)."""

from __future__ import annotations

from typing import Any

from ..schedule import Drop, Respond
from .schedule import RESTART_STATUS, TERMINAL_STATUSES, JoboFaultSchedule


def retryable_faults(max_retry_after: int = 60) -> Any:
    """What the Status Codes page says to retry: 429 with a Retry-After of 1..max_retry_after s, 500, 503 (bare, or the
    feed's ``Retry-After: 5`` under load, or maintenance's 30-60 s), or a dropped connection."""
    from hypothesis import strategies as st

    return st.one_of(
        st.builds(Respond, st.just(429), st.integers(1, max_retry_after)),
        st.sampled_from([Respond(500), Respond(503), Respond(503, retry_after=5), Drop()]),
        st.builds(Respond, st.just(503), st.integers(30, 60)),
    )


def terminal_faults() -> Any:
    """What retrying cannot fix: 400, 401, 402, 403 or 404."""
    from hypothesis import strategies as st

    return st.sampled_from([Respond(s) for s in sorted(TERMINAL_STATUSES)])


def restart_faults() -> Any:
    """409 ``feed_cursor_restart_required``: start a new scan (feed requests only)."""
    from hypothesis import strategies as st

    return st.just(Respond(RESTART_STATUS))


def faults(retryable: bool = True, terminal: bool = True, restart: bool = False, max_retry_after: int = 60) -> Any:
    """Any injectable fault of these kinds (``None`` = the request is served normally)."""
    from hypothesis import strategies as st

    options = [st.none()]
    if retryable:
        options.append(retryable_faults(max_retry_after))
    if terminal:
        options.append(terminal_faults())
    if restart:
        options.append(restart_faults())
    return st.one_of(*options)


def fault_schedules(
    feed: Any = None,
    expired: Any = None,
    search: Any = None,
    max_feed: int = 4,
    max_expired: int = 2,
    max_search: int = 0,
) -> Any:
    """Jobo fault schedules: up to ``max_feed`` faults on feed requests (retryable, terminal or 409),
    ``max_expired`` on the expired sweep and ``max_search`` on searches. Pass a strategy to narrow a part
    (``feed=retryable_faults()``) or a max of 0 to leave it alone."""
    from hypothesis import strategies as st

    feed = faults(restart=True) if feed is None else feed
    expired = faults() if expired is None else expired
    search = faults() if search is None else search
    return st.builds(
        JoboFaultSchedule,
        feed=st.lists(feed, max_size=max_feed).map(tuple),
        expired=st.lists(expired, max_size=max_expired).map(tuple),
        search=st.lists(search, max_size=max_search).map(tuple),
    )
