"""Contract checks of ``openapi/uphunt.yaml`` against any server, and ``uphunt-mock check``.

    uphunt-mock check --base-url URL [--api-key KEY] [--allow-apply] [--examples N]

One configuration of schemathesis is shared by the contract-test suites
(``contract_tests/``) and the command, so "what the contract checks" is
decided once, here:

* every built-in response check is on (server errors, status codes, content
  types, headers, response schemas, positive data accepted, negative data
  rejected with a 4xx, missing required headers, ignored auth, ...);
* requests are generated from **our** spec file (not from the server's own
  ``/openapi.json``), so a server is measured against the contract we hold;
* two documented cross-field rules that OpenAPI cannot express (exactly one of
  ``queueId``/``jobId`` on status; ``jobId`` or ``jobTitle`` + ``jobDescription``
  on generate-proposal) are applied to *valid* (positive) cases before they are
  sent, so the positive-data check does not blame the server for them;
* read-only by default: only GET operations run. ``allow_apply`` adds
  ``applyToJob`` (spends a credit, sends a proposal) and ``generateProposal``
  (whether the real service bills it is not documented, so it is treated as
  spending) and the stateful apply -> status links.

Failures become :class:`Drift` items whose text names the operation, the
status and the differing field, e.g.::

    GET /api/auto-apply-v2/status -> 200: response body does not match the spec
      field: applicationStatusMessage (missing; the spec requires it)
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TextIO

from .check_report import MAX_DETAIL, MAX_REPRODUCE, cap
from .check_report import render as render_report
from .spec import compile_operations, load_spec, spec_path
from .vendor import Vendor, get_vendor

DEFAULT_EXAMPLES = 10
DEMO_KEY = "sk_uphunt_demo_key"  # the default vendor's demo key (each vendor has its own: Vendor.demo_api_key)


def operations_by_effect(spec: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(read-only, spending) operationIds, from each operation's ``x-mock-effect`` in the spec.

    Read-only operations change nothing on the server (safe against the real API); the others
    may spend (a credit and a real proposal, or a billed generation) or write.
    An operation marked ``x-mock-simulated: false`` (the mock answers a fixed 503 until it simulates it)
    or ``x-mock-check: separate`` (checked by a suite of its own that sets the world up first, e.g.
    Jobo's Auto Apply behind its launch gate: contract_tests/test_jobo_autoapply_conformance.py) is in neither.
    """
    read: list[str] = []
    spending: list[str] = []
    for op in compile_operations(spec):
        if op.raw.get("x-mock-simulated", True) is False or op.raw.get("x-mock-check") == "separate":
            continue
        (read if op.effect == "read" else spending).append(op.operation_id)
    return tuple(sorted(read)), tuple(sorted(spending))


def free_operations(spec: dict[str, Any], operation_ids: Iterable[str]) -> tuple[str, ...]:
    """Those of ``operation_ids`` whose only effect is spending (``x-mock-effect: spend``), not writing."""
    effects = {op.operation_id: op.effect for op in compile_operations(spec)}
    return tuple(op for op in operation_ids if effects.get(op) == "spend")


def linked_operations(spec: dict[str, Any], operation_ids: Iterable[str]) -> list[tuple[str, str]]:
    """``(from, to)`` operationIds of the spec's links (``responses.*.links``) between ``operation_ids``.

    The stateful phase runs only when there is one: it follows links from one operation's answer to
    the next request (UpHunt: apply -> status; Jobo: search -> job -> company, feed page -> next page).
    """
    wanted = set(operation_ids)

    def deref(node: Any) -> Any:
        for _ in range(10):  # bounded: a chain of $refs
            if not (isinstance(node, dict) and "$ref" in node):
                break
            target: Any = spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    pairs = []
    for op in compile_operations(spec):
        if op.operation_id not in wanted:
            continue
        for response in op.raw.get("responses", {}).values():
            for link in (deref(response).get("links") or {}).values():
                target = deref(link).get("operationId")
                if target in wanted:
                    pairs.append((op.operation_id, target))
    return pairs


