"""The Starlette application: routes compiled from the specs, one linear request pipeline.

The pipeline for a vendor's API request (:func:`_serve_api`), stage by stage:

1. read the body, refusing more than 1 MiB (413) without buffering it all;
2. journal the request (API key masked);
3. request hooks (scenarios): respond / delay / drop before the handler;
4. authenticate (401): :meth:`Vendor.authenticate`;
5. rate-limit (429 + Retry-After, no side effect): :meth:`Vendor.admit`;
6. convert and validate parameters and body against the spec (400 / 422; a body whose
   Content-Type is not JSON: 415);
7. call the vendor's handler for the operation, which calls the domain;
   every refusal is an :class:`ApiError` rendered by :meth:`Vendor.render_error`;
8. add the X-RateLimit-* headers and finish the journal entry (with the response
   as sent), and count the change for the live dashboard (a counter, nothing more).

Stages 4-8 are synchronous, so each request's effect on the state is atomic
under any number of concurrent requests on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

try:  # the fast JSON encoder (a dependency; the standard library stands in if it is missing)
    import orjson
except ImportError:  # pragma: no cover - orjson is in the package's dependencies
    orjson = None  # type: ignore[assignment]

from . import header_blob
from .clock import ManualClock, pinned, reset_pin, set_pin
from .control import CONTROL_HANDLERS
from .docs_page import ServedSpec, docs_routes
from .errors import ApiError
from .runtime import RequestInfo, Runtime
from .spec import Operation, compile_operations, load_spec
from .validation import (
    MAX_BODY_BYTES,
    RequestInvalid,
    check_json_content_type,
    check_params,
    convert_params,
    parse_body,
)
from .vendor import Ctx, Reply

_json_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode_json(body: Any) -> bytes:
    """Compact UTF-8 JSON: orjson when it is installed (10-40x faster on large bodies such as a Jobo feed page
    of 1,000 jobs: bench/RESULTS.md), else the standard library. The bytes are the standard library's but for
    the exponent of tiny floats (``1e-7``, not ``1e-07``). A value orjson refuses (an int beyond 64 bits, a
    non-string key) goes to the standard library."""
    if orjson is not None:
        try:
            return orjson.dumps(body)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return _json_encode(body).encode()


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(encode_json(body), status_code=status, headers=headers, media_type="application/json")


_header_names: dict[str, bytes] = {}  # "X-RateLimit-Limit" -> b"x-ratelimit-limit", encoded once


def _header_name(name: str) -> bytes:
    encoded = _header_names.get(name)
    if encoded is None:
        encoded = name.lower().encode("latin-1")
        if len(_header_names) < 256:  # scenario replies may name any header: the cache stays small
            _header_names[name] = encoded
    return encoded


class _Reply:
    """A JSON answer of the API pipeline, sent straight to ASGI (no Starlette Response object)."""

    __slots__ = ("status_code", "body", "headers")

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.body = b"" if status == 204 else encode_json(body)  # 204 No Content has no body
        self.headers = headers

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        content_type = b"application/json"
        raw = [(b"content-length", b"%d" % len(self.body))]
        if self.headers:
            names = _header_names
            for k, v in self.headers.items():
                name = names.get(k) or _header_name(k)
                if name == b"content-type":  # a vendor's own JSON media type (e.g. application/problem+json)
                    content_type = v.encode("latin-1")
                else:
                    raw.append((name, v.encode("latin-1")))
        if self.status_code != 204:
            raw.insert(0, (b"content-type", content_type))
        await send({"type": "http.response.start", "status": self.status_code, "headers": raw})
        await send({"type": "http.response.body", "body": self.body})


class _DroppedConnection:
    """A scenario's ``drop``: starts a response that announces a body, sends part of it and stops.

    Over a real socket the server then closes the connection (uvicorn logs
    "ASGI callable returned without completing response"), so the client sees
    the connection end before the promised ``Content-Length``: httpx raises
    ``RemoteProtocolError``, requests ``ChunkedEncodingError`` — a transport
    error, not an HTTP status. The journal records status 0.
    """

    ANNOUNCED = b'{"error":"connection dropped by an uphunt-mock scenario"}'
    status_code = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.ANNOUNCED)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.ANNOUNCED[:2], "more_body": True})
        # Returning without the rest of the body: the server closes the connection.


class _DropAfter:
    """A scenario's ``dropResponse``: the handler runs, then the connection drops (see :class:`_DroppedConnection`)."""

    status_code = 0


