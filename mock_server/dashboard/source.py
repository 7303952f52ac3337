"""What the dashboard reads of the simulated service: timeline rows, application records, meters.

The views in this package are vendor-neutral; this module is the one place that
knows the shape of the UpHunt simulator (applications by queueId, accounts with
a credit ledger, agencies with Connects, the rate limiter).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..journal import mask_secret

if TYPE_CHECKING:
    from ..runtime import Runtime


def _ms(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1000))


def timeline(rt: Runtime, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """(applications in the world, the newest ``limit`` of them as timeline rows, oldest first)."""
    apps = rt.sim.applications
    newest = list(itertools.islice(reversed(apps.values()), limit))
    newest.reverse()
    rows = [
        {
            "id": app.queue_id,
            "label": app.job_id,
            "account": mask_secret(app.api_key),
            "group": app.agency_id,
            "state": app.status,
            "terminal": app.is_terminal,
            "createdAt": _ms(app.created_at),
            "pickupAt": _ms(app.pickup_at),
            "completesAt": _ms(app.completes_at),
            "finishedAt": _ms(app.finished_at) if app.is_terminal else None,
        }
        for app in newest
    ]
    return len(apps), rows


def application_record(rt: Runtime, app_id: str) -> dict[str, Any] | None:
    app = rt.sim.applications.get(app_id)
    return None if app is None else rt.application_record(app)


def meter_accounts(rt: Runtime) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(apiKey, numbers)`` per account: the credit ledger, the agency's Connects, rate-limit usage."""
    now = rt.sim.clock.now()
    for key in list(rt.sim.accounts):
        record = meter_record(rt, key, now)
        if record is not None:
            yield key, record


def meter_record(rt: Runtime, api_key: str, now: float | None = None) -> dict[str, Any] | None:
    sim = rt.sim
    account = sim.accounts.get(api_key)
    if account is None:
        return None
    agency = sim.agencies.get(account.agency_id)
    rate: dict[str, dict[str, int]] = {}
    for group, window, _limit, used, _reset in rt.rate_limiter.usage(api_key, sim.clock.now() if now is None else now):
        rate.setdefault(group, {})[window] = used
    record: dict[str, Any] = {"credits": account.ledger.as_dict(), "connects": agency.connects if agency else 0}
    if rate:
        record["rate"] = rate
    return record


def account_group(rt: Runtime, api_key: str) -> str | None:
    account = rt.sim.accounts.get(api_key)
    return None if account is None else account.agency_id


def rate_windows(rt: Runtime, api_key: str) -> list[dict[str, Any]]:
    return [
        {"operation": group, "window": window, "limit": limit, "used": used, "resetsAt": reset * 1000}
        for group, window, limit, used, reset in rt.rate_limiter.usage(api_key, rt.clock.now())
    ]


def terminal_account(event: Any) -> str | None:
    """The API key a terminal event belongs to."""
    return getattr(event, "api_key", None)
