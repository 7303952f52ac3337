"""Snapshot and restore: the whole running world as a JSON document, brought back exactly.

Why replay rather than serialising the backend's objects: the future of a world is a heap of
*closures* (a pickup, an outcome, a webhook retry, a job closing), each bound to live objects,
and every vendor's backend is different. What is simple and vendor-neutral is the other half of
the determinism rule (DESIGN.md): the same world, seed and inputs at the same simulated times
give the same state. So a snapshot is

* the world description and seed (what the backend is built from), the clock mode, the time
  the world was built at, and the time of the snapshot;
* the ordered inputs since then (:mod:`mock_server.core.recording`): API requests, control calls,
  scheduler ticks, and each webhook attempt's outcome (HTTP is not replayed, its answer is);
* the request journal as data (it holds real latencies a replay cannot reproduce).

:func:`restore` rebuilds the world at the recorded build time and feeds the inputs to the same
code paths at their recorded times, so accounts, applications, scheduled events, scenario
counters and random sources, rate-limit windows and webhook retries come out identical: every
later request gets the answer the original would have given (tests/test_snapshot.py checks it
with hypothesis). A vendor opts in with ``Vendor.snapshots = True`` once its backend takes all
time from the clock and all randomness from seeded sources; others answer 501.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import itertools
from collections.abc import Mapping
from typing import Any

from .. import __version__
from .clock import ManualClock, ScaledClock, pinned
from .header_blob import unpack as header_pairs
from .journal import DEFAULT_MAX_BYTES, Entry, Journal, SentResponse
from .recording import Entry as Input
from .webhooks import WebhookSettings
from .yaml_source import SourceError

FORMAT = "uphunt-mock-snapshot/1"


class SnapshotError(ValueError):
    """A snapshot cannot be taken or restored: the HTTP status and a sentence saying why."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def _supported(rt: Any) -> None:
    vendor = rt.vendor
    if not getattr(vendor, "snapshots", False):
        raise SnapshotError(
            501,
            f"snapshot and restore are not available for the {vendor.title} vendor ({vendor.name!r}): "
            "its backend does not declare exact replay (Vendor.snapshots)",
        )


# ── taking ──────────────────────────────────────────────────────────────────


def take(rt: Any) -> dict[str, Any]:
    """The snapshot document of ``rt`` (see the module docstring)."""
    _supported(rt)
    recorder = rt.recorder
    if recorder.overflowed:
        raise SnapshotError(
            409,
            f"cannot snapshot: more than {recorder.capacity} inputs since the last reset were recorded; "
            "POST /_mock/reset starts a fresh log",
        )
    return {
        "format": FORMAT,
        "version": __version__,
        "vendor": rt.vendor.name,
        "clock": rt.clock_spec,
        "seed": rt.world.seed,
        "world": copy.deepcopy(rt.world.data),
        "builtAt": recorder.built_at,
        "now": rt.clock.now(),
        "inputs": [_input_json(e) for e in recorder.entries],
        "journal": _journal_json(rt.journal),
    }


def _bytes_json(raw: bytes) -> Any:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode("ascii")}


def _bytes_from(value: Any) -> bytes:
    if isinstance(value, dict):
        return base64.b64decode(value["base64"])
    return str(value).encode("utf-8")


def _input_json(e: Input) -> dict[str, Any]:
    op, t = e[0], e[1]
    out: dict[str, Any] = {"op": op, "t": t}
    if op == "api":
        _, _, rid, operation_id, method, path, query, headers, raw, path_params = e
        out.update(
            id=rid,
            operationId=operation_id,
            method=method,
            path=path,
            query=bytes(query).decode("latin-1"),
            headers=[[k.decode("latin-1"), v.decode("latin-1")] for k, v in header_pairs(headers)],
            body=_bytes_json(raw),
            pathParams=dict(path_params),
        )
    elif op == "handle":
        out["id"] = e[2]
    elif op == "advance":
        out["seconds"] = e[2]
    elif op == "settle":
        out["maxSeconds"] = e[2]
    elif op == "account":
        out.update(apiKey=e[2], changes=e[3])
    elif op == "load":
        out.update(document=e[2], source=e[3])
    elif op == "attempt":
        out.update(deliveryId=e[2], copy=e[3], attempt=e[4])
    elif op == "redeliver":
        out["deliveryId"] = e[2]
    return out


