"""The Jobo Enterprise API (https://jobo.world/docs): jobs search and feed, companies, geocoding, credit wallet.

``VENDOR`` is what :func:`mock_server.core.vendor.get_vendor` finds under the name ``jobo``.
The spec is ``openapi/jobo.yaml``; the simulated service is :mod:`.domain`; handlers by
operationId in :mod:`.handlers`; wire shapes in :mod:`.render`; errors and their two dialects in
:mod:`.errors`; the world in :mod:`.world`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import ApiError
from mock_server.core.journal import mask_secret
from mock_server.core.spec import load_spec
from mock_server.core.webhooks import check_webhook_url

from . import errors
from .autoapply_scenarios import JOBO_SCENARIOS  # the data API's vocabulary, extended for Auto Apply
from .domain import errors as domain_errors
from .domain.accounts import is_sandbox_key
from .domain.autoapply.events import CallbackEvent, signature_header
from .domain.autoapply.wire import application_view
from .handlers import HANDLERS
from .render import job_control_view
from .world import DEMO_API_KEY, SPEC_NAME, JoboBackend, JoboWorldFile, auto_apply_view, update_auto_apply

if TYPE_CHECKING:
    from mock_server.core.runtime import Runtime
    from mock_server.core.spec import Operation

from mock_server.core.vendor import Vendor

_DATE_FIELDS = (
    "posted_after",
    "posted_before",
    "discovered_after",
    "discovered_before",
    "updated_after",
    "expired_since",
)
_JOBO_LABELS = {
    f"{method.upper()} {path}"
    for path, item in load_spec(SPEC_NAME)["paths"].items()
    for method in item
    if method in ("get", "post", "put", "delete", "patch")
}


class JoboVendor(Vendor):
    name = "jobo"
    title = "Jobo Enterprise"
    spec_name = SPEC_NAME
    demo_api_key = DEMO_API_KEY
    handlers = HANDLERS
    domain_errors = (domain_errors.JoboDomainError,)
    # the Status Codes page's retry table and Auto Apply's rules as client invariants (``uphunt-mock verify``),
    # by name: no import of the test helpers
    client_invariants = "mock_server.testing.jobo_verify:check_client"

    def load_world(self, path: str | Path | None = None, seed: int | None = None) -> JoboWorldFile:
        return JoboWorldFile.from_file(path, seed) if path else JoboWorldFile.default(seed or 0)

    # ── the request pipeline ────────────────────────────────────────────

    def authenticate(self, rt: Runtime, op: Operation, headers: Mapping[str, str]) -> Any:
        """``X-Api-Key`` only (J10). ``GET /api/companies/{id}`` is public: no key, no principal (J9)."""
        key = headers.get("x-api-key")
        if key is None and op.operation_id == "getCompany":
            return None
        backend: JoboBackend = rt.sim
        try:
            return backend.world.authenticate(key)
        except domain_errors.Unauthenticated:
            raise errors.Unauthorized() from None

    def admit(self, rt: Runtime, op: Operation, principal: Any, headers: Mapping[str, str]) -> dict[str, str]:
        """Rolling windows per key, general and feed apart (J8); a 429 takes no slot and costs nothing."""
        backend: JoboBackend = rt.sim
        try:
            status = backend.world.take_rate(principal, op.raw.get("x-mock-rate-limit-group", "general"))
        except domain_errors.RateLimited as exc:
            raise errors.from_domain(exc) from None
        return errors.rate_headers(status) if status is not None else {}

    def translate_error(self, exc: Exception) -> ApiError:
        if isinstance(exc, domain_errors.JoboDomainError):
            return errors.from_domain(exc)
        raise exc

    @cached_property
    def _ranges(self) -> dict[tuple[str, str], tuple[Any, Any]]:
        """Bounds of every numeric input, per operation, for the Status Codes page's "must be between" message."""
        spec = load_spec(SPEC_NAME)

        def resolve(node: Any) -> Any:
            while isinstance(node, dict) and "$ref" in node:
                target: Any = spec
                for part in node["$ref"][2:].split("/"):
                    target = target[part]
                node = target
            return node

        out: dict[tuple[str, str], tuple[Any, Any]] = {}
        for item in spec["paths"].values():
            for op in item.values():
                if not isinstance(op, dict) or "operationId" not in op:
                    continue
                inputs = [(p["name"], resolve(p.get("schema", {}))) for p in map(resolve, op.get("parameters", []))]
                body = resolve(op.get("requestBody", {})).get("content", {}).get("application/json", {})
                props = resolve(body.get("schema", {})).get("properties", {})
                inputs += [(name, resolve(prop)) for name, prop in props.items()]
                for name, schema in inputs:
                    if isinstance(schema, dict) and "minimum" in schema and "maximum" in schema:
                        out[(op["operationId"], name)] = (schema["minimum"], schema["maximum"])
        return out

    def render_error(self, rt: Runtime | None, exc: ApiError, op: Operation | None) -> tuple[int, Any, dict[str, str]]:
        backend = rt.sim if rt is not None and isinstance(rt.sim, JoboBackend) else None
        error_format = backend.error_format if backend is not None else "docs"
        if exc.code == "validation_failed" and exc.field:
            name = exc.field.rsplit(".", 1)[-1]
            if name in _DATE_FIELDS and "does not match" in exc.message:
                exc.message = f"Parameter '{name}' must be an ISO-8601 date-time."
            bounds = self._ranges.get((op.operation_id, name)) if op is not None else None
            if bounds is not None and ("maximum" in exc.message or "minimum" in exc.message):
                low, high = bounds
                exc.message = f"Parameter '{name}' must be between {low} and {high}."
        if op is not None and op.dialect == "auto-apply" and exc.code == "validation_failed" and exc.field:
            exc.message = self._field_message(op, exc.field, exc.message)
        return errors.render(exc, error_format, op.dialect if op is not None else "default")

    def _field_message(self, op: Operation, where: str, message: str) -> str:
        """A request-validation message of an Auto Apply body as "Field '<path>' <rule>." (the limit, not the value)."""
        if message.endswith("is required"):
            return f"Field '{message[: -len(' is required')]}' is required."
        node = _schema_at(load_spec(SPEC_NAME), _body_schema(op), where)
        if node is None:
            return message
        if "is too long" in message:
            if "maxLength" in node:
                return f"Field '{where}' must be at most {node['maxLength']} characters."
            if "maxItems" in node:
                return f"Field '{where}' must have at most {node['maxItems']} items."
        if ("is too short" in message or "should be non-empty" in message) and "minLength" in node:
            return (
                f"Field '{where}' must not be empty."
                if node["minLength"] == 1
                else f"Field '{where}' must be at least {node['minLength']} characters."
            )
        if "does not match" in message:
            description = node.get("description")
            if not description:
                return f"Field '{where}' does not match the documented format."
            return f"Field '{where}' must be {description[0].lower()}{description[1:].rstrip('.')}."
        if "is not one of" in message and "enum" in node:
            return f"Field '{where}' must be one of {', '.join(map(str, node['enum']))}."
        return message

    def spending_is_free(self, api_key: str) -> bool:
        """``jbe_test_`` keys read the sandbox catalogue and are never charged: a read-only check may search."""
        return is_sandbox_key(api_key)

    def fit_contract_case(self, case: Any) -> None:
        """Rules the spec states in prose, applied to *positive* schemathesis cases of Jobo operations:
        dates must be real calendar dates, at most 10 positive ``queries``, ``salary_usd.min <= max``,
        a non-blank geocode ``location``, and a ``cursor`` must be one the mock issued (so none)."""
        label = case.operation.label
        if label not in _JOBO_LABELS:
            return
        if label.startswith(
            ("POST /api/auto-apply", "GET /api/auto-apply", "PATCH /api/auto-apply", "PUT /api/auto-apply")
        ):
            _fit_auto_apply(case, label)
            return
        from .domain.search import parse_time

        def fix_dates(values: Any) -> None:
            if not isinstance(values, dict):
                return
            for name in _DATE_FIELDS:
                if isinstance(values.get(name), str):
                    try:
                        parse_time(values[name], name)
                    except domain_errors.InvalidParameter:
                        values[name] = "2026-01-01T00:00:00Z"

        for part in ("query", "body"):
            values = getattr(case, part, None)
            fix_dates(values)
            if isinstance(values, dict):
                values.pop("cursor", None)
        body = case.body if isinstance(case.body, dict) else None
        if body is not None:
            queries = body.get("queries")
            if isinstance(queries, list):
                positives = [q for q in queries if isinstance(q, str) and not q.strip().startswith("-")]
                if len(positives) > 10:
                    body["queries"] = positives[:10]
            salary = body.get("salary_usd")
            ints = (
                isinstance(salary, dict) and isinstance(salary.get("min"), int) and isinstance(salary.get("max"), int)
            )
            if ints and isinstance(salary, dict) and salary["min"] > salary["max"]:
                salary["min"], salary["max"] = salary["max"], salary["min"]
        query = case.query if isinstance(case.query, dict) else None
        if label == "GET /api/locations/geocode" and query is not None and not str(query.get("location", "")).strip():
            query["location"] = "Paris"

    # ── the control API ─────────────────────────────────────────────────

    def dashboard_source(self) -> Any:
        from .dashboard import DASHBOARD

        return DASHBOARD

    def account_view(self, rt: Runtime, api_key: str) -> dict[str, Any] | None:
        backend: JoboBackend = rt.sim
        account = backend.world.accounts.get(api_key)
        return None if account is None else backend.world.account_view(account)

    def put_account(self, rt: Runtime, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """``credits`` (sets the balance), ``plan``, ``feed``, ``autoApply``, ``revoked``, ``managedCompanies``."""
        backend: JoboBackend = rt.sim
        created = api_key not in backend.world.accounts
        if "callbackUrl" in changes:
            check_webhook_url(changes["callbackUrl"])  # ValueError: 422 naming the field
        try:
            account = backend.world.update_account(api_key, changes)
        except domain_errors.InvalidParameter as exc:
            raise ValueError(exc.message) from None
        return backend.world.account_view(account), created

    def job_state(self, rt: Runtime, job_id: str) -> dict[str, Any] | None:
        backend: JoboBackend = rt.sim
        found = backend.world.find(job_id)
        return None if found is None else job_control_view(*found)

    def put_job(self, rt: Runtime, job_id: str, fields: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Add a job (discovered now) or update one (updated now): the fields of a world file's ``jobs`` entry."""
        backend: JoboBackend = rt.sim
        try:
            job, sandbox, created = backend.world.put_job(job_id, fields)
        except domain_errors.InvalidParameter as exc:
            raise ValueError(exc.message) from None
        return job_control_view(job, sandbox), created

    def expire_job(self, rt: Runtime, job_id: str) -> dict[str, Any] | None:
        backend: JoboBackend = rt.sim
        found = backend.world.expire_now(job_id)
        return None if found is None else job_control_view(*found)

    # ── scenarios ───────────────────────────────────────────────────────

    def scenario_hooks(self) -> Any:
        return JOBO_SCENARIOS

    def state(self, rt: Runtime) -> dict[str, Any]:
        backend: JoboBackend = rt.sim
        w = backend.world
        w.catalogue(None)
        return {
            "accounts": [w.account_view(a) for a in w.accounts.values()],
            "applications": [
                {**application_view(a), "apiKey": mask_secret(a.api_key)}
                for a in backend.auto_apply.applications.values()
            ],
            "catalogue": {
                "live": {"jobs": len(w.live.jobs), "active": w.live.active_count, "companies": len(w.live.companies)},
                "sandbox": {
                    "jobs": len(w.sandbox.jobs),
                    "active": w.sandbox.active_count,
                    "companies": len(w.sandbox.companies),
                },
            },
        }

    def settings_view(self, rt: Runtime) -> dict[str, Any]:
        backend: JoboBackend = rt.sim
        return {"autoApply": auto_apply_view(backend.auto_apply.settings)}

    def update_settings(self, rt: Runtime, changes: dict[str, Any]) -> dict[str, Any]:
        """``{"autoApply": {...}}``: the launch gate, holds, the answer window, prices, quotas, durations (J37)."""
        unknown = sorted(set(changes) - {"autoApply"})
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)} (Jobo has autoApply)")
        if "autoApply" in changes:
            backend: JoboBackend = rt.sim
            update_auto_apply(backend.auto_apply.settings, changes["autoApply"])
        return self.settings_view(rt)

    # ── scenarios and callbacks ─────────────────────────────────────────

    def webhook_url(self, backend: Any, api_key: str) -> str | None:
        account = backend.world.accounts.get(api_key)
        return account.callback_url if account is not None else None

    def webhook_body(self, event: Any, frozen: bytes, attempt: int) -> bytes:
        """Jobo rewrites ``attempt`` in the body on each retry (so the signed bytes differ per attempt)."""
        if not isinstance(event, CallbackEvent) or attempt == 1:
            return frozen
        return json.dumps(event.payload_for_attempt(attempt), separators=(",", ":"), ensure_ascii=False).encode()

    def webhook_headers(self, delivery_id: str, event: Any, body: bytes, attempt: int, now_ms: int) -> dict[str, str]:
        """``x-jobo-webhook-id`` (stable), ``-timestamp``, ``-signature: v1=<hex>`` (two during a rotation), attempt."""
        if not isinstance(event, CallbackEvent):
            return {}
        timestamp = now_ms // 1000
        return {
            "x-jobo-webhook-id": event.event_id,
            "x-jobo-webhook-timestamp": str(timestamp),
            "x-jobo-webhook-signature": signature_header(event.secrets(), event.event_id, timestamp, body),
            "x-jobo-delivery-attempt": str(attempt),
        }

    def webhook_retry_delays(self, event: Any) -> Any:
        return event.retry_delays if isinstance(event, CallbackEvent) else None

    def webhook_response(
        self, backend: Any, event: Any, attempt: int, status: int | None, body: bytes | None, last: bool
    ) -> bool:
        """A receiver's answer to ``application.fields_requested`` drives the application (J34)."""
        if not isinstance(event, CallbackEvent) or not isinstance(backend, JoboBackend):
            return False
        return backend.auto_apply.callback_result(event, attempt, status, body, last)