# Every built-in response check of schemathesis 4 that applies to this API.
ALL_CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
    "unsupported_method",
]
# A schema-valid request may still be refused for a business reason (decision 4/5): no credit (402),
# a plan or key that does not include the operation (403: Jobo's feed without a subscription, its managed
# feed with a sandbox key; a status a spec must still document), unknown job/application (404), duplicate
# (409), a value that is well-formed but not allowed such as a profileId outside the agency (422), or a
# rate limit (429). A 400 or a 5xx for valid data is drift.
POSITIVE_ACCEPTED = ["2xx", "401", "402", "403", "404", "409", "422", "429"]


def rate_limit_overlay(limit: int = 10**9, vendor: str | None = None) -> dict[str, Any]:
    """A world overlay that keeps rate limiting (and its headers) on but never refuses in practice.

    ``rateLimits: {enabled: false}`` would drop the X-RateLimit-* headers, which the spec
    marks as required, so conformance runs raise every window instead.
    """
    groups: dict[str, dict[str, int]] = {}
    for item in load_spec(get_vendor(vendor).spec_name)["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "x-mock-rate-limits" in op:
                groups[op["operationId"]] = {window: limit for window in op["x-mock-rate-limits"]}
    return {"settings": {"rateLimits": groups}}


# ── documented cross-field rules ────────────────────────────────────────────

_FITTERS: list[Any] = []  # each vendor's Vendor.fit_contract_case, once


def install_hooks(vendor: Vendor) -> None:
    """Register the vendor's cross-field repair of positive cases (rules the spec states in prose).

    One schemathesis ``before_call`` hook per process (the one hook that also sees the cases of
    the examples phase) calls every vendor's repair; each touches only its own operations.
    """
    fit = vendor.fit_contract_case
    if fit in _FITTERS:
        return
    if not _FITTERS:
        import schemathesis

        @schemathesis.hook("before_call")
        def _documented_rules(context: Any, case: Any, kwargs: Any) -> None:
            meta = getattr(case, "meta", None)
            if meta is None or not meta.generation.mode.is_positive:
                return
            for fitter in _FITTERS:
                fitter(case)

    _FITTERS.append(fit)


# ── the configured schema ──────────────────────────────────────────────────


def contract_schema(
    *,
    base_url: str | None = None,
    app: Any = None,
    api_key: str | None = None,
    max_examples: int = DEFAULT_EXAMPLES,
    allow_apply: bool = True,
    deterministic: bool = True,
    operation_ids: Iterable[str] | None = None,
    vendor: str | None = None,
) -> Any:
    """The spec loaded into schemathesis with the project's contract configuration.

    Give ``app`` (an ASGI app, in-process) or ``base_url`` (a server over the network).
    """
    import schemathesis
    from schemathesis import GenerationMode

    chosen = get_vendor(vendor)
    api_key = api_key or chosen.demo_api_key
    install_hooks(chosen)
    if app is not None:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    else:
        if not base_url:
            raise ValueError("contract_schema needs base_url or app")
        schema = schemathesis.openapi.from_path(str(spec_path(chosen.spec_name)))
        schema.config.update(base_url=base_url.rstrip("/"))
    schema.config.update(headers={"x-api-key": api_key}, request_timeout=30)
    schema.config.generation.update(
        max_examples=max_examples,
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        # Only x-api-key is used; a generated Bearer header next to a valid key proves nothing.
        with_security_parameters=False,
        deterministic=deterministic,
        allow_x00=False,
    )
    schema.config.checks.update(included_check_names=ALL_CHECKS)
    schema.config.checks.positive_data_acceptance.expected_statuses = list(POSITIVE_ACCEPTED)
    spec = load_spec(chosen.spec_name)
    read_only, spending = operations_by_effect(spec)
    if allow_apply:
        operations = read_only + spending
    elif chosen.spending_is_free(api_key):  # e.g. a Jobo sandbox key: searching costs it nothing
        operations = read_only + free_operations(spec, spending)
    else:
        operations = read_only
    if operation_ids is not None:
        wanted = set(operation_ids)
        effects = {op.operation_id: op.effect for op in compile_operations(spec)}
        unknown = wanted - set(effects)
        if unknown:
            raise ValueError(f"unknown operationId(s): {', '.join(sorted(unknown))}")
        # Named operations run even where the default run leaves them out (x-mock-check: separate),
        # within the same spending rule.
        separate = tuple(
            sorted(op for op in wanted - set(read_only + spending) if allow_apply or effects[op] == "read")
        )
        operations = tuple(op for op in operations if op in wanted) + separate
    # The stateful phase follows the spec's links between the operations that run (UpHunt's start at
    # apply, a spending operation: read-only runs of UpHunt have nothing stateful).
    schema.config.phases.stateful.enabled = bool(linked_operations(spec, operations))
    return schema.include(operation_id=list(operations))


# ── drift: readable failures ───────────────────────────────────────────────


@dataclass
class Drift:
    """One root cause of difference between the spec and what a server answered.

    Checks that failed on the same response *because of* it (a 500 also has the wrong content
    type and refuses valid data) are listed in ``consequences``, not reported again; the same
    root cause seen on other requests only counts ``occurrences``.
    """

    operation: str
    check: str
    title: str
    status: int | None = None
    field: str | None = None
    detail: str = ""
    reproduce: str = ""
    occurrences: int = 1
    consequences: list[str] = dataclass_field(default_factory=list)

    def headline(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        return cap(f"{self.operation}{status}: {self.title} [{self.check}]")

    def describe(self) -> str:
        lines = [self.headline()]
        if self.field:
            lines.append(f"  field: {cap(self.field)}")
        if self.detail:
            lines += [f"  {cap(line)}" for line in self.detail.strip().splitlines()[:8]]
        if self.consequences:
            lines.append(f"  also failed on the same response (consequences): {', '.join(self.consequences)}")
        if self.occurrences > 1:
            lines.append(f"  seen on {self.occurrences} requests")
        if self.reproduce:
            shown = (
                self.reproduce
                if len(self.reproduce) <= MAX_REPRODUCE
                else (f"(a command of {len(self.reproduce)} characters: see the JSON report, --format json)")
            )
            lines.append(f"  reproduce: {shown}")
        return "\n".join(lines)

    def key(self) -> tuple[Any, ...]:
        return (self.operation, self.check, self.status, self.field, self.title)

    def as_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "check": self.check,
            "title": self.title,
            "status": self.status,
            "field": self.field,
            "detail": cap(self.detail, MAX_DETAIL),
            "consequences": list(self.consequences),
            "occurrences": self.occurrences,
            "reproduce": self.reproduce,
        }


def api_key_variable(vendor: str | None = None) -> str:
    """The environment variable holding the key: ``UPHUNT_API_KEY`` for uphunt."""
    name = get_vendor(vendor).name
    return re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_API_KEY"


def _links_label(spec_name: str, operation_ids: Iterable[str]) -> str:
    """How the stateful phase's line names the links it follows, e.g. ``applyToJob -> getApplicationStatus``."""
    pairs = sorted(set(linked_operations(load_spec(spec_name), operation_ids)))
    return ", ".join(f"{a} -> {b}" for a, b in pairs[:3]) + (", ..." if len(pairs) > 3 else "")


_NOT_REPRODUCED = {"user-agent", "accept-encoding", "accept", "connection", "content-length", "host"}


def curl_command(method: str, url: str, headers: Any, body: bytes | str | None, api_key: str, variable: str) -> str:
    """A complete, pasteable curl command; the key comes from ``$variable`` (double quotes), never printed."""
    parts = ["curl", "-sS", "-X", method, shlex.quote(url)]
    items = headers.items() if hasattr(headers, "items") else headers
    for name, value in items:
        values = value if isinstance(value, list) else [value]
        for one in values:
            if str(name).lower() in _NOT_REPRODUCED or str(name).lower().startswith("x-schemathesis"):
                continue
            text = f"{name}: {one}"
            if api_key and api_key in text:
                escaped = re.sub(r'(["\\$`])', r"\\\1", text).replace(
                    re.sub(r'(["\\$`])', r"\\\1", api_key), f"${variable}"
                )
                parts += ["-H", f'"{escaped}"']
            else:
                parts += ["-H", shlex.quote(text)]
    if body:
        data = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        parts += ["--data-binary", shlex.quote(data)]
    return " ".join(parts)


# Which failure on one response is the cause of the others: a server error explains a wrong content
# type and a refused valid request; an undocumented status explains a body the spec has no schema for.
_ROOT_ORDER = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "missing_required_header",
    "ignored_auth",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
]
_EXPLAINED_BY = {
    "not_a_server_error": {
        "content_type_conformance",
        "positive_data_acceptance",
        "response_schema_conformance",
        "status_code_conformance",
        "response_headers_conformance",
    },
    "status_code_conformance": {
        "response_schema_conformance",
        "content_type_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "response_headers_conformance",
    },
    "content_type_conformance": {"response_schema_conformance"},
}


