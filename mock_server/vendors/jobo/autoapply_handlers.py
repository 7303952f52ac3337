"""Auto Apply handlers by operationId: read the validated input, call the service, hold, render.

Thin like :mod:`.handlers`: rules are in :mod:`.domain.autoapply`, shapes in its ``wire``
module. Handlers that hold (create, answers, long-poll GET, the older generation's start and
run) are coroutines: their synchronous part runs atomically up to the first ``await``
(:func:`.holds.hold`), then the request waits without blocking anyone (decision J26).
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from typing import Any

from mock_server.core.vendor import Ctx, Handler, Reply

from .domain import credits
from .domain.autoapply import errors
from .domain.autoapply.profiles import ImportFile
from .domain.autoapply.wire import (
    application_view,
    legacy_run_view,
    legacy_session_view,
    profile_view,
    session_metadata_view,
)
from .holds import hold
from .world import JoboBackend

APPLICATIONS = "/api/auto-apply/applications"
PROFILES = "/api/auto-apply/profiles"


def _backend(ctx: Ctx) -> JoboBackend:
    return ctx.runtime.sim


def _credit_headers(ctx: Ctx, deducted: int = 0) -> dict[str, str]:
    account = ctx.account
    if account is None:
        return {}
    return {"X-Credits-Deducted": credits.text(deducted), "X-Credits-Balance": credits.text(account.wallet.balance)}


def _header(ctx: Ctx, name: str) -> str | None:
    wanted = name.lower()
    for key, value in ctx.headers.items():
        if key.lower() == wanted:
            return value
    return None


def _hold_seconds(backend: JoboBackend, asked: float | None = None) -> float:
    limit = backend.auto_apply.settings.hold_seconds
    return limit if asked is None else min(float(asked), limit)


# ── applications ────────────────────────────────────────────────────────────


async def create_application(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    service = backend.auto_apply
    app, replayed = service.create(ctx.account, _header(ctx, "Idempotency-Key"), ctx.body)
    charged = 0 if replayed else app.charged
    await hold(backend, ctx.runtime, app, _hold_seconds(backend))
    headers = _credit_headers(ctx, charged)
    headers["Location"] = f"{APPLICATIONS}/{app.id}"
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return Reply(201 if app.answerable else 202, application_view(app), headers)


async def get_application(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    app = backend.auto_apply.get(ctx.account, ctx.params["applicationId"])
    wait = ctx.params.get("wait_seconds")
    if wait:
        await hold(backend, ctx.runtime, app, _hold_seconds(backend, wait))
    return Reply(200, application_view(app), _credit_headers(ctx))


async def submit_answers(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    app = backend.auto_apply.submit_answers(ctx.account, ctx.params["applicationId"], ctx.body)
    await hold(backend, ctx.runtime, app, _hold_seconds(backend))
    return Reply(200 if app.answerable else 202, application_view(app), _credit_headers(ctx))


def cancel_application(ctx: Ctx) -> Reply:
    app = _backend(ctx).auto_apply.cancel(ctx.account, ctx.params["applicationId"])
    return Reply(200 if app.terminal else 202, application_view(app), _credit_headers(ctx))


def list_applications(ctx: Ctx) -> Reply:
    p = ctx.params
    body = _backend(ctx).auto_apply.list_applications(ctx.account, p.get("limit", 20), p.get("cursor"), p.get("status"))
    return Reply(200, body, _credit_headers(ctx))


def list_sandbox_scenarios(ctx: Ctx) -> Reply:
    return Reply(200, _backend(ctx).auto_apply.sandbox_scenarios())


# ── profiles ────────────────────────────────────────────────────────────────


def list_profiles(ctx: Ctx) -> Reply:
    profiles = _backend(ctx).auto_apply.list_profiles(ctx.account)
    return Reply(200, [profile_view(p) for p in profiles], _credit_headers(ctx))


def create_profile(ctx: Ctx) -> Reply:
    profile = _backend(ctx).auto_apply.create_profile(ctx.account, ctx.body)
    headers = {**_credit_headers(ctx), "Location": f"{PROFILES}/{profile.id}"}
    return Reply(201, profile_view(profile), headers)


def get_profile(ctx: Ctx) -> Reply:
    profile = _backend(ctx).auto_apply.get_profile(ctx.account, ctx.params["profileId"])
    return Reply(200, profile_view(profile), _credit_headers(ctx))


def update_profile(ctx: Ctx) -> Reply:
    profile = _backend(ctx).auto_apply.patch_profile(ctx.account, ctx.params["profileId"], ctx.body)
    return Reply(200, profile_view(profile), _credit_headers(ctx))


def replace_profile(ctx: Ctx) -> Reply:
    profile = _backend(ctx).auto_apply.replace_profile(ctx.account, ctx.params["profileId"], ctx.body)
    return Reply(200, profile_view(profile), _credit_headers(ctx))


def delete_profile(ctx: Ctx) -> Reply:
    _backend(ctx).auto_apply.delete_profile(ctx.account, ctx.params["profileId"])
    return Reply(204, None, _credit_headers(ctx))


def import_profile(ctx: Ctx) -> Reply:
    service = _backend(ctx).auto_apply
    service.require(ctx.account)
    upload = parse_upload(_header(ctx, "Content-Type") or "", ctx.body or b"")
    profile = service.import_profile(ctx.account, upload)
    headers = {**_credit_headers(ctx), "Location": f"{PROFILES}/{profile.id}"}
    return Reply(202, {"profile_id": profile.id, "status": profile.status}, headers)


def parse_upload(content_type: str, raw: bytes) -> ImportFile:
    """The ``file`` part of a multipart/form-data body (stdlib ``email`` parser: no extra dependency)."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type.lower():
        raise errors.invalid(
            "invalid_parameter", "The body must be multipart/form-data with a part named 'file'.", "file"
        )
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + raw)
    if message.is_multipart():
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                data = part.get_payload(decode=True)
                return ImportFile(
                    part.get_filename() or "", part.get_content_type(), data if isinstance(data, bytes) else b""
                )
    raise errors.invalid("invalid_parameter", "Field 'file' is required (a multipart part named 'file').", "file")