class _Query(dict[str, str]):
    """Query parameters parsed once from the raw query string: each name's last value (``get`` is
    dict's own, in C: it runs for every parameter of every request) and ``getlist``; the names
    given more than once keep all their values aside."""

    __slots__ = ("repeated",)

    def __init__(self, query_string: bytes) -> None:
        super().__init__()
        self.repeated: dict[str, list[str]] | None = None
        if not query_string:
            return
        text = query_string.decode("latin-1")
        if "%" in text or "+" in text:
            pairs: Any = parse_qsl(text, keep_blank_values=True)
        elif "&" not in text:  # one plain parameter (?queueId=...): no split
            key, _, value = text.partition("=")
            self[key] = value
            return
        else:  # nothing to unquote: parse_qsl's own split, without its per-field unquoting
            pairs = [part.partition("=")[::2] for part in text.split("&") if part]
        for key, value in pairs:
            if key in self:
                if self.repeated is None:
                    self.repeated = {}
                self.repeated.setdefault(key, [self[key]]).append(value)
            self[key] = value

    def getlist(self, key: str) -> list[str]:
        if self.repeated is not None and key in self.repeated:
            return list(self.repeated[key])
        return [self[key]] if key in self else []

    def flat(self) -> dict[str, str]:
        return dict(self)


class _RequestView:
    """What the pipeline reads of a request, built straight from the ASGI scope."""

    __slots__ = ("headers", "query_params", "path_params")

    def __init__(self, scope: Any) -> None:
        self.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.query_params = _Query(scope["query_string"])
        self.path_params = scope.get("path_params", {})


