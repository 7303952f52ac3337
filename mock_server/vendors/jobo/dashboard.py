"""What the live dashboard (``/_mock/ui``) draws of the Jobo simulator.

Jobo has no application queue yet (auto-apply is the next issue), so the timeline stays empty;
an account's meters are its credit wallet (balance, spent, granted) and how much of each
rolling rate-limit window it has used. Accounts are grouped by environment (live / sandbox).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from mock_server.core.dashboard.source import DashboardSource

from .domain.credits import number

if TYPE_CHECKING:
    from mock_server.core.runtime import Runtime

    from .domain.world import JoboWorld


def _world(rt: Runtime) -> JoboWorld:
    return rt.sim.world


def _usage(world: JoboWorld, api_key: str) -> list[tuple[str, str, int, int, int]]:
    account = world.accounts[api_key]
    limits = {group: world.limits_for(account, group) for group in world.settings.rate_limits}
    return world.limiter.usage(api_key, limits, world.clock.now())


class JoboDashboard(DashboardSource):
    def meter_accounts(self, rt: Runtime) -> Iterator[tuple[str, dict[str, Any]]]:
        for key in list(_world(rt).accounts):
            record = self.meter_record(rt, key)
            if record is not None:
                yield key, record

    def meter_record(self, rt: Runtime, api_key: str) -> dict[str, Any] | None:
        world = _world(rt)
        account = world.accounts.get(api_key)
        if account is None:
            return None
        wallet = account.wallet
        rate: dict[str, dict[str, int]] = {}
        for group, window, _limit, used, _frees in _usage(world, api_key):
            rate.setdefault(group, {})[window] = used
        credits = {"balance": number(wallet.balance), "spent": number(wallet.spent), "granted": number(wallet.granted)}
        return {"credits": credits, "rate": rate} if rate else {"credits": credits}

    def account_group(self, rt: Runtime, api_key: str) -> str | None:
        account = _world(rt).accounts.get(api_key)
        return None if account is None else ("sandbox" if account.sandbox else "live")

    def rate_windows(self, rt: Runtime, api_key: str) -> list[dict[str, Any]]:
        world = _world(rt)
        if api_key not in world.accounts:
            return []
        return [
            {"operation": group, "window": window, "limit": limit, "used": used, "resetsAt": frees * 1000}
            for group, window, limit, used, frees in _usage(world, api_key)
        ]


DASHBOARD = JoboDashboard()
