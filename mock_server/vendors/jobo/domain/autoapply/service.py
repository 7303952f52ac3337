"""The Auto Apply service: every operation in the documented check order, applications on the clock.

One instance per world (:class:`AutoApplyService`). Creates check, in order (J4, J22–J32):
permission (403) → the launch gate (503) → ``Idempotency-Key`` (400, replay, 409) → target
rules (400/404) → quotas (429/503) → credits (402) → created, charged, key bound. Every future
step of an application is one scheduler event (``Application.pending``): pick-up, discovery,
the answer window, the ATS's review. Scenario hooks (``discovery_hooks``, ``review_hooks``)
may force a failure or an ATS rejection where the simulation decides. Events for callbacks go
to ``emit`` (the backend's event listeners).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import credits as credit_units
from ..accounts import Account
from ..cursor import CursorSigner, key_tag
from ..errors import InvalidCursor, NotFound
from . import errors, wire
from .applications import MAX_CORRECTION_ROUND, STATUSES, Application, Failure, Step
from .events import CALLBACK_DEADLINE_SECONDS, FIELDS_REQUESTED, CallbackEvent
from .fields import Field, coerce_legacy, command_error, snapshot_for, validate_snapshot
from .forms import (
    FAILURE_MESSAGES,
    PROVIDERS,
    REFUNDED,
    RETRYABLE,
    SANDBOX_PROVIDER,
    Form,
    TargetRule,
    default_forms,
    is_http_url,
    provider_of_url,
    sandbox_slug,
)
from .idempotency import IdempotencyStore, body_digest
from .profiles import ImportFile, Profile, ProfileStore, new_uuid
from .quotas import CreateWindows, Quotas


class Scheduler(Protocol):
    def after(self, delay: float, callback: Callable[[], None], label: str = "") -> Any: ...


class Clock(Protocol):
    def now(self) -> float: ...


DEFAULT_DURATIONS: dict[str, tuple[float, float]] = {
    "queued": (1.0, 5.0),
    "discovery": (10.0, 180.0),
    "review": (5.0, 30.0),
}
LIST_OPERATION = "auto_apply_list"


@dataclass
class AutoApplySettings:
    """The world's ``settings.autoApply`` (decisions J22–J36)."""

    enabled: bool = False
    hold_seconds: float = 90.0
    hold_real_seconds: float = 5.0
    answers_expire_seconds: float = 300.0
    one_time_code_expire_seconds: float = 60.0
    import_seconds: float = 20.0
    price_milli: int = 200_000
    quotas: Quotas = field(default_factory=Quotas)
    durations: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    forms: dict[str, Form] = field(default_factory=default_forms)
    targets: list[TargetRule] = field(default_factory=list)
    default_form: str = "standard"


# A scenario hook: (application, stage) -> None, or a forced decision:
#   {"fail": code, "message": text?} or {"reject": {"field_id"?, "message"?}}
Hook = Callable[[Application, str], "dict[str, Any] | None"]