async def read_body(headers: Any, receive: Any, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing more than ``limit`` bytes (413) without buffering it all.

    A request with neither Content-Length nor Transfer-Encoding has no body in HTTP/1.1 (RFC 9112
    section 6.3; both servers speak only HTTP/1.x here), so a GET returns at once instead of
    waiting for the server's empty body message: under granian that wait was a round trip
    through the Rust side, a third of a status request's cost.
    """
    declared = headers.get("content-length")
    if declared is None and "transfer-encoding" not in headers:
        return b""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestInvalid(413, f"Request body too large (limit {limit} bytes)")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # the client went away; whatever arrived is the body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestInvalid(413, f"Request body too large (limit {limit} bytes)")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


_JSON_ONLY: dict[int, bool] = {}


def _json_only(op: Operation) -> bool:
    """Whether the operation's request body is declared as JSON only (then another Content-Type is a 415);
    an operation that also takes a form or multipart body checks its own types. Cached per operation."""
    known = _JSON_ONLY.get(id(op))
    if known is None:
        types = [t.split(";")[0].strip().lower() for t in ((op.raw.get("requestBody") or {}).get("content") or {})]
        known = _JSON_ONLY[id(op)] = bool(types) and all(t == "application/json" or t.endswith("+json") for t in types)
    return known


def _serve_api(rt: Runtime, op: Operation, request: _RequestView, raw: bytes) -> _Reply | Awaitable[_Reply]:
    """Stages 4-8 of the pipeline (see the module docstring); refusals rendered by the vendor.

    A handler may return an awaitable (e.g. a long poll that waits for the simulated clock): the
    answer is then an awaitable the endpoint awaits, so a waiting request never blocks others.
    Its synchronous part (everything before its first ``await``) still runs atomically.
    """
    vendor = rt.vendor
    limit_headers: dict[str, str] = {}
    try:
        # 4. authenticate
        principal = vendor.authenticate(rt, op, request.headers) if op.authenticated else None
        # 5. rate limit (no side effect when refused)
        if principal is not None:
            _touch(rt, principal)
            limit_headers = vendor.admit(rt, op, principal, request.headers)
        # 6. validate (a body sent as something other than JSON: 415, docs/decisions.md)
        params = convert_params(op, request.query_params, request.path_params)
        check_params(op, params)
        if raw and (op.body_validator is not None or op.body_required) and _json_only(op):
            check_json_content_type(request.headers.get("content-type"))
        body = parse_body(op, raw)
        # 7. handle
        try:
            result = vendor.handlers[op.handler](Ctx(rt, principal, params, body, request.headers, op))
        except vendor.domain_errors as exc:
            raise vendor.translate_error(exc) from None
    except ApiError as exc:
        return _refusal(rt, op, exc, limit_headers)
    # A (status, body) tuple or a Reply is by far the common case: two cheap checks before
    # isawaitable's ABC check (5% of a status request's cost, issue 18's profile).
    if type(result) is not tuple and not isinstance(result, Reply) and inspect.isawaitable(result):
        return _settle(rt, op, result, limit_headers)
    return _answer(result, limit_headers)


def _touch(rt: Runtime, principal: Any) -> None:
    """The dashboard's meters: this request may change its own account (``api_key``, both vendors'
    principals have one), and only it; a principal without a key: any account."""
    key = getattr(principal, "api_key", None)
    if key is None:
        rt.changes.bump("state")
    else:
        rt.meters.touch(key)


def _refusal(rt: Runtime, op: Operation, exc: ApiError, limit_headers: dict[str, str]) -> _Reply:
    status, payload, headers = rt.vendor.render_error(rt, exc, op)
    return _Reply(status, payload, {**limit_headers, **headers} if limit_headers else headers)


def _answer(result: Any, limit_headers: dict[str, str]) -> _Reply:
    # 8. headers (the journal entry is finished by the caller)
    if isinstance(result, Reply):
        return _Reply(result.status, result.body, {**limit_headers, **result.headers})
    status, payload = result
    return _Reply(status, payload, limit_headers)


async def _settle(rt: Runtime, op: Operation, pending: Awaitable[Any], limit_headers: dict[str, str]) -> _Reply:
    """Stage 7 of a handler that waits: its result, or its refusal, rendered like a synchronous one."""
    vendor = rt.vendor
    try:
        try:
            result = await pending
        except vendor.domain_errors as exc:
            raise vendor.translate_error(exc) from None
    except ApiError as exc:
        return _refusal(rt, op, exc, limit_headers)
    return _answer(result, limit_headers)


def _run_now(pending: Any) -> None:
    """Run an awaitable answer up to its first real wait, then drop it (a replay needs the effect only)."""
    if inspect.iscoroutine(pending):
        try:
            pending.send(None)
        except StopIteration:
            return
        pending.close()


class _ApiEndpoint:
    """The ASGI app of one API operation: stages 1-3 of the pipeline, then :func:`_serve_api`.

    A raw ASGI app rather than a Starlette endpoint function: the request view and the reply
    are built straight from and to ASGI messages, which halves the mock's own per-request
    cost (bench/RESULTS.md). Starlette still routes, and its middleware still turns an
    unexpected exception into the 500 JSON body.
    """

    def __init__(self, rt: Runtime, op: Operation) -> None:
        self.rt = rt
        self.op = op

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        rt, op = self.rt, self.op
        started = time.perf_counter()
        manual = isinstance(rt.clock, ManualClock)
        if not manual:
            rt.sim.scheduler.run_due()
        request = _RequestView(scope)
        headers = request.headers
        # 1. body (none without Content-Length or Transfer-Encoding: read_body's docstring; no await then)
        response: Any = None
        raw = b""
        if "content-length" in headers or "transfer-encoding" in headers:
            try:
                raw = await read_body(headers, receive, op.max_body_bytes or MAX_BODY_BYTES)
            except RequestInvalid as exc:
                response = _Reply(*rt.vendor.render_error(rt, exc, op))
        # 2-3. journal and scenario rules, at one instant (a real clock's, pinned: replayable exactly)
        pin = None if manual else set_pin(rt.clock.now())
        try:
            entry, rid = record_arrival(rt, op, scope, raw, refused=response is not None)
            reply = None
            if rt.request_hooks and response is None:  # no rules loaded: nothing to await
                reply = await run_request_hooks(rt, op, scope, request, raw, entry)
        finally:
            if pin is not None:
                reset_pin(pin)
        if isinstance(reply, _DropAfter):  # dropResponse: the request takes effect, its answer is lost
            served = handle(rt, op, request, raw, rid, manual)
            if not isinstance(served, _Reply):
                await served
            reply = _DroppedConnection()
        response = response or reply
        # 4-8.
        if response is None:
            response = handle(rt, op, request, raw, rid, manual)
            if not isinstance(response, _Reply):
                response = await response
        entry.status = response.status_code
        rt.journal.responded(entry, response)  # a large body: its start and size only
        await response(scope, receive, send)
        entry.latency_ms = (time.perf_counter() - started) * 1000
        if rt.journal_sinks:
            for sink in rt.journal_sinks:
                sink(entry)
        rt.changes.bump("request")


async def arrive(
    rt: Runtime,
    op: Operation,
    scope: Any,
    request: _RequestView,
    raw: bytes,
    refused: bool = False,
    replaying: bool = False,
) -> tuple[Any, int, Any]:
    """Stages 2-3: journal the request, record it as an input, run the scenario rules.

    Returns the journal entry, the input's id and the scenario's reply (None: the handler answers).
    A snapshot restore calls this too, with ``replaying`` (rules evaluated, delays not waited).
    """
    entry, rid = record_arrival(rt, op, scope, raw, refused)
    if refused or not rt.request_hooks:
        return entry, rid, None
    return entry, rid, await run_request_hooks(rt, op, scope, request, raw, entry, replaying)


def record_arrival(rt: Runtime, op: Operation, scope: Any, raw: bytes, refused: bool = False) -> tuple[Any, int]:
    """Stage 2: the journal entry, and the input's id (0: not recorded; a refused body is journaled only)."""
    now = rt.clock.now()
    headers = header_blob.pack(scope["headers"])  # kept by the journal and the input log alike
    entry = rt.journal.start(
        int(round(now * 1000)), scope["method"], scope["path"], scope["query_string"], headers, raw
    )
    entry.operation_id = op.operation_id
    if refused:
        return entry, 0
    return entry, rt.recorder.arrive(now, op.operation_id, scope, raw, headers)