# ── the older generation (J21) ──────────────────────────────────────────────


async def start_session(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    app = backend.auto_apply.start_session(ctx.account, ctx.body["apply_url"])
    await hold(backend, ctx.runtime, app, _hold_seconds(backend))
    return Reply(200, legacy_session_view(app), _credit_headers(ctx, app.charged))


async def set_answers(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    body = ctx.body
    app = backend.auto_apply.set_legacy_answers(ctx.account, body["session_id"], body["answers"])
    await hold(backend, ctx.runtime, app, _hold_seconds(backend))
    return Reply(200, legacy_session_view(app), _credit_headers(ctx))


async def run_auto_apply(ctx: Ctx) -> Reply:
    backend = _backend(ctx)
    app = backend.auto_apply.run(ctx.account, ctx.body["profile_id"], ctx.body["apply_url"])
    # A run answers every step itself: it holds until the application ends, or the hold limit.
    await hold(backend, ctx.runtime, _UntilTerminal(app), _hold_seconds(backend))
    return Reply(200, legacy_run_view(app, backend.clock.now()), _credit_headers(ctx, app.charged))


class _UntilTerminal:
    """An application seen by :func:`.holds.hold` as answerable only once terminal (a run never waits for answers)."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self.id = app.id
        self.watchers = app.watchers

    @property
    def answerable(self) -> bool:
        return bool(self._app.terminal)


def get_session(ctx: Ctx) -> Reply:
    app = _backend(ctx).auto_apply.get(ctx.account, ctx.params["sessionId"])
    return Reply(200, session_metadata_view(app), _credit_headers(ctx))


def end_session(ctx: Ctx) -> Reply:
    app = _backend(ctx).auto_apply.end_session(ctx.account, ctx.params["sessionId"])
    return Reply(200, {"session_id": app.id, "ended": True, "status": app.status}, _credit_headers(ctx))


AUTO_APPLY_HANDLERS: dict[str, Handler] = {
    "listAutoApplyApplications": list_applications,
    "createAutoApplyApplication": create_application,
    "getAutoApplyApplication": get_application,
    "submitAutoApplyAnswers": submit_answers,
    "cancelAutoApplyApplication": cancel_application,
    "listAutoApplySandboxScenarios": list_sandbox_scenarios,
    "listAutoApplyProfiles": list_profiles,
    "createAutoApplyProfile": create_profile,
    "importAutoApplyProfile": import_profile,
    "getAutoApplyProfile": get_profile,
    "updateAutoApplyProfile": update_profile,
    "replaceAutoApplyProfile": replace_profile,
    "deleteAutoApplyProfile": delete_profile,
    "startAutoApplySession": start_session,
    "setAutoApplyAnswers": set_answers,
    "runAutoApply": run_auto_apply,
    "getAutoApplySession": get_session,
    "endAutoApplySession": end_session,
}
