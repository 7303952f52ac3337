"""Control API handlers of the dashboard's operations (openapi/control.yaml, tag ``dashboard``).

Same calling convention as :mod:`mock_server.core.control`: ``(runtime,
params, body)`` in, ``(status, JSON body)`` or an ASGI app out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from . import assets, library
from .meters import flatten_numbers
from .source import source_of

if TYPE_CHECKING:
    from ..runtime import Runtime

ControlResult = tuple[int, Any]
DEFAULT_TIMELINE_LIMIT = 200
REDELIVER_WAIT = 60.0  # real seconds to wait for the attempt (each attempt is bounded by timeoutSeconds anyway)


def stream_events(rt: Runtime, params: dict[str, Any], body: Any) -> Any:
    return rt.changes.stream


def get_dashboard(rt: Runtime, params: dict[str, Any], body: Any) -> Any:
    found = assets.read("index.html")
    assert found is not None, "the dashboard's index.html is missing from the package"
    content, media_type = found
    return Response(content, media_type=media_type, headers={"cache-control": "no-cache"})


def get_dashboard_asset(rt: Runtime, params: dict[str, Any], body: Any) -> Any:
    name = params["file"]
    found = assets.read(name) if name != "index.html" else None
    if found is None:
        return 404, {"error": f"No dashboard asset {name!r}"}
    content, media_type = found
    return Response(content, media_type=media_type, headers={"cache-control": "no-cache"})


def get_timeline(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    total, rows = source_of(rt).timeline(rt, params.get("limit", DEFAULT_TIMELINE_LIMIT))
    return 200, {"now": rt.clock_info()["now"], "total": total, "applications": rows}


def get_application_detail(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    app_id = params["id"]
    record = source_of(rt).application(rt, app_id)
    if record is None:
        return 404, {"error": f"No application with id {app_id!r}"}
    requests = [e.as_dict() for e in rt.journal.entries if e.mentions(app_id)]
    # a delivery is the application's when one of its log fields names it (UpHunt: queueId)
    deliveries = [d for d in rt.webhooks.deliveries() if app_id in (v for v in d.values() if isinstance(v, str))]
    return 200, {"id": app_id, "record": record, "requests": requests, "deliveries": deliveries}


def get_meters(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    meters, source = rt.meters, source_of(rt)
    meters.sample()  # a reader sees the state as it is now (rate windows roll over with time alone)
    accounts = [
        {
            "apiKey": key,
            "group": source.account_group(rt, key),
            "values": flatten_numbers(record),
            "rateLimits": source.rate_windows(rt, key),
            "history": meters.history.history(key),
        }
        for key, record in source.meter_accounts(rt)
    ]
    return 200, {"now": rt.clock_info()["now"], "capacity": meters.history.capacity, "accounts": accounts}


async def redeliver_webhook(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    delivery_id = params["deliveryId"]
    try:
        delivery = rt.redeliver(delivery_id)
    except KeyError:
        return 404, {"error": f"No delivery with id {delivery_id!r}"}
    except ValueError as exc:
        return 409, {"error": str(exc)}
    await rt.webhooks.drain(REDELIVER_WAIT)
    return 200, delivery.as_dict()


def list_scenario_library(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, library.describe(rt)


def load_library_scenario(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    from ..yaml_source import SourceError

    path = library.find(params["file"], rt.vendor.name)
    if path is None:
        known = ", ".join(p.name for p in library.library_files(rt.vendor.name)) or "the library is empty"
        return 404, {"error": f"No scenario file {params['file']!r} in the library (known: {known})"}
    try:
        rt.scenarios.load_file(path)
    except SourceError as exc:
        return 400, {"error": f"Invalid scenario: {exc}", "file": path.name, "line": exc.line, "reason": exc.reason}
    return 201, {"scenarios": rt.scenarios.list()}


DASHBOARD_HANDLERS = {
    "streamEvents": stream_events,
    "getDashboard": get_dashboard,
    "getDashboardAsset": get_dashboard_asset,
    "getTimeline": get_timeline,
    "getApplicationDetail": get_application_detail,
    "getMeters": get_meters,
    "redeliverWebhook": redeliver_webhook,
    "listScenarioLibrary": list_scenario_library,
    "loadLibraryScenario": load_library_scenario,
}
