"""Hypothesis strategies that generate fault schedules (hypothesis is imported only when one is built)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .schedule import TERMINAL_STATUSES, Drop, FaultSchedule, Outcome, Respond

# hypothesis is a test dependency: imported when a strategy is built, not with this module.


def retryable_faults(max_retry_after: int = 60) -> Any:
    """429 with a Retry-After of 1..max_retry_after s, 500, 503, or a dropped connection."""
    from hypothesis import strategies as st

    return st.one_of(
        st.builds(Respond, st.just(429), st.integers(1, max_retry_after)),
        st.sampled_from([Respond(500), Respond(503), Drop()]),
    )


def terminal_faults() -> Any:
    """An error that retrying cannot fix: 400, 401, 402, 404, 409 or 422."""
    from hypothesis import strategies as st

    return st.sampled_from([Respond(s) for s in sorted(TERMINAL_STATUSES)])


def faults(retryable: bool = True, terminal: bool = True, max_retry_after: int = 60) -> Any:
    """Any injectable HTTP fault (``None`` = the request is served normally)."""
    from hypothesis import strategies as st

    options = [st.none()]
    if retryable:
        options.append(retryable_faults(max_retry_after))
    if terminal:
        options.append(terminal_faults())
    return st.one_of(*options)


def outcomes(
    statuses: Iterable[str] = (
        "logged_out",
        "not_enough_connects",
        "not_eligible",
        "not_available",
        "failed",
        "applied",
    ),
) -> Any:
    """A forced outcome of one application (``None`` = the world decides)."""
    from hypothesis import strategies as st

    return st.one_of(st.none(), st.builds(Outcome, st.sampled_from(list(statuses))))


def submission_times(low: float = 10, high: float = 420) -> Any:
    """How long every submission takes (whole seconds), ``None`` for the world's latency model.

    Above ~300 s the application is still processing when the documented 5-minute polling
    window closes (the slow tail); above 60 s polling switches to the 15 s cadence.
    """
    from hypothesis import strategies as st

    return st.one_of(st.none(), st.integers(int(low), int(high)).map(float))


def fault_schedules(
    apply: Any = None,
    status: Any = None,
    outcome: Any = None,
    submission: Any = None,
    max_apply: int = 4,
    max_status: int = 3,
    max_outcomes: int = 2,
) -> Any:
    """Fault schedules: up to ``max_apply`` faults on apply requests, ``max_status`` on status polls,
    ``max_outcomes`` forced outcomes and a submission time. Pass a strategy to narrow a part
    (``apply=retryable_faults()``, ``submission=st.just(None)``), or a max of 0 to leave it alone.
    """
    from hypothesis import strategies as st

    apply = faults() if apply is None else apply
    status = faults(terminal=False) if status is None else status
    outcome = outcomes() if outcome is None else outcome
    submission = submission_times() if submission is None else submission
    return st.builds(
        FaultSchedule,
        apply=st.lists(apply, max_size=max_apply).map(tuple),
        status=st.lists(status, max_size=max_status).map(tuple),
        outcomes=st.lists(outcome, max_size=max_outcomes).map(tuple),
        submission=submission,
    )
