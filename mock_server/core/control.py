"""Handlers of the mock's own control API (``/_mock/...``, openapi/control.yaml).

Each one translates to a :class:`~mock_server.runtime.Runtime` method, which
is the same API the pytest plugin uses in-process. A handler returns
``(status, JSON body)``, possibly from a coroutine, or an ASGI app (a Starlette
``Response``) for what is not JSON: the dashboard's page, its assets and its
event stream (:mod:`mock_server.core.dashboard.control`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .dashboard.control import DASHBOARD_HANDLERS
from .runtime import Runtime
from .spec import load_spec
from .validation import RequestInvalid
from .vendor import NotSupported, Vendor, available, get_vendor

ControlResult = tuple[int, Any]


def get_health(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, rt.health()


def reset_world(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, rt.reset()


def get_state(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, rt.state(params.get("limit"), params.get("cursor"))


def get_clock(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, rt.clock_info()


# Real seconds POST /_mock/clock/advance waits for webhook attempts that fell due (each is bounded by timeoutSeconds).
ADVANCE_WEBHOOK_WAIT = 60.0


async def advance_clock(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    try:
        result = rt.advance_until(body["until"]) if "until" in body else rt.advance(float(body["seconds"]))
    except ValueError as exc:
        raise RequestInvalid(422, str(exc)) from None
    # Return only after the webhook attempts that fell due have completed (and their overdue retries ran).
    result["eventsRun"] += await rt.webhooks.drain(ADVANCE_WEBHOOK_WAIT)
    return 200, result


def get_settings(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, rt.settings()


def patch_settings(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    try:
        return 200, rt.update_settings(body or {})
    except ValueError as exc:
        raise RequestInvalid(422, str(exc)) from None


def list_webhook_deliveries(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    hooks = rt.webhooks
    return 200, {"deliveries": hooks.deliveries(), "dropped": hooks.dropped, "capacity": hooks.capacity}


def get_account(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    view = rt.account_view(params["apiKey"])
    if view is None:
        return 404, {"error": f"No account with apiKey {params['apiKey']!r}"}
    return 200, view


def put_account(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    try:
        view, created = rt.put_account(params["apiKey"], body or {})
    except ValueError as exc:
        raise RequestInvalid(422, str(exc), "webhookUrl") from None
    return (201 if created else 200), view


def _no_job_control(rt: Runtime) -> ControlResult:
    return 501, {
        "error": f"The {rt.vendor.title} vendor has no job control: /_mock/jobs/{{jobId}} edits the catalogue "
        f"of vendors that have one ({', '.join(_job_vendors()) or 'none installed'})."
    }


def _job_vendors() -> list[str]:
    """Vendors that override the job controls (for the 501 message)."""
    out = []
    for name in available():
        try:
            vendor = get_vendor(name)
        except ValueError:
            continue
        if type(vendor).put_job is not Vendor.put_job:
            out.append(name)
    return out


def _job_not_found(job_id: str) -> ControlResult:
    return 404, {"error": f"No job {job_id!r} in the catalogue"}


def get_catalogue_job(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    try:
        view = rt.job_state(params["jobId"])
    except NotSupported:
        return _no_job_control(rt)
    return (200, view) if view is not None else _job_not_found(params["jobId"])


def put_catalogue_job(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    try:
        view, created = rt.put_job(params["jobId"], body or {})
    except NotSupported:
        return _no_job_control(rt)
    except ValueError as exc:
        raise RequestInvalid(422, str(exc)) from None
    return (201 if created else 200), view


def expire_catalogue_job(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    try:
        view = rt.expire_job(params["jobId"])
    except NotSupported:
        return _no_job_control(rt)
    return (200, view) if view is not None else _job_not_found(params["jobId"])


def list_requests(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    entries = rt.journal.select(
        operation_id=params.get("operationId"),
        status=params.get("status"),
        api_key=params.get("apiKey"),
        matched_rule=params.get("matchedRule"),
        after=params.get("after"),
        limit=params.get("limit"),
    )
    journal = rt.journal
    return 200, {
        "requests": [e.as_dict() for e in entries],
        "dropped": journal.dropped,
        "capacity": journal.capacity,
        "bytes": journal.kept_bytes,
        "maxBytes": journal.max_bytes,
    }


def clear_requests(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    rt.journal.clear()
    return 200, {
        "requests": [],
        "dropped": 0,
        "capacity": rt.journal.capacity,
        "bytes": 0,
        "maxBytes": rt.journal.max_bytes,
    }


def list_scenarios(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    return 200, {"scenarios": rt.scenarios.list()}


async def load_scenarios(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    """The body arrives as bytes (x-mock-raw-body): UTF-8 YAML or JSON, validated with line numbers.

    Parsing and validating run in a worker thread: a 1 MiB, 15,000-rule document takes seconds
    of CPU, during which the event loop keeps answering other requests. Installing is on the loop.
    """
    from .yaml_source import SourceError

    try:
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else (body or "")
        except UnicodeDecodeError as exc:
            reason = f"the body is not UTF-8 text ({exc.reason} at byte {exc.start})"
            raise SourceError("request", None, reason) from None
        scenario = await asyncio.to_thread(rt.scenarios.check, text, "request")
        rt.scenarios.install(scenario, "request", text)
    except SourceError as exc:
        return 400, {"error": f"Invalid scenario: {exc}", "file": None, "line": exc.line, "reason": exc.reason}
    return 201, {"scenarios": rt.scenarios.list()}


def clear_scenarios(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    rt.scenarios.clear()
    return 200, {"scenarios": []}


def take_snapshot(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    from .snapshot import SnapshotError

    try:
        return 200, rt.snapshot()
    except SnapshotError as exc:
        return exc.status, {"error": str(exc)}


async def restore_snapshot(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    from .snapshot import SnapshotError

    try:
        result = rt.restore(body)
    except SnapshotError as exc:
        return exc.status, {"error": str(exc)}
    rt.webhooks.start()  # attempts that were in flight when the snapshot was taken go out again
    return 200, result


def get_control_spec(rt: Runtime, params: dict[str, Any], body: Any) -> ControlResult:
    """The control API's own contract (the one these routes are compiled from), for tools and ``/docs``."""
    return 200, load_spec("control.yaml")


CONTROL_HANDLERS: dict[str, Callable[[Runtime, dict[str, Any], Any], Any]] = {
    "getHealth": get_health,
    "resetWorld": reset_world,
    "getState": get_state,
    "getClock": get_clock,
    "advanceClock": advance_clock,
    "getAccount": get_account,
    "putAccount": put_account,
    "getSettings": get_settings,
    "patchSettings": patch_settings,
    "getCatalogueJob": get_catalogue_job,
    "putCatalogueJob": put_catalogue_job,
    "expireCatalogueJob": expire_catalogue_job,
    "listRequests": list_requests,
    "clearRequests": clear_requests,
    "listWebhookDeliveries": list_webhook_deliveries,
    "listScenarios": list_scenarios,
    "loadScenarios": load_scenarios,
    "clearScenarios": clear_scenarios,
    "takeSnapshot": take_snapshot,
    "restoreSnapshot": restore_snapshot,
    "getControlSpec": get_control_spec,
}
CONTROL_HANDLERS.update(DASHBOARD_HANDLERS)