def root_causes(failures: list[tuple[str, Any]]) -> list[tuple[str, Any, list[str]]]:
    """Group the failed checks of ONE response: ``(check, failure, consequences)`` per root cause."""
    ranked = sorted(failures, key=lambda f: _ROOT_ORDER.index(f[0]) if f[0] in _ROOT_ORDER else len(_ROOT_ORDER))
    roots: list[tuple[str, Any, list[str]]] = []
    for check, failure in ranked:
        owner = next((r for r in roots if check in _EXPLAINED_BY.get(r[0], set())), None)
        if owner is not None:
            if check not in owner[2]:
                owner[2].append(check)
        else:
            roots.append((check, failure, []))
    return roots


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def drift_from_failure(failure: Any, check: str, status: int | None = None, reproduce: str = "") -> Drift:
    """Name the field a schemathesis failure is about, in words a CI log reader understands."""
    kind = type(failure).__name__
    operation = failure.operation or "?"
    title = failure.title
    field_name: str | None = None
    detail = ""
    if kind == "JsonSchemaError":
        where = _json_path(failure.instance_path)
        keyword = failure.schema_path[-1] if failure.schema_path else None
        raw = getattr(failure, "_raw_message", "") or ""
        quoted = re.search(r"""["']([^"']+)["']""", raw)
        if keyword == "required" and quoted:
            missing = quoted.group(1)
            field_name = f"{where}.{missing}" if where else missing
            detail = f"missing: the spec requires `{field_name}` in this response"
        elif keyword == "additionalProperties" and quoted:
            extra = quoted.group(1)
            field_name = f"{where}.{extra}" if where else extra
            detail = f"unexpected: `{field_name}` is not in the spec"
        else:
            field_name = where or "(response body)"
            expected = failure.schema.get(keyword) if isinstance(failure.schema, dict) and keyword else None
            detail = f"{raw}" + (f"\nspec says {keyword}: {json.dumps(expected)[:200]}" if expected is not None else "")
        title = "response body does not match the spec"
    elif kind == "MissingHeaders":
        field_name = ", ".join(f"header {h}" for h in failure.missing_headers)
        detail = "missing: the spec requires " + ", ".join(failure.missing_headers)
        title = "required response header missing"
    elif kind == "JsonSchemaHeaderError" or "Header" in kind:
        field_name = getattr(failure, "header", None) or getattr(failure, "name", None)
        detail = failure.message
    else:
        detail = failure.message
    return Drift(operation, check, title, status, field_name, detail, reproduce)


