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
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from .spec import compile_operations, load_spec, spec_path
from .vendor import Vendor, get_vendor

DEFAULT_EXAMPLES = 10
DEMO_KEY = "sk_uphunt_demo_key"  # the default vendor's demo key (each vendor has its own: Vendor.demo_api_key)



def operations_by_effect(spec: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(read-only, spending) operationIds, from each operation's ``x-mock-effect`` in the spec.

    Read-only operations change nothing on the server (safe against the real API); the others
    may spend (a credit and a real proposal, or a billed generation) or write.
    An operation marked ``x-mock-simulated: false`` (the mock answers a fixed 503 until it simulates it,
    e.g. Jobo's Auto Apply) is in neither: the spec describes no answer of it to check.
    """
    read: list[str] = []
    spending: list[str] = []
    for op in compile_operations(spec):
        if op.raw.get("x-mock-simulated", True) is False:
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
        unknown = wanted - set(read_only + spending)
        if unknown:
            raise ValueError(f"unknown operationId(s): {', '.join(sorted(unknown))}")
        operations = tuple(op for op in operations if op in wanted)
    # The stateful phase follows the spec's links between the operations that run (UpHunt's start at
    # apply, a spending operation: read-only runs of UpHunt have nothing stateful).
    schema.config.phases.stateful.enabled = bool(linked_operations(spec, operations))
    return schema.include(operation_id=list(operations))


def api_key_variable(vendor: str | None = None) -> str:
    """The environment variable that holds the key: ``UPHUNT_API_KEY`` for uphunt, ``JOBO_API_KEY`` for jobo."""
    name = get_vendor(vendor).name
    return re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_API_KEY"


def _links_label(spec_name: str, operation_ids: Iterable[str]) -> str:
    """How the stateful phase's line names the links it follows, e.g. ``applyToJob -> getApplicationStatus``."""
    pairs = sorted(set(linked_operations(load_spec(spec_name), operation_ids)))
    return ", ".join(f"{a} -> {b}" for a, b in pairs[:3]) + (", ..." if len(pairs) > 3 else "")


# ── drift: readable failures ───────────────────────────────────────────────


@dataclass
class Drift:
    """One difference between the spec and what a server answered."""

    operation: str
    check: str
    title: str
    status: int | None = None
    field: str | None = None
    detail: str = ""
    reproduce: str = ""

    def headline(self) -> str:
        status = f" -> {self.status}" if self.status is not None else ""
        return f"{self.operation}{status}: {self.title} [{self.check}]"

    def describe(self) -> str:
        lines = [self.headline()]
        if self.field:
            lines.append(f"  field: {self.field}")
        if self.detail:
            lines += [f"  {line}" for line in self.detail.strip().splitlines()[:8]]
        if self.reproduce:
            lines.append(f"  reproduce: {self.reproduce}")
        return "\n".join(lines)

    def key(self) -> tuple[Any, ...]:
        return (self.operation, self.check, self.status, self.field, self.title)


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
            d.reproduce = case.as_curl_command(headers={"x-api-key": "$UPHUNT_API_KEY"})[:300]
        raise DriftError(drifts) from None
    return response


# ── the runner behind `uphunt-mock check` ──────────────────────────────────


@dataclass
class OperationResult:
    label: str
    requests: int = 0
    status: str = "ok"  # ok | drift | error | skipped
    errors: list[str] = field(default_factory=list)


@dataclass
class Report:
    target: str
    allow_apply: bool
    operations: dict[str, OperationResult] = field(default_factory=dict)
    drifts: list[Drift] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    spec: str = "openapi/uphunt.yaml"
    vendor: str = "uphunt"
    free_spending: bool = False  # the key is never charged: read-only runs include the spending operations

    @property
    def ok(self) -> bool:
        return not self.drifts and not self.errors

    def _mode(self) -> str:
        proposals = self.vendor == "uphunt"  # the one vendor whose spending operations also send something
        if self.free_spending and not self.allow_apply:
            return "read-only with a key that is never charged (searches and feeds run, free)"
        if self.allow_apply:
            return "ALLOW-APPLY (credits may be spent" + (", proposals sent)" if proposals else ")")
        return "read-only (no credit spent" + (", no proposal sent)" if proposals else ")")

    def render(self) -> str:
        lines = [
            "",
            f"uphunt-mock check: {self.target} against {self.spec}",
            f"mode: {self._mode()}",
            "",
        ]
        width = max((len(k) for k in self.operations), default=10)
        for label, res in self.operations.items():
            mark = {"ok": "ok", "drift": "DRIFT", "error": "ERROR", "skipped": "skipped"}[res.status]
            lines.append(f"  {label:<{width}}  {res.requests:>4} requests  {mark}")
        if self.drifts:
            lines += ["", f"{len(self.drifts)} drift(s) between the spec and the server:", ""]
            for i, d in enumerate(self.drifts, 1):
                lines.append(f"{i}. " + d.describe().replace("\n", "\n   "))
        if self.errors:
            lines += ["", "errors:"] + [f"  - {e}" for e in self.errors[:10]]
        total = sum(r.requests for r in self.operations.values())
        verdict = "no drift" if self.ok else f"{len(self.drifts)} drift(s), {len(self.errors)} error(s)"
        lines += ["", f"{len(self.operations)} operations, {total} requests, {self.seconds:.1f} s: {verdict}"]
        return "\n".join(lines)


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

    ``operation_ids`` narrows the run (the live pytest suite runs one operation per test).
    """
    from schemathesis import engine
    from schemathesis.engine import events

    started = time.monotonic()
    schema = contract_schema(
        base_url=base_url,
        app=app,
        api_key=api_key,
        max_examples=max_examples,
        allow_apply=allow_apply,
        operation_ids=operation_ids,
        vendor=vendor,
    )
    chosen = get_vendor(vendor)
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
    seen: set[tuple[Any, ...]] = set()
    phase = ""
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            phase = event.phase.name.value if hasattr(event.phase.name, "value") else str(event.phase.name)
        elif isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            scenario = event.label or f"{phase} links ({links})"
            res = report.operations.setdefault(scenario, OperationResult(scenario))
            res.requests += len(recorder.interactions)
            for case_id, nodes in recorder.checks.items():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    interaction = recorder.interactions.get(case_id)
                    status = interaction.response.status_code if interaction and interaction.response else None
                    reproduce = node.failure_info.code_sample.replace(api_key, f"${variable}") if api_key else ""
                    drift = drift_from_failure(node.failure_info.failure, node.name, status, reproduce[:400])
                    if drift.key() not in seen:
                        seen.add(drift.key())
                        report.drifts.append(drift)
                    label = node.failure_info.failure.operation or scenario
                    report.operations.setdefault(label, OperationResult(label)).status = "drift"
            if progress is not None:
                progress(f"[{phase}] {scenario}: {event.status.value if hasattr(event.status, 'value') else event.status}")
        elif isinstance(event, events.NonFatalError):
            message = f"{event.label or phase}: {type(event.value).__name__}: {str(event.value).splitlines()[0][:200] if str(event.value) else ''}"
            report.errors.append(message)
            res = report.operations.setdefault(event.label or phase, OperationResult(event.label or phase))
            if res.status == "ok":
                res.status = "error"
        elif isinstance(event, events.FatalError):
            report.errors.append(f"fatal: {type(event.exception).__name__}: {event.exception}")
    report.seconds = time.monotonic() - started
    return report


# ── CLI ────────────────────────────────────────────────────────────────────


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.description = "Check a server (the real API, a proxy, or the mock) against the vendor's spec (openapi/<vendor>.yaml)."
    p.add_argument("--base-url", required=True, help="server to check, e.g. https://uphunt.io or http://127.0.0.1:8080")
    p.add_argument("--vendor", default="uphunt", help="whose spec to check against: uphunt (default) or jobo")
    p.add_argument(
        "--api-key", default=None, help="key to send (default: $UPHUNT_API_KEY, i.e. $<VENDOR>_API_KEY, else the demo key)"
    )
    p.add_argument(
        "--allow-apply",
        action="store_true",
        help="also run the spending operations (UpHunt: applyToJob and generateProposal SPEND credits and SEND "
        "proposals; Jobo: searches, feeds and geocoding SPEND credits, except with a jbe_test_ sandbox key)",
    )
    p.add_argument(
        "--operation", action="append", default=None, metavar="OPERATION_ID", help="only this operationId (repeatable)"
    )
    p.add_argument("--examples", type=int, default=None, help=f"generated examples per operation (default {DEFAULT_EXAMPLES}; $UPHUNT_CONTRACT_EXAMPLES)")


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

    vendor = get_vendor(getattr(args, "vendor", None))
    api_key = args.api_key or os.environ.get(api_key_variable(vendor.name)) or vendor.demo_api_key
    examples = args.examples or int(os.environ.get("UPHUNT_CONTRACT_EXAMPLES") or DEFAULT_EXAMPLES)
    out = sys.stdout
    proposals = vendor.name == "uphunt"  # the one vendor whose spending operations also send something
    if args.allow_apply:
        mode = "ALLOW-APPLY: credits will be spent" + (" and proposals sent" if proposals else "")
    else:
        mode = "read-only: no credit spent" + (", no proposal sent; --allow-apply to include apply" if proposals else
                                               "; --allow-apply to include the spending operations")  # fmt: skip
    out.write(f"uphunt-mock check: {args.base_url} ({mode}); {examples} examples per operation\n")
    out.flush()
    try:
        import schemathesis  # noqa: F401
    except ImportError:
        print("uphunt-mock check needs schemathesis: pip install 'uphunt-mock[test]'", file=sys.stderr)
        return 2
    progress = _Progress(out)
    report = run_check(
        args.base_url,
        api_key=api_key,
        allow_apply=args.allow_apply,
        max_examples=examples,
        progress=progress,
        operation_ids=args.operation,
        vendor=vendor.name,
    )
    progress.done()
    out.write(report.render() + "\n")
    if report.drifts:
        return 1
    return 2 if report.errors else 0
