"""Jobo's client invariants for ``uphunt-mock verify``: the data API's retry table and Auto Apply's rules.

``Vendor.client_invariants`` names one function; Jobo has two families of invariants (the Status
Codes page's retry table for every request, :mod:`.jobo`; Idempotency-Key, answer windows and
terminal states for Auto Apply, :mod:`.jobo_autoapply`), checked here over the same journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import jobo, jobo_autoapply

CHECKS: dict[str, Any] = {**jobo.CHECKS, **jobo_autoapply.CHECKS}


def check_client(
    log: Any, applications: Any = (), schedule: Any = None, checks: Iterable[str] | None = None
) -> list[Any]:
    """Every violation of either family visible in the journal ``log`` (``checks`` selects by name)."""
    wanted = set(checks) if checks else None
    data_checks = [n for n in jobo.CHECKS if wanted is None or n in wanted]
    auto_checks = [n for n in jobo_autoapply.CHECKS if wanted is None or n in wanted]
    violations: list[Any] = []
    if data_checks:
        violations += jobo.check_client(list(log), applications or (), schedule, data_checks)
    if auto_checks:
        violations += jobo_autoapply.check_journal(log, applications, schedule, auto_checks)
    return violations