def drifts_from_failure_group(exc: BaseException, status: int | None = None) -> list[Drift]:
    """The :class:`Drift` items of a ``FailureGroup`` raised by ``case.call_and_validate()``."""
    failures = getattr(exc, "exceptions", [exc])
    out = []
    for f in failures:
        checks = getattr(type(f), "checks", ()) or ("custom",)
        out.append(drift_from_failure(f, checks[0], status))
    return out


class DriftError(AssertionError):
    """Raised by the pytest suites: the message lists each drift, naming its field."""

    def __init__(self, drifts: list[Drift]) -> None:
        self.drifts = drifts
        text = f"{len(drifts)} difference(s) between openapi/uphunt.yaml and the server:\n"
        super().__init__(text + "\n".join(d.describe() for d in drifts))


def validate_case(case: Any, **call_kwargs: Any) -> Any:
    """``case.call_and_validate()`` that raises :class:`DriftError` with readable, field-naming text."""
    from schemathesis.core.failures import FailureGroup

    headers = dict(getattr(case.operation.schema.config, "headers", None) or {})
    response = case.call(headers=headers, **call_kwargs)
    try:
        case.validate_response(response, headers=headers, transport_kwargs={**call_kwargs, "headers": headers})
    except FailureGroup as exc:
        drifts = drifts_from_failure_group(exc, response.status_code)
        for d in drifts:
            d.reproduce = case.as_curl_command(headers={"x-api-key": "$UPHUNT_API_KEY"})
        raise DriftError(drifts) from None
    return response