class AutoApplyService:
    def __init__(
        self,
        world: Any,  # the JoboWorld: accounts, catalogues, the cursor signer
        clock: Clock,
        scheduler: Scheduler,
        settings: AutoApplySettings | None = None,
        seed: int = 0,
        emit: Callable[[CallbackEvent], None] | None = None,
    ) -> None:
        self.world = world
        self.clock = clock
        self.scheduler = scheduler
        self.settings = settings or AutoApplySettings()
        self.rng = random.Random(f"jobo-auto-apply:{seed}")
        self.applications: dict[str, Application] = {}
        self.open: dict[str, set[Application]] = {}  # per key: its non-terminal applications (quota checks)
        self.active: dict[str, int] = {}  # per key: how many are queued or running (the capacity quota)
        self.idempotency = IdempotencyStore()
        self.windows = CreateWindows()
        self.profiles = ProfileStore(clock, scheduler, self._new_id, lambda: self.settings.import_seconds)
        self.signer: CursorSigner = world.signer
        self.emit = emit or (lambda event: None)
        self.discovery_hooks: list[Hook] = []
        self.review_hooks: list[Hook] = []
        self._seq = 0

    # ── helpers ─────────────────────────────────────────────────────────

    def _new_id(self) -> str:
        return new_uuid(self.rng)

    def _now(self) -> float:
        return self.clock.now()

    def require(self, account: Account) -> None:
        """403 unless the key has Auto Apply permission (J23)."""
        if not account.auto_apply:
            raise errors.AutoApplyError(
                "forbidden", "auto_apply_not_enabled", "This API key does not have Auto Apply permission."
            )

    def _duration(self, app: Application, stage: str) -> float:
        low, high = app.form.durations.get(stage) or self.settings.durations.get(stage) or DEFAULT_DURATIONS[stage]
        return low if high <= low else self.rng.uniform(low, high)

    def _schedule(self, app: Application, delay: float, step: Callable[[Application], None], label: str) -> None:
        def run() -> None:
            app.pending = None
            step(app)

        app.pending = self.scheduler.after(delay, run, f"auto-apply {app.id}: {label}")

    def _unschedule(self, app: Application) -> None:
        if app.pending is not None:
            app.pending.cancel()
            app.pending = None

    def _set_status(self, app: Application, status: str) -> None:
        """Every status change goes through here, so the capacity count stays exact."""
        busy = ("queued", "running")
        delta = (status in busy) - (app.status in busy)
        if delta:
            self.active[app.api_key] = self.active.get(app.api_key, 0) + delta
        app.status = status

    def _touch(self, app: Application) -> None:
        app.updated_at = self._now()
        app.notify()

    def get(self, account: Account, application_id: str) -> Application:
        self.require(account)
        app = self.applications.get(application_id)
        if app is None or app.api_key != account.api_key:
            raise errors.not_found("Application", application_id)
        return app

    # ── create ──────────────────────────────────────────────────────────

    def create(self, account: Account, idempotency_key: str | None, body: Any) -> tuple[Application, bool]:
        """A new application, or the one this key already made for this body: ``(app, replayed)``."""
        self.require(account)
        self._gate()
        if idempotency_key is None or not idempotency_key.strip():
            raise errors.invalid(
                "idempotency_key_required", "Every create needs an Idempotency-Key header.", "Idempotency-Key"
            )
        if len(idempotency_key) > 255:
            raise errors.invalid(
                "invalid_parameter", "The Idempotency-Key header must be at most 255 characters.", "Idempotency-Key"
            )
        now = self._now()
        digest = body_digest(body)
        binding = self.idempotency.lookup(account.api_key, idempotency_key, now)
        if binding is not None:
            if binding.digest != digest:
                raise errors.conflict(
                    "idempotency_key_reuse",
                    "That Idempotency-Key was already used with a different request body. "
                    "Keys are bound to the exact body for 24 hours.",
                )
            return self.applications[binding.application_id], True
        app = self._new_application(account, body if isinstance(body, dict) else {})
        self.idempotency.bind(account.api_key, idempotency_key, digest, app.id, now)
        return app, False

    def _gate(self) -> None:
        if not self.settings.enabled:
            raise errors.AutoApplyError(
                "unavailable",
                "auto_apply_coming_soon",
                "The service is temporarily unavailable for maintenance. Please try again in a few minutes.",
            )

    def _new_application(self, account: Account, body: dict[str, Any], **extra: Any) -> Application:
        target = self._target(account, body)
        self._check_quotas(account)
        price = 0 if account.sandbox else self.settings.price_milli
        account.wallet.precheck(price, "auto-apply application")
        now = self._now()
        self._seq += 1
        app = Application(
            id=self._new_id(),
            seq=self._seq,
            api_key=account.api_key,
            sandbox=account.sandbox,
            created_at=now,
            updated_at=now,
            **target,
            **extra,
        )
        app.charged = account.wallet.debit(price)
        self.applications[app.id] = app
        self.open.setdefault(app.api_key, set()).add(app)
        self.active[app.api_key] = self.active.get(app.api_key, 0) + 1  # queued
        self.windows.record(account.api_key, now)
        if app.form.failure is not None and app.form.failure.stage == "queue":
            self._schedule(app, self._duration(app, "queued"), self._fail_in_queue, "pick-up")
        else:
            self._schedule(app, self._duration(app, "queued"), self._pick_up, "pick-up")
        return app

    def _target(self, account: Account, body: dict[str, Any]) -> dict[str, Any]:
        job_id, apply_url = body.get("job_id"), body.get("apply_url")
        has_job = isinstance(job_id, str) and job_id.strip() != ""
        has_url = isinstance(apply_url, str) and apply_url.strip() != ""
        if has_job == has_url or (job_id is not None and not has_job) or (apply_url is not None and not has_url):
            raise errors.invalid("invalid_target", "Provide exactly one of job_id or apply_url.", "job_id")
        if account.sandbox:
            if has_job:
                raise errors.invalid(
                    "sandbox_job_id_forbidden",
                    "Sandbox applications cannot target a job_id; use a sandbox apply_url.",
                    "job_id",
                )
            return self._sandbox_target(apply_url)
        if has_url:
            apply_url = str(apply_url)
            if sandbox_slug(apply_url) is not None:
                raise errors.invalid("invalid_sandbox_target", "Sandbox apply URLs need a jbe_test_ key.", "apply_url")
            if not is_http_url(apply_url):
                raise errors.invalid("invalid_target", "apply_url must be an absolute http(s) URL.", "apply_url")
            provider = provider_of_url(apply_url)
            if provider is None or provider not in PROVIDERS:
                raise errors.invalid("unsupported_ats", "No Auto Apply provider supports this ATS yet.", "apply_url")
            return {"job_id": None, "apply_url": apply_url, "provider_id": provider, "provider_name": PROVIDERS[provider],
                    "form": self._form_for(None, apply_url)}  # fmt: skip
        catalogue = self.world.live
        catalogue.advance(self._now())
        try:
            job = catalogue.job(job_id)
        except NotFound:
            raise errors.AutoApplyError("not_found", "job_not_found", f"Job '{job_id}' not found.") from None
        if job.source not in PROVIDERS:
            raise errors.invalid("unsupported_ats", f"No Auto Apply provider supports {job.source} yet.", "job_id")
        url = job_apply_url(job)
        return {"job_id": job.id, "apply_url": url, "provider_id": job.source, "provider_name": PROVIDERS[job.source],
                "form": self._form_for(job.id, url), "job": job}  # fmt: skip

    def _sandbox_target(self, apply_url: Any) -> dict[str, Any]:
        slug = sandbox_slug(apply_url) if isinstance(apply_url, str) else None
        form = self.settings.forms.get(slug or "")
        if slug is not None and (form is None or not form.sandbox):
            form = self.settings.forms.get(self.settings.default_form) if self._sandbox_job(slug) else None
        if slug is None or form is None:
            raise errors.invalid(
                "invalid_sandbox_target",
                "Sandbox mode requires a sandbox scenario URL (GET /api/auto-apply/sandbox/scenarios).",
                "apply_url",
            )
        provider_id, provider_name = SANDBOX_PROVIDER
        return {"job_id": None, "apply_url": apply_url, "provider_id": provider_id, "provider_name": provider_name,
                "form": form}  # fmt: skip

    def _sandbox_job(self, slug: str) -> bool:
        return any(job.slug == slug and job.active for job in self.world.sandbox.jobs)

    def _form_for(self, job_id: str | None, apply_url: str) -> Form:
        for rule in self.settings.targets:
            if rule.matches(job_id, apply_url) and rule.form in self.settings.forms:
                return self.settings.forms[rule.form]
        return self.settings.forms[self.settings.default_form]

    def _check_quotas(self, account: Account) -> None:
        in_flight = len(self.open.get(account.api_key, ()))
        active = self.active.get(account.api_key, 0)
        self.windows.check(account.api_key, account.sandbox, self.settings.quotas, self._now(), in_flight, active)

    # ── the life of an application (scheduler events) ───────────────────

    def _fail_in_queue(self, app: Application) -> None:
        assert app.form.failure is not None
        self._fail(app, app.form.failure.code, app.form.failure.message)

    def _pick_up(self, app: Application) -> None:
        self._set_status(app, "running")
        self._log(app, "pick_up", 0, "running")
        self._touch(app)
        self._schedule(app, self._duration(app, "discovery"), self._discover, "discovery")

    def _discover(self, app: Application) -> None:
        if app.cancel_requested:
            self._finish(app, "canceled")
            return
        forced = self._ask(self.discovery_hooks, app, "discovery")
        if forced is not None and "fail" in forced:
            self._fail(app, forced["fail"], forced.get("message"))
            return
        if app.job is not None:
            self.world.live.advance(self._now())
            if not app.job.active:
                self._fail(app, "job_unavailable")
                return
        failure = app.form.failure
        if failure is not None and failure.stage == "discovery":
            self._fail(app, failure.code, failure.message)
            return
        if not app.form.steps:
            self._submit(app)
            return
        self._open_step(app, 0)

    def _open_step(self, app: Application, index: int) -> None:
        now = self._now()
        fields = app.form.steps[index].fields
        app.step = Step(self._new_id(), index + 1, fields, now, now + self._window(fields))
        app.rejections_used = 0
        self._await_answers(app)

    def _window(self, fields: tuple[Field, ...]) -> float:
        if any(f.format == "one_time_code" for f in fields):
            return self.settings.one_time_code_expire_seconds
        return self.settings.answers_expire_seconds

    def _await_answers(self, app: Application) -> None:
        step = app.step
        assert step is not None
        self._set_status(app, "awaiting_answers")
        self._log(app, "fields_found", len(step.fields), "awaiting_answers")
        self._touch(app)
        if app.autopilot is not None:  # the older generation's one-shot run answers from the profile
            self._accept(app, snapshot_for(list(step.fields), app.autopilot))
            return
        self._schedule(app, max(0.0, step.answers_expire_at - self._now()), self._expire, "answers expire")
        self._event(app, FIELDS_REQUESTED)

    def _expire(self, app: Application) -> None:
        code = (
            "verification_timeout"
            if app.step and any(f.format == "one_time_code" for f in app.step.fields)
            else "answers_timeout"
        )
        self._fail(app, code)

    def _accept(self, app: Application, answers: list[dict[str, Any]]) -> None:
        step = app.step
        assert step is not None
        self._unschedule(app)
        step.answers = answers
        app.fields_filled += len(answers)
        self._set_status(app, "running")
        self._log(app, "answers_accepted", len(answers), "running")
        self._touch(app)
        self._schedule(app, self._duration(app, "review"), self._review, "ATS review")

    def _review(self, app: Application) -> None:
        step = app.step
        assert step is not None
        if app.cancel_requested:
            self._finish(app, "canceled")
            return
        forced = self._ask(self.review_hooks, app, "review")
        if forced is not None and "fail" in forced:
            self._fail(app, forced["fail"], forced.get("message"))
            return
        form_step = app.form.steps[step.sequence - 1]
        rejected = forced.get("reject") if forced is not None else None
        if rejected is None and app.rejections_used < form_step.rejections:
            rejected = {}
        if rejected is not None:
            app.rejections_used += 1
            field_id = rejected.get("field_id") or _first_rejectable(step.fields)
            message = rejected.get("message") or "The employer's form rejected this value."
            self._correct(app, [command_error(field_id, "ats_rejected", message)])
            return
        app.steps_done += 1
        self._log(app, "step_completed", len(step.fields), "running")
        failure = app.form.failure
        if failure is not None and failure.stage == f"step:{step.sequence}":
            self._fail(app, failure.code, failure.message)
        elif step.sequence < len(app.form.steps):
            self._open_step(app, step.sequence)
        else:
            self._submit(app)

    def _correct(self, app: Application, command_errors: list[dict[str, Any]]) -> None:
        """The same step again with the next correction round, or the end of the corrections."""
        step = app.step
        assert step is not None
        self._unschedule(app)
        if step.correction_round >= MAX_CORRECTION_ROUND:
            self._fail(app, "correction_limit_exceeded")
            return
        now = self._now()
        step.correction_round += 1
        step.command_errors = command_errors
        step.answers = None
        step.opened_at = now
        step.answers_expire_at = now + self._window(step.fields)
        self._await_answers(app)

    def _submit(self, app: Application) -> None:
        failure = app.form.failure
        if failure is not None and failure.stage == "submit":
            self._fail(app, failure.code, failure.message)
            return
        self._finish(app, "submitted")

    def _fail(self, app: Application, code: str, message: str | None = None) -> None:
        app.failure = Failure(code, message or FAILURE_MESSAGES.get(code, code), code in RETRYABLE)
        self._finish(app, "failed")

    def _finish(self, app: Application, status: str, *, refund: bool = False) -> None:
        if app.terminal:
            return
        self._unschedule(app)
        now = self._now()
        self._set_status(app, status)
        app.completed_at = now
        self.open.get(app.api_key, set()).discard(app)
        if status == "failed" and app.failure is not None and app.failure.code in REFUNDED:
            refund = True
        if refund and app.charged and not app.refunded:
            account = self.world.accounts.get(app.api_key)
            if account is not None:
                account.wallet.refund(app.charged)
                app.refunded = app.charged
        self._log(app, status, 0, status, app.failure.message if app.failure else None)
        self._touch(app)
        self._event(app, f"application.{status}")

    def _ask(self, hooks: list[Hook], app: Application, stage: str) -> dict[str, Any] | None:
        forced = None
        for hook in hooks:
            answer = hook(app, stage)
            if answer is not None:
                forced = answer
        return forced

    def _log(self, app: Application, action: str, count: int, status: str, error: str | None = None) -> None:
        app.step_log.append({"step": len(app.step_log) + 1, "action": action, "fields_count": count,
                             "status": status, "error": error, "timestamp": self._now()})  # fmt: skip

    def _event(self, app: Application, kind: str) -> None:
        now = self._now()
        event_id = f"evt_{self.rng.getrandbits(96):024x}"
        body: dict[str, Any] = {
            "id": event_id,
            "type": kind,
            "api_version": "2026-07-21",
            "attempt": 1,
            "created_at": wire.iso(now),
            "application": {"id": app.id, "status": app.status},
        }
        step = app.current_step
        if kind == FIELDS_REQUESTED and step is not None:
            body["step"] = wire.step_view(step)
        self.emit(
            CallbackEvent(
                event_id, kind, app.api_key, now, body, app.id, app.job_id, app.apply_url,
                step.id if step is not None and kind == FIELDS_REQUESTED else None,
                step.correction_round if step is not None and kind == FIELDS_REQUESTED else None,
                self.world.accounts.get(app.api_key),
            )
        )  # fmt: skip

    # ── answers and cancel ──────────────────────────────────────────────

    def submit_answers(self, account: Account, application_id: str, body: Any) -> Application:
        app = self.get(account, application_id)
        answers = body.get("answers") if isinstance(body, dict) else None
        expected = body.get("correction_round") if isinstance(body, dict) else None
        step = app.current_step
        if step is None:
            raise errors.conflict("invalid_state", f"Application '{app.id}' is {app.status}, not awaiting_answers.")
        if expected is not None and expected != step.correction_round:
            raise errors.conflict(
                "stale_correction_round",
                f"These answers are for correction round {expected}; the step is at round {step.correction_round}.",
            )
        problems = validate_snapshot(list(step.fields), answers)
        if problems:
            raise errors.invalid(
                "validation_failed",
                f"The answers are not valid for this step ({len(problems)} error{'s' if len(problems) != 1 else ''}).",
                "answers",
                errors=problems,
            )
        self._accept(app, list(answers or []))
        return app

    def cancel(self, account: Account, application_id: str) -> Application:
        app = self.get(account, application_id)
        if app.terminal:
            raise errors.conflict(
                "not_cancelable", f"Application '{app.id}' is {app.status} and can no longer be canceled."
            )
        if app.status == "queued":
            self._finish(app, "canceled", refund=True)
        elif app.status == "awaiting_answers":
            self._finish(app, "canceled")
        else:
            app.cancel_requested = True
            self._touch(app)
        return app

    # ── list ────────────────────────────────────────────────────────────

    def list_applications(
        self, account: Account, limit: int = 20, cursor: str | None = None, status: str | None = None
    ) -> dict[str, Any]:
        self.require(account)
        if status is not None and status not in STATUSES:
            raise errors.invalid(
                "invalid_status", f"Unknown status filter {status!r}; one of {', '.join(STATUSES)}.", "status"
            )
        before = None
        if cursor is not None:
            try:
                payload = self.signer.decode(cursor, operation=LIST_OPERATION, api_key=account.api_key)
            except InvalidCursor:
                payload = None
            if payload is None or payload.get("status") != status or not isinstance(payload.get("before"), int):
                raise errors.invalid(
                    "invalid_cursor", "Invalid cursor: it is bound to the filters it was created with.", "cursor"
                )
            before = payload["before"]
        mine = sorted(
            (a for a in self.applications.values()
             if a.api_key == account.api_key and (status is None or a.status == status) and (before is None or a.seq < before)),
            key=lambda a: -a.seq,
        )  # fmt: skip
        page = mine[:limit]
        more = len(mine) > limit
        token = None
        if more:
            token = self.signer.encode(
                {"op": LIST_OPERATION, "k": key_tag(account.api_key), "status": status, "before": page[-1].seq}
            )
        return {"data": [wire.application_view(a) for a in page], "has_more": more, "next_cursor": token}

    # ── callbacks (J34) ─────────────────────────────────────────────────

    def callback_result(
        self, event: CallbackEvent, attempt: int, status: int | None, body: bytes | None, last: bool
    ) -> bool:
        """Apply a ``fields_requested`` delivery attempt's outcome; True when no further attempt must be made."""
        if event.type != FIELDS_REQUESTED:
            return False
        app = self.applications.get(event.application_id)
        step = app.current_step if app is not None else None
        if app is None or step is None or step.id != event.step_id or step.correction_round != event.correction_round:
            return True  # answered through the API meanwhile, canceled, or expired: nothing to apply
        if status is None:
            if last or self._now() >= event.created_at + CALLBACK_DEADLINE_SECONDS:
                self._fail(app, "callback_unavailable")
                return True
            return False
        if not 200 <= status < 300:
            self._fail(app, "callback_rejected", f"The callback URL answered {status}; a non-2xx is not retried.")
            return True
        if body is None or not body.strip():
            return True  # no command: the client answers through POST …/answers
        import json

        try:
            command = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            self._fail(app, "callback_invalid_json")
            return True
        if not isinstance(command, dict) or command.get("action") not in ("proceed", "cancel"):
            self._fail(app, "callback_invalid_command")
            return True
        if command["action"] == "cancel":
            if "answers" in command:
                self._correct(
                    app, [command_error(None, "answers_not_allowed", "cancel must not contain the answers property.")]
                )
            else:
                self._finish(app, "canceled")
            return True
        problems = validate_snapshot(list(step.fields), command.get("answers"))
        if problems:
            self._correct(app, problems)
        else:
            self._accept(app, list(command.get("answers") or []))
        return True

    # ── the older generation (J21) ──────────────────────────────────────

    def start_session(self, account: Account, apply_url: str) -> Application:
        self.require(account)
        self._gate()
        return self._new_application(account, {"apply_url": apply_url}, legacy=True)

    def run(self, account: Account, profile_id: str, apply_url: str) -> Application:
        self.require(account)
        self._gate()
        profile = self.profiles.get(account.api_key, profile_id)
        if profile.status != "ready":
            raise errors.conflict("profile_not_ready", f"Profile '{profile_id}' is {profile.status}.")
        return self._new_application(
            account, {"apply_url": apply_url}, legacy=True, profile_id=profile.id, autopilot=profile_facts(profile)
        )

    def set_legacy_answers(self, account: Account, session_id: str, answers: list[dict[str, Any]]) -> Application:
        app = self.get(account, session_id)
        step = app.current_step
        if step is None:
            raise errors.conflict("invalid_state", f"Session '{app.id}' is not waiting for answers.")
        by_id = {f.field_id: f for f in step.fields}
        converted = []
        for answer in answers:
            f = by_id.get(answer.get("field_id", ""))
            value = answer.get("value", "")
            if f is not None and isinstance(value, str):
                value = coerce_legacy(f, value, answer.get("typeahead_selection"))
            converted.append({"field_id": answer.get("field_id"), "value": value})
        return self.submit_answers(account, session_id, {"answers": converted})

    def end_session(self, account: Account, session_id: str) -> Application:
        app = self.get(account, session_id)
        if not app.terminal:
            self.cancel(account, session_id)
        return app

    # ── profiles (thin: the store has the rules) ────────────────────────

    def list_profiles(self, account: Account) -> list[Profile]:
        self.require(account)
        return self.profiles.list(account.api_key)

    def get_profile(self, account: Account, profile_id: str) -> Profile:
        self.require(account)
        return self.profiles.get(account.api_key, profile_id)

    def create_profile(self, account: Account, body: Any) -> Profile:
        self.require(account)
        return self.profiles.create(account.api_key, body)

    def patch_profile(self, account: Account, profile_id: str, body: Any) -> Profile:
        self.require(account)
        return self.profiles.patch(account.api_key, profile_id, body)

    def replace_profile(self, account: Account, profile_id: str, body: Any) -> Profile:
        self.require(account)
        return self.profiles.replace(account.api_key, profile_id, body)

    def delete_profile(self, account: Account, profile_id: str) -> None:
        self.require(account)
        self.profiles.delete(account.api_key, profile_id)

    def import_profile(self, account: Account, upload: ImportFile) -> Profile:
        self.require(account)
        return self.profiles.start_import(account.api_key, upload)

    # ── sandbox and state ───────────────────────────────────────────────

    def sandbox_scenarios(self) -> dict[str, Any]:
        quotas = self.settings.quotas
        return {
            "api_version": wire.API_VERSION,
            "available": True,
            "token_url": None,
            "token_lifetime_minutes": 60,
            "quota_per_hour": quotas.sandbox_per_hour,
            "retention_hours": 24,
            "scenarios": [wire.scenario_view(f) for f in self.settings.forms.values() if f.sandbox],
        }

    def check_invariants(self) -> list[str]:
        """Broken invariants (empty: none): scheduling, charges and refunds."""
        problems = []
        for app in self.applications.values():
            if app.terminal and app.pending is not None:
                problems.append(f"{app.id}: terminal ({app.status}) with a pending event")
            if not app.terminal and (app.pending is None or app.pending.cancelled):
                problems.append(f"{app.id}: {app.status} without a scheduled event")
            if app.refunded not in (0, app.charged):
                problems.append(f"{app.id}: refunded {app.refunded} of {app.charged}")
            if (app in self.open.get(app.api_key, set())) == app.terminal:
                problems.append(f"{app.id}: the open set disagrees with its status {app.status}")
        for key, count in self.active.items():
            actual = sum(1 for a in self.open.get(key, ()) if a.status in ("queued", "running"))
            if count != actual:
                problems.append(f"{key[:12]}…: {count} counted queued or running, {actual} are")
        return problems