def _input_from(d: dict[str, Any]) -> Input:
    op, t = d["op"], float(d["t"])
    if op == "api":
        headers = b"\n".join(k.encode("latin-1") + b"\0" + v.encode("latin-1") for k, v in d["headers"])
        return (
            op,
            t,
            int(d["id"]),
            d["operationId"],
            d["method"],
            d["path"],
            d["query"].encode("latin-1"),
            headers,
            _bytes_from(d["body"]),
            dict(d["pathParams"]),
        )
    if op == "handle":
        return (op, t, int(d["id"]))
    if op == "advance":
        return (op, t, float(d["seconds"]))
    if op == "settle":
        return (op, t, float(d["maxSeconds"]))
    if op == "account":
        return (op, t, d["apiKey"], d["changes"])
    if op == "load":
        return (op, t, d["document"], d["source"])
    if op == "attempt":
        return (op, t, d["deliveryId"], int(d["copy"]), d["attempt"])
    if op == "redeliver":
        return (op, t, d["deliveryId"])
    if op in ("tick", "clear", "reset"):
        return (op, t)
    raise SnapshotError(400, f"not a snapshot input: unknown op {op!r}")


def _journal_json(journal: Journal) -> dict[str, Any]:
    entries = []
    for e in journal.entries:
        query = e.raw_query
        headers = e.raw_headers
        entries.append(
            {
                "id": e.id,
                "time": e.time,
                "method": e.method,
                "path": e.path,
                "query": bytes(query).decode("latin-1")
                if isinstance(query, (bytes, bytearray))
                else {"map": dict(query)},
                "headers": {"map": dict(headers)}
                if isinstance(headers, Mapping)
                else [[k.decode("latin-1"), v.decode("latin-1")] for k, v in header_pairs(headers)]
                if isinstance(headers, bytes)
                else [
                    [bytes(k).decode("latin-1"), bytes(v).decode("latin-1")] if isinstance(k, bytes) else [k, v]
                    for k, v in headers
                ],
                "body": _bytes_json(e.raw_body) if isinstance(e.raw_body, bytes) else {"value": e.raw_body},
                "status": e.status,
                "latencyMs": e.latency_ms,
                "operationId": e.operation_id,
                "matchedRule": e.matched_rule,
                "response": _response_json(e.response_raw()),
                "bodyBytes": e.body_bytes,
                "headerBytes": e.header_bytes,
                "truncated": e.truncated,
                "kept": e.kept,
            }
        )
    next_id = next(copy.copy(journal._ids))
    return {
        "capacity": journal.capacity,
        "maxBytes": journal.max_bytes,
        "dropped": journal.dropped,
        "nextId": next_id,
        "entries": entries,
    }


