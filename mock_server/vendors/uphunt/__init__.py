"""The UpHunt API (auto-apply for Upwork agencies): the first vendor the engine hosts.

``VENDOR`` is what :func:`mock_server.core.vendor.get_vendor` finds under the name ``uphunt``.
The spec is ``openapi/uphunt.yaml``; the simulated service is :mod:`.domain`; handlers by
operationId in :mod:`.handlers`; errors and their two dialects in :mod:`.errors`; the world in
:mod:`.world`; the scenario vocabulary (``jobId``/``queueId``, outcomes, closeJob, latency) in
:mod:`.scenario_actions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.core.errors import ApiError
from mock_server.core.vendor import StateList, Vendor

from . import control, errors
from .dashboard import DASHBOARD
from .domain.errors import DomainError
from .handlers import HANDLERS
from .scenario_actions import UPHUNT_SCENARIOS
from .world import DEMO_API_KEY, SPEC_NAME, World

if TYPE_CHECKING:
    from mock_server.core.runtime import Runtime
    from mock_server.core.spec import Operation

    from .domain.simulator import Simulator, TerminalEvent

DATA_DIALECT = "data"


class UpHuntVendor(Vendor):
    name = "uphunt"
    title = "UpHunt"
    spec_name = SPEC_NAME
    demo_api_key = DEMO_API_KEY
    handlers = HANDLERS
    domain_errors = (DomainError,)
    snapshots = True  # time only from the clock, randomness only from seeded sources (tests/test_snapshot.py)
    client_invariants = "mock_server.testing.invariants:check_client"  # by name: no import of the test helpers

    def load_world(self, path: str | Path | None = None, seed: int | None = None) -> World:
        return World.from_file(path, seed) if path else World.default(seed or 0)

    def world_from_data(self, data: dict[str, Any], seed: int) -> World:
        return World(data, seed)

    def authenticate(self, rt: Runtime, op: Operation, headers: Mapping[str, str]) -> Any:
        """``x-api-key``; on the retired ``/api/v1`` paths also ``Authorization: Bearer up_…`` (decision 10b)."""
        sim: Simulator = rt.sim
        key = headers.get("x-api-key")
        account = sim.authenticate(key)
        if account is None and key is None and op.accepts_bearer:
            auth = headers.get("authorization", "")
            if auth[:7].lower() == "bearer ":
                account = sim.authenticate_legacy(auth[7:].strip())
                key = auth
        if account is None:
            raise errors.Unauthorized.for_key(key is None)
        return account

    def admit(self, rt: Runtime, op: Operation, principal: Any, headers: Mapping[str, str]) -> dict[str, str]:
        """The operation's windows per key (aliases share their handler's bucket); for a legacy Bearer
        request only the account's billing-period quota. Refused: 429 with no side effect."""
        sim: Simulator = rt.sim
        limiter = sim.rate_limiter
        if limiter is None:
            return {}
        now = sim.clock.now()
        legacy = "x-api-key" not in headers
        decision = (
            limiter.check_legacy(principal.api_key, now)
            if legacy
            else limiter.check(principal.api_key, op.handler, now)
        )
        if decision is None:
            return {}
        limit_headers = decision.headers()
        if not decision.allowed:
            if legacy:
                raise errors.LegacyQuotaExceeded(
                    f"Monthly limit of {decision.limit} requests reached. Quota resets at {decision.resets_at_iso}.",
                    headers=limit_headers,
                    limit=decision.limit,
                    used=decision.used,
                    resetsAt=decision.resets_at_iso,
                )
            raise errors.RateLimited(decision.limit, decision.window, decision.retry_after, limit_headers)
        return limit_headers

    def translate_error(self, exc: Exception) -> ApiError:
        if isinstance(exc, DomainError):
            return errors.from_domain(exc)
        raise exc

    def render_error(self, rt: Runtime | None, exc: ApiError, op: Operation | None) -> tuple[int, Any, dict[str, str]]:
        return errors.render(exc, DATA_DIALECT if op is not None and op.dialect == DATA_DIALECT else "auto_apply")

    def fit_contract_case(self, case: Any) -> None:
        """Two documented cross-field rules OpenAPI cannot express: exactly one of ``queueId``/``jobId``
        on status; ``jobId`` or ``jobTitle`` + ``jobDescription`` on generate-proposal."""
        label = case.operation.label
        if label == "GET /api/auto-apply-v2/status":
            query = case.query if isinstance(case.query, dict) else {}
            if "queueId" in query and "jobId" in query:
                del query["jobId"]
            elif "queueId" not in query and "jobId" not in query:
                query["queueId"] = "queue_00000000000000000000"
            case.query = query
        elif label == "POST /api/auto-apply-v2/generate-proposal" and isinstance(case.body, dict):
            body = case.body
            if "jobId" not in body and not ("jobTitle" in body and "jobDescription" in body):
                body.setdefault("jobTitle", "Build a dashboard")
                body.setdefault("jobDescription", "Charts and filters for weekly sales.")

    def account_view(self, rt: Runtime, api_key: str) -> dict[str, Any] | None:
        return control.account_view(rt.sim, api_key)

    def put_account(self, rt: Runtime, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        return control.put_account(rt, api_key, changes)

    def state_lists(self, rt: Runtime) -> dict[str, StateList]:
        return control.state_lists(rt.sim)

    def api_keys(self, rt: Runtime) -> list[str]:
        return list(rt.sim.accounts)

    def scenario_hooks(self) -> Any:
        return UPHUNT_SCENARIOS

    def dashboard_source(self) -> Any:
        return DASHBOARD

    def webhook_url(self, backend: Simulator, api_key: str) -> str | None:
        account = backend.accounts.get(api_key)
        return account.webhook_url if account is not None else None

    def webhook_headers(
        self, delivery_id: str, event: TerminalEvent, body: bytes, attempt: int, now_ms: int
    ) -> dict[str, str]:
        return {"X-UpHunt-Delivery": delivery_id, "X-UpHunt-Event": event.type}


VENDOR = UpHuntVendor()
World.vendor = VENDOR