async def run_request_hooks(
    rt: Runtime,
    op: Operation,
    scope: Any,
    request: _RequestView,
    raw: bytes,
    entry: Any,
    replaying: bool = False,
) -> Any:
    """Stage 3: the scenario rules; their reply (None: the handler answers)."""
    info = RequestInfo(
        operation_id=op.operation_id,
        method=scope["method"],
        path=scope["path"],
        query=request.query_params.flat(),
        headers=request.headers,
        body=raw,
        api_key=request.headers.get("x-api-key"),
        time=rt.clock.now(),
        replaying=replaying,
    )
    for hook in rt.request_hooks:
        reply = await hook(info)
        if reply is not None:
            entry.matched_rule = info.matched_rule
            rt.changes.bump("state")  # a rule's side effects may change any account (the meters sample all)
            if reply.after_handler:
                return _DropAfter()
            return _DroppedConnection() if reply.dropped else _Reply(reply.status, reply.body, reply.headers)
    entry.matched_rule = info.matched_rule
    if info.matched_rule is not None:
        rt.changes.bump("state")  # a rule's side effects may change any account (the meters sample all)
    return None


class Replayer:
    """``runtime.pipeline``: the request stages a snapshot restore replays (:mod:`.snapshot` imports no HTTP code)."""

    def __init__(self, rt: Runtime, operations: dict[str, Operation]) -> None:
        self.rt = rt
        self.operations = operations

    def arrive(self, operation_id: str, scope: Any, raw: bytes) -> Any:
        """Stages 2-3 of a recorded request; what :meth:`handle` needs, or None if a scenario answered."""
        op = self.operations[operation_id]
        request = _RequestView(scope)
        coro = arrive(self.rt, op, scope, request, raw, replaying=True)
        try:
            coro.send(None)  # never really waits: replayed rules skip their delays
        except StopIteration as done:
            _, _, reply = done.value
        else:  # pragma: no cover - a hook that awaits something else
            coro.close()
            raise RuntimeError(f"a request hook waited while {operation_id} was replayed")
        return None if reply is not None and not isinstance(reply, _DropAfter) else (op, request, raw)

    def handle(self, due: Any) -> None:
        op, request, raw = due
        _run_now(_serve_api(self.rt, op, request, raw))


def handle(
    rt: Runtime, op: Operation, request: _RequestView, raw: bytes, rid: int, manual: bool
) -> _Reply | Awaitable[_Reply]:
    """Stages 4-8 at one instant, recorded as the ``handle`` step of input ``rid`` (an awaitable when the handler waits)."""
    recorder = rt.recorder
    if manual:
        recorder.handle(rt.clock.now(), rid)
        recorder.depth += 1
        try:
            return _serve_api(rt, op, request, raw)
        finally:
            recorder.depth -= 1
    with pinned(rt.clock.now()) as now:
        recorder.handle(now, rid)
        with recorder.nested():
            return _serve_api(rt, op, request, raw)