_CONTACT = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
_LIVE_TARGET = "https://boards.greenhouse.io/acme/jobs/{n}"


def _fit_auto_apply(case: Any, label: str) -> None:
    """Auto Apply rules stated in prose, applied to positive contract cases (decisions J25-J35): a create
    names exactly one supported target; a profile create has a contact; an answer snapshot is complete
    for the application's current step (read from the in-process mock when there is one); list
    cursors are the mock's own; an unknown status filter is not a valid value."""
    body = case.body if isinstance(case.body, dict) else None
    if label == "POST /api/auto-apply/applications" and body is not None:
        body.pop("job_id", None)
        body["apply_url"] = _LIVE_TARGET.format(n=zlib.crc32(json.dumps(body, sort_keys=True, default=str).encode()))
    elif label in ("POST /api/auto-apply/start", "POST /api/auto-apply/run") and body is not None:
        body["apply_url"] = _LIVE_TARGET.format(n=1)
    elif label == "POST /api/auto-apply/profiles" and body is not None and "contact" not in body:
        body["contact"] = dict(_CONTACT)
    elif label == "GET /api/auto-apply/applications" and isinstance(case.query, dict):
        case.query.pop("cursor", None)
        if case.query.get("status") not in (
            None,
            "queued",
            "running",
            "awaiting_answers",
            "submitted",
            "failed",
            "canceled",
        ):
            case.query["status"] = "queued"
    elif label == "POST /api/auto-apply/applications/{applicationId}/answers" and body is not None:
        runtime = getattr(getattr(getattr(case.operation, "app", None), "state", None), "runtime", None)
        app_id = (case.path_parameters or {}).get("applicationId")
        service = getattr(getattr(runtime, "sim", None), "auto_apply", None)
        app = service.applications.get(app_id) if service is not None and app_id else None
        step = app.current_step if app is not None else None
        if step is not None:
            from .domain.autoapply.fields import snapshot_for

            body["answers"] = snapshot_for(list(step.fields))
            body["correction_round"] = step.correction_round


def _resolve_ref(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _body_schema(op: Operation) -> Any:
    body = op.raw.get("requestBody", {})
    return body.get("content", {}).get("application/json", {}).get("schema")


def _schema_at(spec: dict[str, Any], schema: Any, where: str) -> dict[str, Any] | None:
    """The schema node at a body path such as ``links[0].url`` (through $ref, allOf, oneOf and items)."""
    import re

    node = _resolve_ref(spec, schema)
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", where):
        if not isinstance(node, dict):
            return None
        candidates = [node] + [_resolve_ref(spec, n) for n in node.get("allOf", []) + node.get("oneOf", [])]
        found = None
        for candidate in candidates:
            if part.startswith("["):
                if "items" in candidate:
                    found = _resolve_ref(spec, candidate["items"])
            elif part in candidate.get("properties", {}):
                found = _resolve_ref(spec, candidate["properties"][part])
            if found is not None:
                break
        node = found
    if isinstance(node, dict) and "oneOf" in node:  # nullable: the non-null branch
        node = next((_resolve_ref(spec, n) for n in node["oneOf"] if n.get("type") != "null"), node)
    return node if isinstance(node, dict) else None


VENDOR = JoboVendor()
JoboWorldFile.vendor = VENDOR
