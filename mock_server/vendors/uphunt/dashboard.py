"""What the live dashboard (``/_mock/ui``) draws of the UpHunt simulator.

Applications are timeline bars (queued, picked up by a worker, terminal),
grouped by agency; an account's meters are its credit ledger, its agency's
Connects and how much of each rate-limit window it has used.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mock_server.core.dashboard.source import DashboardSource
from mock_server.core.journal import mask_secret

from .control import application_state

if TYPE_CHECKING:
    from mock_server.core.runtime import Runtime

    from .domain.simulator import Simulator


def _ms(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1000))


class UpHuntDashboard(DashboardSource):
    def timeline(self, rt: Runtime, limit: int) -> tuple[int, list[dict[str, Any]]]:
        apps = rt.sim.applications  # insertion order is creation order: the newest are at the end
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

    def application(self, rt: Runtime, app_id: str) -> dict[str, Any] | None:
        app = rt.sim.applications.get(app_id)
        return None if app is None else application_state(app)

    def meter_accounts(self, rt: Runtime) -> Iterator[tuple[str, dict[str, Any]]]:
        sim: Simulator = rt.sim
        now = sim.clock.now()
        for key in list(sim.accounts):
            record = self._record(sim, key, now)
            if record is not None:
                yield key, record

    def meter_record(self, rt: Runtime, api_key: str) -> dict[str, Any] | None:
        return self._record(rt.sim, api_key, rt.sim.clock.now())

    def _record(self, sim: Simulator, api_key: str, now: float) -> dict[str, Any] | None:
        account = sim.accounts.get(api_key)
        if account is None:
            return None
        agency = sim.agencies.get(account.agency_id)
        record: dict[str, Any] = {"credits": account.ledger.as_dict(), "connects": agency.connects if agency else 0}
        rate: dict[str, dict[str, int]] = {}
        if sim.rate_limiter is not None:
            for group, window, _limit, used, _reset in sim.rate_limiter.usage(api_key, now):
                rate.setdefault(group, {})[window] = used
        if rate:
            record["rate"] = rate
        return record

    def account_group(self, rt: Runtime, api_key: str) -> str | None:
        account = rt.sim.accounts.get(api_key)
        return None if account is None else account.agency_id

    def rate_windows(self, rt: Runtime, api_key: str) -> list[dict[str, Any]]:
        limiter = rt.sim.rate_limiter
        if limiter is None:
            return []
        return [
            {"operation": group, "window": window, "limit": limit, "used": used, "resetsAt": reset * 1000}
            for group, window, limit, used, reset in limiter.usage(api_key, rt.clock.now())
        ]


DASHBOARD = UpHuntDashboard()