def _journal_from(d: dict[str, Any]) -> Journal:
    journal = Journal(capacity=int(d["capacity"]), max_bytes=int(d.get("maxBytes", DEFAULT_MAX_BYTES)))
    journal.dropped = int(d["dropped"])
    journal._ids = itertools.count(int(d["nextId"]))
    for e in d["entries"]:
        query = e["query"]
        headers = e["headers"]
        body = e["body"]
        journal.entries.append(
            Entry(
                id=e["id"],
                time=e["time"],
                method=e["method"],
                path=e["path"],
                raw_query=query.encode("latin-1") if isinstance(query, str) else query["map"],
                raw_headers=headers["map"]
                if isinstance(headers, dict)
                else [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                raw_body=body["value"] if isinstance(body, dict) and "value" in body else _bytes_from(body),
                status=e["status"],
                latency_ms=e["latencyMs"],
                operation_id=e["operationId"],
                matched_rule=e["matchedRule"],
                raw_response=_response_from(e.get("response")),
                body_bytes=int(e.get("bodyBytes", 0)),
                header_bytes=int(e.get("headerBytes", 0)),
                truncated=bool(e.get("truncated", False)),
                kept=int(e.get("kept", 0)),
            )
        )
        journal.kept_bytes += journal.entries[-1].kept
    return journal


def _response_json(raw: tuple[int, list[tuple[bytes, bytes]], bytes] | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    status, headers, body = raw
    return {
        "status": status,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
        "body": _bytes_json(body),
    }


def _response_from(d: dict[str, Any] | None) -> SentResponse | None:
    if not d:
        return None
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in d["headers"]]
    return SentResponse(int(d["status"]), headers, _bytes_from(d["body"]))


# ── restoring ───────────────────────────────────────────────────────────────


def check(rt: Any, doc: Any) -> list[Input]:
    """Refuse a document this mock cannot restore exactly, before anything changes."""
    _supported(rt)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(
            400, f'not an uphunt-mock snapshot (expected "format": "{FORMAT}", from POST /_mock/snapshot)'
        )
    if doc.get("vendor") != rt.vendor.name:
        raise SnapshotError(
            409, f"the snapshot is of the {doc.get('vendor')!r} vendor; this mock serves {rt.vendor.name!r}"
        )
    if doc.get("version") != __version__:
        raise SnapshotError(
            409,
            f"the snapshot was taken by uphunt-mock {doc.get('version')}; this is {__version__} "
            "(a restore replays the inputs through the code, so it is exact only on the same version)",
        )
    try:
        return [_input_from(d) for d in doc["inputs"]]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(400, f"malformed snapshot input: {type(exc).__name__}: {exc}") from None


def restore(rt: Any, doc: dict[str, Any]) -> dict[str, Any]:
    """Make ``rt`` the world of ``doc``: rebuilt at its build time, its inputs replayed, its journal back.

    On a failure half-way the mock is reset to the world it served before and the error says why.
    """
    inputs = check(rt, doc)
    try:
        world = rt.vendor.world_from_data(doc["world"], int(doc["seed"]))
        journal = _journal_from(doc["journal"])
        clock_spec, built_at, now = str(doc["clock"]), float(doc["builtAt"]), float(doc["now"])
    except (KeyError, TypeError, ValueError) as exc:
        raise SnapshotError(400, f"malformed snapshot: {type(exc).__name__}: {exc}") from None
    previous = rt.world, rt.clock_spec
    recorder, hooks = rt.recorder, rt.webhooks
    recorder.replaying = hooks.replaying = True
    try:
        rt.scenarios.clear()
        rt.world, rt.clock_spec = world, clock_spec
        hooks.settings = WebhookSettings.from_section(world.settings_section("webhooks"))
        with pinned(built_at):
            rt.reset()
        _replay(rt, inputs)
    except Exception as exc:
        recorder.replaying = False
        hooks.end_replay()
        hooks.reset()
        rt.world, rt.clock_spec = previous
        with contextlib.suppress(Exception):
            rt.scenarios.clear()
        rt.reset()
        raise SnapshotError(
            422,
            f"the snapshot could not be replayed ({type(exc).__name__}: {exc}); "
            "the mock was reset to the world it served before",
        ) from None
    rt.journal = journal
    recorder.replaying = False
    recorder.built_at, recorder.overflowed = built_at, False
    recorder.entries = inputs
    recorder._scenario_log = [e for e in inputs if e[0] in ("load", "clear")]
    recorder._request_ids = itertools.count(max((e[2] for e in inputs if e[0] == "api"), default=0) + 1)
    resent = hooks.end_replay()
    if isinstance(rt.clock, ScaledClock):
        rt.clock.resume_at(now)  # simulated time did not pass while the snapshot sat in a file
    return {"status": "restored", "clock": rt.clock_info(), "inputs": len(inputs), "resentWebhookAttempts": resent}


def _replay(rt: Any, inputs: list[Input]) -> None:
    pipeline = rt.pipeline  # the app's request stages (create_app sets it; this module imports no HTTP code)
    if pipeline is None and any(e[0] == "api" for e in inputs):
        raise RuntimeError("API requests replay through the app: call create_app(runtime) before restoring")
    waiting: dict[int, Any] = {}  # arrived, handler not run yet
    for e in inputs:
        op, t = e[0], e[1]
        manual = isinstance(rt.clock, ManualClock)
        if manual and t > rt.clock.now():
            rt.clock.set(t)  # only before a reset: the time the dropped inputs had moved it to
        with contextlib.nullcontext() if manual else pinned(t):
            if op == "api":
                _, _, rid, operation_id, method, path, query, headers, raw, path_params = e
                scope = {
                    "method": method,
                    "path": path,
                    "query_string": query,
                    "headers": header_pairs(headers),
                    "path_params": path_params,
                }
                handler_due = pipeline.arrive(operation_id, scope, raw)
                if handler_due is not None:
                    waiting[rid] = handler_due
            elif op == "handle":
                with contextlib.suppress(Exception):  # it answered 500 live too: same effects up to there
                    pipeline.handle(waiting.pop(e[2]))
            elif op == "tick":
                rt.sim.scheduler.run_due()
            elif op == "advance":
                rt.advance(e[2])
            elif op == "settle":
                rt.settle(e[2])
            elif op == "account":
                with contextlib.suppress(ValueError):  # refused live too (e.g. negative credits)
                    rt.put_account(e[2], copy.deepcopy(e[3]))
            elif op == "load":
                with contextlib.suppress(SourceError):  # an invalid scenario changed nothing live either
                    rt.scenarios.load(copy.deepcopy(e[2]), e[3])
            elif op == "clear":
                rt.scenarios.clear()
            elif op == "reset":
                rt.reset()
            elif op == "attempt":
                rt.webhooks.replay_attempt(e[2], e[3], e[4], t)
            elif op == "redeliver":
                with contextlib.suppress(KeyError, ValueError):  # refused live too (unknown, held, in flight)
                    rt.redeliver(e[2])
