"""UpHunt's side of the control API: what an account and the state look like, and how accounts change.

The engine's control handlers (``/_mock/accounts/{apiKey}``, ``/_mock/state``) call these
through the vendor; the shapes are the control spec's ``Account`` and ``State``.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from mock_server.core.journal import mask_secret
from mock_server.core.vendor import StateList
from mock_server.core.webhooks import check_webhook_url

from . import render
from .domain.accounts import Account
from .domain.agency import agency_id_for
from .domain.ledger import CreditLedger
from .world import freelancer_from_dict

if TYPE_CHECKING:
    from mock_server.core.runtime import Runtime

    from .domain.applications import Application
    from .domain.simulator import Simulator


def account_view(sim: Simulator, api_key: str) -> dict[str, Any] | None:
    account = sim.accounts.get(api_key)
    if account is None:
        return None
    agency = sim.agency_of(account)
    return {
        "apiKey": account.api_key,
        "agencyId": account.agency_id,
        "credits": account.ledger.as_dict(),
        "connects": agency.connects,
        "webhookUrl": account.webhook_url,
        "freelancers": [render.freelancer(f) for f in agency.freelancers],
    }


def put_account(rt: Runtime, api_key: str, changes: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create or update an account; an unknown key gets the defaults of the world. Returns (view, created)."""
    url = check_webhook_url(changes.get("webhookUrl"))
    sim: Simulator = rt.sim
    account = sim.accounts.get(api_key)
    created = account is None
    if account is None:
        # A new key gets an agency of its own (its Connects and pacing are not another account's).
        agency_id = changes.get("agencyId") or agency_id_for(api_key)
        account = Account(api_key=api_key, agency_id=agency_id, ledger=CreditLedger.with_grant(0))
        sim.accounts[api_key] = account
    if "agencyId" in changes:
        account.agency_id = changes["agencyId"]
    agency = sim.ensure_agency(account.agency_id)
    if "credits" in changes:
        account.ledger.set_available(changes["credits"])
    if "connects" in changes:
        agency.connects = changes["connects"]
    if "freelancers" in changes:
        agency.freelancers = [freelancer_from_dict(f) for f in changes["freelancers"]]
    if "webhookUrl" in changes:
        account.webhook_url = url
    view = account_view(sim, api_key)
    assert view is not None
    return view, created


def state_lists(sim: Simulator) -> dict[str, StateList]:
    """Accounts and applications, rendered only for the page asked for (the engine masks the keys)."""

    def accounts(start: int, stop: int) -> list[dict[str, Any]]:
        views = [account_view(sim, key) for key in islice(sim.accounts, start, stop)]
        return [view for view in views if view is not None]

    def applications(start: int, stop: int) -> list[dict[str, Any]]:
        return [_application_record(app) for app in islice(sim.applications.values(), start, stop)]

    return {
        "accounts": StateList(len(sim.accounts), accounts),
        "applications": StateList(len(sim.applications), applications),
    }


def application_state(app: Application) -> dict[str, Any]:
    """An application as the dashboard shows it (``ApplicationState``): the status record plus bookkeeping, key masked."""
    return {**_application_record(app), "apiKey": mask_secret(app.api_key)}


def _application_record(app: Application) -> dict[str, Any]:
    """The status record plus bookkeeping, key unmasked (``GET /_mock/state`` masks in the engine)."""
    record = app.status_record()
    record.update(
        apiKey=app.api_key,
        agencyId=app.agency_id,
        createdAt=round(app.created_at * 1000),
        pickupAt=round(app.pickup_at * 1000),
        completesAt=round(app.completes_at * 1000),
    )
    return record