# ── the runner behind `uphunt-mock check` ──────────────────────────────────


@dataclass
class OperationResult:
    label: str
    requests: int = 0
    status: str = "ok"  # ok | drift | error | skipped
    errors: list[str] = dataclass_field(default_factory=list)


@dataclass
class Report:
    target: str
    allow_apply: bool
    operations: dict[str, OperationResult] = dataclass_field(default_factory=dict)
    drifts: list[Drift] = dataclass_field(default_factory=list)
    errors: list[str] = dataclass_field(default_factory=list)
    seconds: float = 0.0
    spec: str = "openapi/uphunt.yaml"
    vendor: str = "uphunt"
    free_spending: bool = False  # the key is never charged: read-only runs include the spending operations

    @property
    def ok(self) -> bool:
        return not self.drifts and not self.errors

    def mode(self) -> str:
        """What the run was allowed to do, in words (the report's ``mode:`` line)."""
        proposals = self.vendor == "uphunt"  # the one vendor whose spending operations also send something
        if self.free_spending and not self.allow_apply:
            return "read-only with a key that is never charged (searches and feeds run, free)"
        if self.allow_apply:
            return "ALLOW-APPLY (credits may be spent" + (", proposals sent)" if proposals else ")")
        return "read-only (no credit spent" + (", no proposal sent)" if proposals else ")")

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.operations.values())

    def render(self, fmt: str = "text") -> str:
        """The report as ``text`` (for people), ``json`` or ``junit`` (for CI): :mod:`.check_report`."""
        return render_report(self, fmt)


class CannotConnect(ConnectionError):
    """The target does not answer at all: nothing is checked (``uphunt-mock check`` exits 2 at once)."""


# Consecutive connection failures after which a run stops (the target went away mid-run).
MAX_CONNECTION_ERRORS = 3


def preflight(base_url: str, timeout: float = 10.0) -> None:
    """One request before the run: a target that cannot be reached fails here, not 300 times."""
    import httpx

    try:
        httpx.get(base_url.rstrip("/") + "/", timeout=timeout, follow_redirects=False)
    except httpx.TransportError as exc:
        reason = _connection_reason(exc)
        raise CannotConnect(f"cannot connect to {base_url}: {reason}") from None


