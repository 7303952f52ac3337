"""The Jobo Enterprise API (https://jobo.world/docs): jobs search and feed, companies, geocoding, credit wallet.

``VENDOR`` is what :func:`mock_server.core.vendor.get_vendor` finds under the name ``jobo``.
The spec is ``openapi/jobo.yaml``; the simulated service is :mod:`.domain`; handlers by
operationId in :mod:`.handlers`; wire shapes in :mod:`.render`; errors and their two dialects in
:mod:`.errors`; the world in :mod:`.world`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import ApiError
from mock_server.core.spec import load_spec

from . import errors
from .domain import errors as domain_errors
from .handlers import HANDLERS
from .world import DEMO_API_KEY, SPEC_NAME, JoboBackend, JoboWorldFile

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
        return errors.render(exc, error_format)

    def fit_contract_case(self, case: Any) -> None:
        """Rules the spec states in prose, applied to *positive* schemathesis cases of Jobo operations:
        dates must be real calendar dates, at most 10 positive ``queries``, ``salary_usd.min <= max``,
        a non-blank geocode ``location``, and a ``cursor`` must be one the mock issued (so none)."""
        label = case.operation.label
        if label not in _JOBO_LABELS:
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
        try:
            account = backend.world.update_account(api_key, changes)
        except domain_errors.InvalidParameter as exc:
            raise ValueError(exc.message) from None
        return backend.world.account_view(account), created

    def state(self, rt: Runtime) -> dict[str, Any]:
        backend: JoboBackend = rt.sim
        w = backend.world
        w.catalogue(None)
        return {
            "accounts": [w.account_view(a) for a in w.accounts.values()],
            "applications": [],  # Auto Apply is the next issue
            "catalogue": {
                "live": {"jobs": len(w.live.jobs), "active": w.live.active_count, "companies": len(w.live.companies)},
                "sandbox": {
                    "jobs": len(w.sandbox.jobs),
                    "active": w.sandbox.active_count,
                    "companies": len(w.sandbox.companies),
                },
            },
        }


VENDOR = JoboVendor()
JoboWorldFile.vendor = VENDOR
