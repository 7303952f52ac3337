"""The live dashboard at ``/_mock/ui``: change notifications, meters, and the views the page reads.

:func:`install` wires a :class:`~mock_server.core.runtime.Runtime` for it: a
:class:`~.live.ChangeFeed` (``runtime.changes``) that the request pipeline,
the control API, the simulator and the webhook dispatcher bump, and
:class:`~.meters.Meters` (``runtime.meters``), the accounts' history.
The HTTP side is in :mod:`.control` (handlers of the control API's
dashboard operations) and :mod:`.assets` (the page's files).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..clock import now_ms
from .live import ChangeFeed
from .meters import Meters, flatten_numbers
from .source import source_of

if TYPE_CHECKING:
    from ..runtime import Runtime

__all__ = ["ChangeFeed", "Meters", "install"]


def install(rt: Runtime) -> tuple[ChangeFeed, Meters]:
    """Create the runtime's change feed and meters and hook them to everything that changes the world."""
    feed = ChangeFeed(rt.clock_info)
    meters = Meters(
        lambda: source_of(rt).meter_accounts(rt),
        lambda: now_ms(rt.clock),
        lambda key: source_of(rt).meter_record(rt, key),
    )
    feed.on_publish.append(meters.on_publish)

    def on_event(event: Any) -> None:
        # The backend reported something (UpHunt: an application reached its terminal state). Its
        # account's numbers change now, at the event's own simulated time: keep that point exactly.
        key = getattr(event, "api_key", None)
        record = source_of(rt).meter_record(rt, key) if key is not None else None
        if key is not None and record is not None:
            meters.history.record(key, now_ms(rt.clock), flatten_numbers(record))
        feed.bump("state")

    rt.add_sim_hook(lambda backend: backend.event_listeners.append(on_event))
    rt.webhooks.change_listeners.append(lambda: feed.bump("deliveries"))
    rt.reset_hooks.append(meters.history.clear)
    rt.reset_hooks.append(meters.sample)
    rt.reset_hooks.append(lambda: feed.bump("world"))
    return feed, meters