def _connection_reason(exc: BaseException) -> str:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused (is the server running on that port?)"
        if isinstance(seen, TimeoutError) or "timeout" in type(seen).__name__.lower():
            return "timed out"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _is_connection_error(value: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(value)}
    return bool(
        names & {"ConnectionError", "ConnectionRefusedError", "NewConnectionError", "ConnectError", "MaxRetryError"}
    )


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def run_check(
    base_url: str | None = None,
    *,
    app: Any = None,
    api_key: str | None = None,
    allow_apply: bool = False,
    max_examples: int = DEFAULT_EXAMPLES,
    progress: Callable[[str], None] | None = None,
    operation_ids: Iterable[str] | None = None,
    vendor: str | None = None,
) -> Report:
    """Run every phase of schemathesis (examples, coverage, fuzzing, stateful links) and collect drift.

    ``operation_ids`` narrows the run (the live pytest suite runs one operation per test). A target
    that cannot be reached raises :class:`CannotConnect` before any check runs; one that goes away
    during the run stops it after :data:`MAX_CONNECTION_ERRORS` failed connections in a row.
    """
    from schemathesis import engine
    from schemathesis.engine import events

    started = time.monotonic()
    chosen = get_vendor(vendor)
    if base_url is not None and app is None:
        preflight(base_url)
    schema = contract_schema(
        base_url=base_url,
        app=app,
        api_key=api_key,
        max_examples=max_examples,
        allow_apply=allow_apply,
        operation_ids=operation_ids,
        vendor=vendor,
    )
    api_key = api_key or chosen.demo_api_key
    variable = api_key_variable(vendor)
    schema.config.update(continue_on_failure=True)
    report = Report(target=base_url or "<in-process app>", allow_apply=allow_apply, spec=f"openapi/{chosen.spec_name}",
                    vendor=chosen.name, free_spending=chosen.spending_is_free(api_key))  # fmt: skip
    included = []
    for result in schema.get_all_operations():
        op = result.ok()
        report.operations[op.label] = OperationResult(op.label)
        included.append(op.definition.raw.get("operationId"))
    links = _links_label(chosen.spec_name, included)
    found: dict[tuple[Any, ...], Drift] = {}
    phase = ""
    refused_in_a_row = 0
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            phase = event.phase.name.value if hasattr(event.phase.name, "value") else str(event.phase.name)
        elif isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            scenario = event.label or f"{phase} links ({links})"
            res = report.operations.setdefault(scenario, OperationResult(scenario))
            res.requests += len(recorder.interactions)
            if recorder.interactions:
                refused_in_a_row = 0
            for case_id, nodes in recorder.checks.items():
                failed = [(node.name, node.failure_info) for node in nodes if node.failure_info is not None]
                if not failed:
                    continue
                interaction = recorder.interactions.get(case_id)
                response = interaction.response if interaction else None
                status = response.status_code if response is not None else None
                reproduce = ""
                if interaction is not None:
                    req = interaction.request
                    reproduce = curl_command(req.method, req.uri, req.headers, req.body, api_key, variable)
                for check, info, consequences in root_causes(failed):
                    drift = drift_from_failure(info.failure, check, status, reproduce)
                    drift.consequences = consequences
                    if check == "not_a_server_error" and response is not None:
                        body = getattr(response, "content", b"") or b""
                        excerpt = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
                        drift.detail = (
                            drift.detail + "\n" if drift.detail else ""
                        ) + f"response body: {cap(excerpt, 300)}"
                    known = found.get(drift.key())
                    if known is None:
                        found[drift.key()] = drift
                        report.drifts.append(drift)
                    else:
                        known.occurrences += 1
                        known.consequences += [c for c in consequences if c not in known.consequences]
                    label = info.failure.operation or scenario
                    report.operations.setdefault(label, OperationResult(label)).status = "drift"
            if progress is not None:
                progress(
                    f"[{phase}] {scenario}: {event.status.value if hasattr(event.status, 'value') else event.status}"
                )
        elif isinstance(event, events.NonFatalError):
            label = event.label or phase
            res = report.operations.setdefault(label, OperationResult(label))
            if res.status == "ok":
                res.status = "error"
            if _is_connection_error(event.value):
                refused_in_a_row += 1
                if refused_in_a_row >= MAX_CONNECTION_ERRORS:
                    report.errors.append(
                        f"cannot connect to {base_url} any more ({_connection_reason(event.value)}): "
                        f"stopped after {MAX_CONNECTION_ERRORS} failed connections in a row"
                    )
                    break
                continue
            text = str(event.value)
            message = f"{label}: {type(event.value).__name__}: {cap(text.splitlines()[0], 200) if text else ''}"
            report.errors.append(message)
        elif isinstance(event, events.FatalError):
            report.errors.append(cap(f"fatal: {type(event.exception).__name__}: {event.exception}"))
    report.seconds = time.monotonic() - started
    return report


