"""What the dashboard reads of a vendor's simulated service: a small protocol each vendor fills in.

The dashboard's views are vendor-neutral. A vendor that wants its applications
on the timeline and its accounts on the meters returns a :class:`DashboardSource`
from :meth:`~mock_server.core.vendor.Vendor.dashboard_source`; without one the
page still shows the journal, webhooks, scenarios and the clock, and an empty
timeline. Shapes are the control spec's (``TimelineBar``, ``RateWindow``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runtime import Runtime


class DashboardSource:
    """The default: nothing to draw. Vendors subclass it and override what they have."""

    def timeline(self, rt: Runtime, limit: int) -> tuple[int, list[dict[str, Any]]]:
        """(how many applications the world has, the newest ``limit`` as ``TimelineBar`` rows, oldest first)."""
        return 0, []

    def application(self, rt: Runtime, app_id: str) -> dict[str, Any] | None:
        """One application as ``GET /_mock/state`` shows it; None if unknown."""
        return None

    def meter_accounts(self, rt: Runtime) -> Iterable[tuple[str, dict[str, Any]]]:
        """``(apiKey, record)`` per account; every number in ``record`` is charted (nested keys joined with dots)."""
        return ()

    def meter_record(self, rt: Runtime, api_key: str) -> dict[str, Any] | None:
        """One account's ``record`` as :meth:`meter_accounts` gives it."""
        return dict(self.meter_accounts(rt)).get(api_key)

    def account_group(self, rt: Runtime, api_key: str) -> str | None:
        """What the account belongs to (UpHunt: its agency); None if nothing."""
        return None

    def rate_windows(self, rt: Runtime, api_key: str) -> list[dict[str, Any]]:
        """The account's current rate-limit windows as ``RateWindow`` objects."""
        return []


NO_SOURCE = DashboardSource()


def source_of(rt: Runtime) -> DashboardSource:
    return rt.vendor.dashboard_source() or NO_SOURCE
