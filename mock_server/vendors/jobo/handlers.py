"""Jobo handlers by operationId: read the validated input, call the domain, render the result.

Thin on purpose (moto's ``responses.py``): every rule is in :mod:`.domain`; every shape is in
:mod:`.render`; the headers every 2xx carries are set here (credits, totals, has-more).
Aliases (``x-mock-handler``) reach the same functions, so they cannot drift.
"""

from __future__ import annotations

from typing import Any

from mock_server.core.vendor import Ctx, Handler, Reply

from . import render
from .autoapply_handlers import AUTO_APPLY_HANDLERS
from .domain import credits
from .domain.accounts import Account
from .domain.search import tri_state
from .errors import MethodNotAllowed
from .world import JoboBackend


def _backend(ctx: Ctx) -> JoboBackend:
    return ctx.runtime.sim


def _credit_headers(account: Account | None, deducted: int = 0) -> dict[str, str]:
    if account is None:
        return {}
    return {"X-Credits-Deducted": credits.text(deducted), "X-Credits-Balance": credits.text(account.wallet.balance)}


def _search_reply(backend: JoboBackend, ctx: Ctx, charged: Any, include_fields: Any) -> Reply:
    page = charged.result
    headers = _credit_headers(ctx.account, charged.deducted)
    headers.update({"X-Total-Count": str(page.total), "X-Total-Pages": str(page.total_pages), "X-Page": str(page.page)})
    return Reply(200, render.search_body(page, include_fields, backend.search_envelope), headers)


def search_jobs(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    charged = backend.world.search(ctx.account, ctx.params, advanced=False)
    return _search_reply(backend, ctx, charged, tri_state(ctx.params.get("include_fields")))


def search_jobs_advanced(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    charged = backend.world.search(ctx.account, body, advanced=True)
    return _search_reply(backend, ctx, charged, tri_state(body.get("include_fields")))


def get_company_jobs(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    charged = backend.world.company_jobs(ctx.account, ctx.params["id"], ctx.params)
    return _search_reply(backend, ctx, charged, None)


def get_job(ctx: Ctx) -> Reply:
    if ctx.params["id"] in ("search", "feed"):  # POST-only siblings that GET /api/jobs/{id} would shadow
        raise MethodNotAllowed()
    job = _backend(ctx).world.get_job(ctx.account, ctx.params["id"])
    return Reply(200, render.job_json(job), _credit_headers(ctx.account))


def get_company(ctx: Ctx) -> Reply:
    from .domain.content import company_profile

    company = _backend(ctx).world.get_company(ctx.account, ctx.params["id"])
    return Reply(200, company_profile(company), _credit_headers(ctx.account))


def _feed(ctx: Ctx, managed: bool) -> Reply:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    charged = _backend(ctx).world.feed(ctx.account, body, managed=managed)
    headers = _credit_headers(ctx.account, charged.deducted)
    headers["X-Has-More"] = "true" if charged.result.has_more else "false"
    return Reply(200, render.feed_body(charged.result), headers)


def get_jobs_feed(ctx: Ctx) -> Reply:
    return _feed(ctx, managed=False)


def get_managed_jobs_feed(ctx: Ctx) -> Reply:
    return _feed(ctx, managed=True)


def get_expired_job_ids(ctx: Ctx) -> Reply:
    page = _backend(ctx).world.expired(ctx.account, ctx.params)
    headers = _credit_headers(ctx.account)
    headers["X-Has-More"] = "true" if page.has_more else "false"
    return Reply(200, render.expired_body(page), headers)


def geocode_location(ctx: Ctx) -> Reply:
    charged = _backend(ctx).world.geocode(ctx.account, ctx.params.get("location"))
    return Reply(200, charged.result, _credit_headers(ctx.account, charged.deducted))


def get_connector_filters(ctx: Ctx) -> Reply:
    return Reply(200, _backend(ctx).world.connector_filters(ctx.account), _credit_headers(ctx.account))


def get_connector_filter_options(ctx: Ctx) -> Reply:
    p = ctx.params
    body = _backend(ctx).world.filter_options(ctx.account, p["facet"], p.get("q"), p.get("limit", 20))
    return Reply(200, body, _credit_headers(ctx.account))


def suggest_locations(ctx: Ctx) -> Reply:
    body = _backend(ctx).world.suggest_locations(ctx.params.get("q"), ctx.params.get("limit", 5))
    return Reply(200, body, _credit_headers(ctx.account))


HANDLERS: dict[str, Handler] = {
    "searchJobs": search_jobs,
    "searchJobsAdvanced": search_jobs_advanced,
    "getJob": get_job,
    "getJobsFeed": get_jobs_feed,
    "getManagedJobsFeed": get_managed_jobs_feed,
    "getExpiredJobIds": get_expired_job_ids,
    "getCompany": get_company,
    "getCompanyJobs": get_company_jobs,
    "geocodeLocation": geocode_location,
    "getConnectorFilters": get_connector_filters,
    "getConnectorFilterOptions": get_connector_filter_options,
    "suggestLocations": suggest_locations,
    **AUTO_APPLY_HANDLERS,
}