# ── CLI ────────────────────────────────────────────────────────────────────


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.description = (
        "Check a server (the real API, a proxy, or the mock) against the vendor's spec (openapi/<vendor>.yaml)."
    )
    p.add_argument("--base-url", required=True, help="server to check, e.g. https://uphunt.io or http://127.0.0.1:8080")
    p.add_argument("--vendor", default="uphunt", help="whose spec to check against: uphunt (default) or jobo")
    p.add_argument(
        "--api-key",
        default=None,
        help="key to send (default: $UPHUNT_API_KEY, i.e. $<VENDOR>_API_KEY, else the demo key)",
    )
    p.add_argument(
        "--allow-apply",
        action="store_true",
        help="also run the spending operations (UpHunt: applyToJob and generateProposal SPEND credits and SEND "
        "proposals on a real account; Jobo: searches, feeds and geocoding SPEND credits, except with a jbe_test_ key, "
        "which read-only mode already covers)",
    )
    p.add_argument(
        "--operation", action="append", default=None, metavar="OPERATION_ID", help="only this operationId (repeatable)"
    )
    p.add_argument(
        "--examples",
        type=int,
        default=None,
        help=f"generated examples per operation (default {DEFAULT_EXAMPLES}; $UPHUNT_CONTRACT_EXAMPLES)",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "junit"),
        default="text",
        help="report format (default text); json and junit are for CI, with progress on stderr",
    )
    p.add_argument("--output", metavar="FILE", default=None, help="write the report to FILE instead of stdout")


class _Progress:
    """One line per finished scenario on a TTY (overwritten), a dot per scenario otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.count = 0

    def __call__(self, message: str) -> None:
        self.count += 1
        if self.tty:
            self.stream.write(f"\r\x1b[K  {self.count:>3} {message[:100]}")
        else:
            self.stream.write(".")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\r\x1b[K" if self.tty else "\n")
        self.stream.flush()


def main(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    vendor = get_vendor(getattr(args, "vendor", None))
    variable = api_key_variable(vendor.name)
    api_key = args.api_key or os.environ.get(variable) or vendor.demo_api_key
    examples = args.examples or int(os.environ.get("UPHUNT_CONTRACT_EXAMPLES") or DEFAULT_EXAMPLES)
    fmt = getattr(args, "format", "text")
    # The report goes to stdout (or --output); with a machine format everything else goes to stderr.
    console = sys.stdout if fmt == "text" and not getattr(args, "output", None) else sys.stderr
    proposals = vendor.name == "uphunt"  # the one vendor whose spending operations also send something
    if args.allow_apply:
        mode = "ALLOW-APPLY: credits will be spent" + (" and proposals sent" if proposals else "")
    elif vendor.spending_is_free(api_key):
        mode = "read-only with a key that is never charged: searches and feeds run, free"
    else:
        mode = "read-only: no credit spent" + (", no proposal sent; --allow-apply to include apply" if proposals else
                                               "; --allow-apply to include the spending operations")  # fmt: skip
    console.write(f"uphunt-mock check: {args.base_url} ({mode}); {examples} examples per operation\n")
    console.flush()
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        print("uphunt-mock check needs schemathesis: pip install 'uphunt-mock[test]'", file=sys.stderr)
        return 2
    progress = _Progress(console)
    try:
        report = run_check(
            args.base_url,
            api_key=api_key,
            allow_apply=args.allow_apply,
            max_examples=examples,
            progress=progress,
            operation_ids=args.operation,
            vendor=vendor.name,
        )
    except CannotConnect as exc:
        print(f"uphunt-mock check: {exc}; nothing was checked", file=sys.stderr)
        return 2
    progress.done()
    text = report.render(fmt)
    if getattr(args, "output", None):
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        console.write(report.render("summary") + f"; report: {args.output}\n")
    else:
        sys.stdout.write(text + "\n")
    if report.drifts:
        return 1
    return 2 if report.errors else 0