def _first_rejectable(fields: tuple[Field, ...]) -> str | None:
    for f in fields:
        if f.type in ("text", "textarea", "rich_text") and f.required:
            return f.field_id
    return fields[0].field_id if fields else None


def job_apply_url(job: Any) -> str:
    """The job's apply URL as the data API renders it (``render.job_record``)."""
    if "apply_url" in job.overrides:
        return job.overrides["apply_url"]
    return f"https://jobs.{job.source}.example/{job.company.domain.split('.')[0]}/{job.slug}/apply"


def profile_facts(profile: Profile) -> dict[str, str]:
    """What a one-shot run fills fields from: contact, links, location, the first job and school."""
    facts: dict[str, str] = {}
    contact = profile.sections.get("contact") or {}
    for key in ("first_name", "last_name", "email", "phone"):
        if contact.get(key):
            facts[key] = contact[key]
    if contact:
        facts["full_name"] = f"{contact.get('first_name', '')} {contact.get('last_name', '')}".strip()
    memories = profile.sections.get("memories") or []
    if memories:
        facts["why_us"] = memories[0]
        facts["summary"] = memories[0]
    if profile.sections.get("cover_letter_template"):
        facts["cover_letter"] = profile.sections["cover_letter_template"]
    return facts


def milli(credits: Any) -> int:
    return credit_units.to_milli(credits)
