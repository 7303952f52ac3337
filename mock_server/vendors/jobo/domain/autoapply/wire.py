"""Wire shapes of Auto Apply objects (plain dicts): applications, steps, profiles, the older sessions.

Kept beside the domain because callback events carry the same step shape as the API; the
vendor's handlers and the events both render through here, so the two cannot drift.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..credits import number
from .applications import Application, Step
from .fields import LEGACY_NAMES, Field
from .forms import SANDBOX_PREFIX, Form
from .profiles import SECTIONS, Profile

API_VERSION = "2026-08-31"


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def field_view(f: Field) -> dict[str, Any]:
    return {
        "field_id": f.field_id,
        "type": f.type,
        "label": f.label,
        "required": f.required,
        "requires_answer": f.requires_answer,
        "format": f.format,
        "placeholder": f.placeholder,
        "options": [{"value": v, "label": label} for v, label in f.options],
        "constraints": dict(f.constraints),
    }


def step_view(step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "sequence": step.sequence,
        "correction_round": step.correction_round,
        "command_errors": [dict(e) for e in step.command_errors],
        "fields": [field_view(f) for f in step.fields],
        "answers_expire_at": iso(step.answers_expire_at),
    }


def application_view(app: Application) -> dict[str, Any]:
    step = app.current_step
    failure = app.failure
    return {
        "api_version": API_VERSION,
        "id": app.id,
        "status": app.status,
        "provider_id": app.provider_id,
        "provider_name": app.provider_name,
        "job_id": app.job_id,
        "apply_url": app.apply_url,
        "sandbox": app.sandbox,
        "failure": None
        if failure is None
        else {"code": failure.code, "message": failure.message, "retryable": failure.retryable},
        "current_step": None if step is None else step_view(step),
        "cancel_requested": app.cancel_requested,
        "credits_charged": number(app.charged - app.refunded),
        "created_at": iso(app.created_at),
        "updated_at": iso(app.updated_at),
        "completed_at": iso(app.completed_at),
    }


def profile_view(profile: Profile) -> dict[str, Any]:
    out: dict[str, Any] = {"id": profile.id, "name": profile.name, "status": profile.status,
                           "import_error": profile.import_error}  # fmt: skip
    for key in SECTIONS:
        out[key] = profile.section(key)
    resume = profile.resume
    out["resume"] = None if resume is None else {**resume, "uploaded_at": iso(resume["uploaded_at"])}
    out["created_at"] = iso(profile.created_at)
    out["updated_at"] = iso(profile.updated_at)
    return out


def scenario_view(form: Form) -> dict[str, Any]:
    return {
        "slug": form.slug,
        "name": form.name,
        "description": form.description,
        "apply_url": SANDBOX_PREFIX + form.slug,
    }


# ── the older generation ────────────────────────────────────────────────────

LEGACY_STATUS = {"submitted": "submitted", "canceled": "closed"}
LEGACY_FAILURES = {
    "login_required": "login_required",
    "captcha_required": "captcha_required",
    "answers_timeout": "expired",
}


def legacy_field_view(f: Field) -> dict[str, Any]:
    constraints: dict[str, Any] = {}
    for key in ("max_length", "accepted_file_types", "max_file_size_bytes"):
        if key in f.constraints:
            constraints[key] = f.constraints[key]
    return {
        "field_id": f.field_id,
        "type": LEGACY_NAMES[f.type],
        "label": f.label,
        "name": f.field_id,
        "placeholder": f.placeholder,
        "is_required": f.required,
        "is_disabled": False,
        "current_value": None,
        "options": [{"value": v, "text": label, "is_selected": False} for v, label in f.options],
        "constraints": constraints,
        "selector": f"[name='{f.field_id}']",
        "metadata": {},
    }


def legacy_status(app: Application) -> str:
    if app.status == "awaiting_answers":
        return "form_ready"
    if app.status == "failed" and app.failure is not None:
        return LEGACY_FAILURES.get(app.failure.code, "error")
    return LEGACY_STATUS.get(app.status, "running")


def legacy_session_view(app: Application) -> dict[str, Any]:
    step = app.current_step
    errors = [{"field_id": e["field_id"], "message": e["message"]} for e in (step.command_errors if step else [])]
    return {
        "session_id": app.id,
        "provider_id": app.provider_id,
        "provider_display_name": app.provider_name,
        "success": app.status == "submitted",
        "status": legacy_status(app),
        "error": app.failure.message if app.failure else None,
        "current_url": app.apply_url,
        "is_terminal": app.terminal,
        "validation_errors": errors,
        "fields": [legacy_field_view(f) for f in step.fields] if step else [],
    }


def legacy_run_view(app: Application, now: float) -> dict[str, Any]:
    end = app.completed_at if app.completed_at is not None else now
    return {
        "session_id": app.id,
        "profile_id": app.profile_id,
        "apply_url": app.apply_url,
        "provider_id": app.provider_id,
        "provider_display_name": app.provider_name,
        "success": app.status == "submitted",
        "status": app.status if app.terminal else "running",
        "error": app.failure.message if app.failure else None,
        "steps_completed": app.steps_done,
        "fields_filled": app.fields_filled,
        "duration_ms": int(round((end - app.created_at) * 1000)),
        "step_log": [{**entry, "timestamp": iso(entry["timestamp"])} for entry in app.step_log],
    }


def session_metadata_view(app: Application) -> dict[str, Any]:
    state = {"queued": "pending", "running": "running", "awaiting_answers": "running", "submitted": "completed",
             "failed": "failed", "canceled": "closed"}[app.status]  # fmt: skip
    return {
        "id": app.id,
        "state": state,
        "mode": "automated" if app.autopilot is not None else "interactive",
        "job_url": app.apply_url,
        "provider_id": app.provider_id,
        "provider_name": app.provider_name,
        "current_url": app.apply_url,
        "profile_id": app.profile_id,
        "started_at": iso(app.created_at),
        "completed_at": iso(app.completed_at),
    }