def _control_endpoint(rt: Runtime, op: Operation) -> Callable[[Request], Any]:
    handler = CONTROL_HANDLERS[op.handler]  # check_registry ran: every control operation has one

    async def endpoint(request: Request) -> Response:
        try:
            raw = await read_body(request.headers, request.receive, op.raw.get("x-mock-max-body-bytes", MAX_BODY_BYTES))
            params = convert_params(op, request.query_params, request.path_params)
            check_params(op, params)
            # x-mock-raw-body: the handler parses the body itself (e.g. YAML or JSON scenario documents)
            body = raw if op.raw.get("x-mock-raw-body") else parse_body(op, raw)
            if op.method != "GET":
                rt.meters.sample()  # what API requests changed, at the simulated time they did, before time moves
            result = handler(rt, params, body)
            if asyncio.iscoroutine(result):
                result = await result
        except RequestInvalid as exc:
            return json_response(exc.status, {"error": exc.message})
        finally:
            if op.method != "GET":
                rt.changes.bump("world")  # a control operation may change anything; the dashboard refetches
        if not isinstance(result, tuple):
            return result  # an ASGI app: the dashboard's page, assets and event stream
        status, payload = result
        return json_response(status, payload)

    return endpoint


class MockApp(Starlette):
    """Starlette, plus a direct lane for the API's literal paths.

    Every API operation whose path has no parameter (apply, status, applied-jobs, ...) is
    dispatched by one dictionary lookup on (method, path), straight to its endpoint,
    skipping the middleware stack and the route scan that each cost more than the mock's own
    work on a status request. Everything else, including templated paths, the control API,
    404/405 and lifespan, goes through Starlette as usual. An unexpected error on the direct
    lane gets the same 500 JSON body as on the Starlette lane.
    """

    def __init__(
        self, *args: Any, direct: dict[tuple[str, str], _ApiEndpoint], runtime: Runtime, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.direct = direct
        self.runtime = runtime

    def close_streams(self) -> None:
        """End the open event streams (``GET /_mock/events``): called by the server before it shuts
        down, since uvicorn waits for open responses before the lifespan shutdown."""
        self.runtime.changes.close()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        endpoint = self.direct.get((scope.get("method"), scope.get("path"))) if scope["type"] == "http" else None
        if endpoint is None:
            if (
                scope["type"] == "http"
                and self.runtime.control_token
                and not _control_allowed(scope, self.runtime.control_token)
            ):
                message = f"this mock's control API needs the header {CONTROL_TOKEN_HEADER} (it was started with --control-token)"
                await _Reply(401, {"error": message})(scope, receive, send)
                return
            await super().__call__(scope, receive, send)
            return
        try:
            await endpoint(scope, receive, send)
        except Exception as exc:
            logging.getLogger("uphunt_mock").exception("error in %s %s", scope["method"], scope["path"])
            with contextlib.suppress(Exception):  # nothing more to send if the response had started
                await _Reply(500, _server_error_body(exc))(scope, receive, send)


CONTROL_TOKEN_HEADER = "X-Mock-Control-Token"
_TOKEN_HEADER_BYTES = CONTROL_TOKEN_HEADER.lower().encode()
_OPEN_CONTROL_PATHS = frozenset({"/_mock/health", "/_mock/openapi.json"})  # liveness and the public contract


def _control_allowed(scope: Any, token: str) -> bool:
    """Outside ``/_mock/`` (and for the liveness probe and the control spec) always; inside, only with the
    token (constant-time compare)."""
    path: str = scope.get("path", "")
    if not path.startswith("/_mock/") or path in _OPEN_CONTROL_PATHS:
        return True
    sent = next((v for k, v in scope["headers"] if k == _TOKEN_HEADER_BYTES), b"")
    return hmac.compare_digest(sent, token.encode())


def _demo_key(rt: Runtime) -> str | None:
    """The key /docs fills in for "Try it out": the vendor's demo key if this world has that account,
    else the world's first account (a world file may replace the default accounts)."""
    key = rt.vendor.demo_api_key
    if rt.account_view(key) is not None:
        return key
    keys = rt.vendor.api_keys(rt)  # unmasked (the state masks them)
    return keys[0] if keys else None


def _allowed_methods(request: Request) -> str:
    """Every method some route of the app serves on the request's path (HEAD with GET), for a 405's Allow."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods or set()
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return ", ".join(sorted(methods, key=lambda m: (order.index(m) if m in order else len(order), m)))


def _server_error_body(exc: Exception) -> dict[str, str]:
    return {"error": f"uphunt-mock internal error: {type(exc).__name__}: {exc}"}


class RegistryError(ValueError):
    """The spec and the vendor's handlers disagree: the mock refuses to start."""


def check_registry(owner: str, operations: list[Operation], handlers: Any) -> None:
    """The spec is the registry of operations: every operation needs a handler and every handler an operation."""
    wanted = {op.handler: op.operation_id for op in operations}
    missing = sorted(
        f"{op_id} (handler {h!r})" if h != op_id else op_id for h, op_id in wanted.items() if h not in handlers
    )
    unused = sorted(set(handlers) - set(wanted))
    problems = []
    if missing:
        problems.append(f"operations without a handler: {', '.join(missing)}")
    if unused:
        problems.append(f"handlers without an operation in the spec: {', '.join(unused)}")
    if problems:
        raise RegistryError(f"{owner}: " + "; ".join(problems))


def create_app(runtime: Runtime | None = None) -> MockApp:
    """Build the ASGI app for ``runtime`` (a fresh default world with the real clock if omitted)."""
    rt = runtime or Runtime()
    api_spec = load_spec(rt.vendor.spec_name)
    check_registry(f"vendor {rt.vendor.name!r}", compile_operations(api_spec), rt.vendor.handlers)
    endpoints = [(op, _ApiEndpoint(rt, op)) for op in compile_operations(api_spec)]
    direct = {(op.method, op.path): endpoint for op, endpoint in endpoints if "{" not in op.path}
    rt.pipeline = Replayer(rt, {op.operation_id: op for op, _ in endpoints})
    routes: list[Route] = [
        Route(op.path, endpoint, methods=[op.method], name=op.operation_id) for op, endpoint in endpoints
    ]
    control_spec = load_spec("control.yaml")
    control_ops = compile_operations(control_spec)
    check_registry("control API", control_ops, CONTROL_HANDLERS)
    routes += [
        Route(op.path, _control_endpoint(rt, op), methods=[op.method], name=op.operation_id) for op in control_ops
    ]
    spec_bytes = json.dumps(api_spec).encode()
    routes.append(
        Route("/openapi.json", lambda r: Response(spec_bytes, media_type="application/json"), methods=["GET"])
    )
    # Every spec this app serves, rendered at /docs (the control spec's route is getControlSpec).
    served = [
        ServedSpec(rt.vendor.name, f"{rt.vendor.title} API", "/openapi.json", api_spec),
        ServedSpec("control", "Control API", "/_mock/openapi.json", control_spec),
    ]
    routes += docs_routes(served, demo_key=lambda: _demo_key(rt))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            message = f"Not found: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"Method {request.method} not allowed on {request.url.path}"
            # Each operation is its own route: Starlette's Allow names only the first route that
            # matched the path, so a path with GET, POST and DELETE said "GET, HEAD". Name them all.
            return json_response(405, {"error": message}, {"Allow": _allowed_methods(request)})
        else:
            message = exc.detail
        return json_response(exc.status_code, {"error": message}, dict(exc.headers or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        return json_response(500, _server_error_body(exc))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        driver = _Driver(rt)
        rt.reset_hooks.append(driver.restart)
        driver.start()
        rt.webhooks.start()  # webhook attempts queued while no event loop ran
        publisher = asyncio.get_running_loop().create_task(rt.changes.run())  # the dashboard's live notices
        try:
            yield
        finally:
            rt.changes.close()
            publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await publisher
            rt.reset_hooks.remove(driver.restart)
            await driver.stop()
            await rt.webhooks.aclose()  # the shared HTTP client

    app = MockApp(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
        direct=direct,
        runtime=rt,
    )
    app.router.redirect_slashes = False  # `/apply/` is not in the spec: 404 JSON, not an undocumented 307
    app.state.runtime = rt
    return app


class _Driver:
    """Runs the scheduler in real time (real and scaled clocks); idle with the manual clock."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if not isinstance(self.rt.clock, ManualClock):
            self.task = asyncio.get_running_loop().create_task(self.rt.sim.scheduler.drive())

    def restart(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.start()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
