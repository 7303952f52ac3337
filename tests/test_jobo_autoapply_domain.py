"""Jobo Auto Apply without HTTP: the service, applications on the scheduler, profiles, idempotency, quotas, credits.

Pure domain (mock_server.vendors.jobo.domain.autoapply) on the manual clock. The state machine's
invariants (never a double charge, never a non-terminal application without a scheduled event,
refunds exactly where decision J31 says) are hypothesis properties over any sequence of creates,
answers, cancels and clock advances.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.core.clock import ManualClock
from mock_server.core.scheduler import Scheduler
from mock_server.vendors.jobo.domain import JoboSettings, JoboWorld
from mock_server.vendors.jobo.domain.accounts import DEMO_FREE_KEY, DEMO_LIVE_KEY, DEMO_SANDBOX_KEY
from mock_server.vendors.jobo.domain.autoapply import AutoApplyError, AutoApplyService, AutoApplySettings
from mock_server.vendors.jobo.domain.autoapply.events import FIELDS_REQUESTED, sign, signature_header
from mock_server.vendors.jobo.domain.autoapply.fields import Field, snapshot_for, validate_snapshot, validate_value
from mock_server.vendors.jobo.domain.autoapply.forms import REFUNDED, default_forms, provider_of_url
from mock_server.vendors.jobo.domain.autoapply.profiles import ImportFile
from mock_server.vendors.jobo.domain.autoapply.quotas import Quotas
from mock_server.vendors.jobo.domain.catalogue import LifeRates
from mock_server.vendors.jobo.domain.errors import InsufficientCredits

START = 1_767_225_600.0
SANDBOX = "https://sandbox.jobo.world/apply/"
FIXED = {"queued": (2.0, 2.0), "discovery": (30.0, 30.0), "review": (10.0, 10.0)}


class Sim:
    """A world, its scheduler and the Auto Apply service, with the events it emitted."""

    def __init__(self, **overrides: object) -> None:
        self.clock = ManualClock(START)
        self.world = JoboWorld(
            self.clock,
            JoboSettings(jobs=400, companies=20, sandbox_jobs=40, sandbox_companies=3, rates=LifeRates(0, 0, 0)),
        )
        self.scheduler = Scheduler(self.clock)
        options = {"enabled": True, "durations": dict(FIXED)}
        options.update(overrides)
        self.events: list = []
        self.service = AutoApplyService(self.world, self.clock, self.scheduler, AutoApplySettings(**options), seed=1,
                                        emit=self.events.append)  # fmt: skip
        self.live = self.world.accounts[DEMO_LIVE_KEY]
        self.sandbox = self.world.accounts[DEMO_SANDBOX_KEY]
        self.keys = 0

    def create(self, target: str = "all-field-types", account=None, key: str | None = None):
        self.keys += 1
        account = account or self.sandbox
        body = {"apply_url": SANDBOX + target} if account.sandbox else {"job_id": target}
        app, _ = self.service.create(account, key or f"key-{self.keys}", body)
        return app

    def advance(self, seconds: float) -> None:
        self.scheduler.advance(seconds)

    def answer(self, app, account=None):
        step = app.current_step
        return self.service.submit_answers(
            account or self.sandbox,
            app.id,
            {"answers": snapshot_for(list(step.fields)), "correction_round": step.correction_round},
        )


def code_of(call) -> str:
    with pytest.raises(AutoApplyError) as info:
        call()
    return info.value.code


# ── the launch gate, permission, target rules ────────────────────────────────


def test_gate_closed_by_default_refuses_creates_and_charges_nothing() -> None:
    sim = Sim(enabled=False)
    balance = sim.live.wallet.balance
    error = pytest.raises(AutoApplyError, sim.service.create, sim.live, "k", {"job_id": sim.world.live.jobs[0].id})
    assert (error.value.kind, error.value.code) == ("unavailable", "auto_apply_coming_soon")
    assert sim.live.wallet.balance == balance and not sim.service.applications
    assert sim.service.list_applications(sim.live)["data"] == []  # reads still work


def test_keys_without_permission_are_refused_everywhere() -> None:
    sim = Sim()
    free = sim.world.accounts[DEMO_FREE_KEY]
    assert not free.auto_apply
    for call in (lambda: sim.service.list_applications(free), lambda: sim.service.create(free, "k", {}),
                 lambda: sim.service.list_profiles(free), lambda: sim.service.get(free, "x")):  # fmt: skip
        assert code_of(call) == "auto_apply_not_enabled"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "invalid_target"),
        ({"job_id": "a", "apply_url": "https://boards.greenhouse.io/x"}, "invalid_target"),
        ({"job_id": ""}, "invalid_target"),
        ({"apply_url": "ftp://x.example/apply"}, "invalid_target"),
        ({"apply_url": "https://careers.example.org/apply"}, "unsupported_ats"),
        ({"apply_url": SANDBOX + "all-field-types"}, "invalid_sandbox_target"),
        ({"job_id": "00000000-0000-0000-0000-000000000000"}, "job_not_found"),
    ],
)
def test_live_target_rules(body: dict, code: str) -> None:
    sim = Sim()
    assert code_of(lambda: sim.service.create(sim.live, "k", body)) == code
    assert not sim.service.applications and len(sim.service.idempotency) == 0  # a refusal binds no key


def test_sandbox_keys_target_sandbox_scenarios_only() -> None:
    sim = Sim()
    assert code_of(lambda: sim.service.create(sim.sandbox, "k", {"job_id": "x"})) == "sandbox_job_id_forbidden"
    for url in (
        "https://boards.greenhouse.io/acme/jobs/1",
        SANDBOX + "no-such-scenario",
        "https://sandbox.jobo.world/other/x",
    ):
        assert (
            code_of(lambda url=url: sim.service.create(sim.sandbox, "k", {"apply_url": url}))
            == "invalid_sandbox_target"
        )
    app = sim.create("multi-step")
    assert (app.provider_id, app.sandbox, app.charged) == ("jobosandbox", True, 0)
    job = next(j for j in sim.world.sandbox.jobs if j.active)  # a sandbox job's apply URL meets the standard form
    app2, _ = sim.service.create(sim.sandbox, "k-job", {"apply_url": SANDBOX + job.slug})
    assert app2.form.slug == "standard"


def test_providers_from_hosts() -> None:
    assert provider_of_url("https://boards.greenhouse.io/acme/jobs/1") == "greenhouse"
    assert provider_of_url("https://acme.wd5.myworkdayjobs.com/en-US/jobs/1") == "workday"
    assert provider_of_url("https://jobs.lever_co.example/acme/x/apply") == "lever_co"
    assert provider_of_url("https://example.org/") is None


def test_job_id_target_uses_the_jobs_source_and_apply_url() -> None:
    sim = Sim()
    job = next(j for j in sim.world.live.jobs if j.source == "greenhouse")
    app = sim.create(job.id, account=sim.live)
    assert (app.job_id, app.provider_id, app.provider_name) == (job.id, "greenhouse", "Greenhouse")
    assert app.apply_url.startswith("https://jobs.greenhouse.example/") and app.apply_url.endswith(f"{job.slug}/apply")
    unsupported = next(j for j in sim.world.live.jobs if j.source == "taleo")
    assert code_of(lambda: sim.create(unsupported.id, account=sim.live)) == "unsupported_ats"


# ── idempotency ──────────────────────────────────────────────────────────────


def test_same_key_same_body_reattaches_and_never_charges_twice() -> None:
    sim = Sim()
    job = sim.world.live.jobs[0].id if sim.world.live.jobs[0].source in ("greenhouse",) else next(
        j.id for j in sim.world.live.jobs if j.source == "greenhouse")  # fmt: skip
    before = sim.live.wallet.balance
    first, replayed1 = sim.service.create(sim.live, "same", {"job_id": job})
    again, replayed2 = sim.service.create(sim.live, "same", {"job_id": job})
    assert again is first and (replayed1, replayed2) == (False, True)
    assert before - sim.live.wallet.balance == 200_000  # 200 credits, once
    assert code_of(lambda: sim.service.create(sim.live, "same", {"job_id": job, "x": 1})) == "idempotency_key_reuse"
    assert code_of(lambda: sim.service.create(sim.live, None, {"job_id": job})) == "idempotency_key_required"
    assert code_of(lambda: sim.service.create(sim.live, "  ", {"job_id": job})) == "idempotency_key_required"


def test_key_binding_is_canonical_json_and_expires_after_24_simulated_hours() -> None:
    sim = Sim()
    first, _ = sim.service.create(sim.sandbox, "k", {"apply_url": SANDBOX + "multi-step", "meta": {"a": 1, "b": 2}})
    same, replayed = sim.service.create(
        sim.sandbox, "k", {"meta": {"b": 2, "a": 1}, "apply_url": SANDBOX + "multi-step"}
    )
    assert same is first and replayed
    sim.advance(24 * 3600)
    fresh, replayed = sim.service.create(
        sim.sandbox, "k", {"apply_url": SANDBOX + "multi-step", "meta": {"a": 1, "b": 2}}
    )
    assert fresh is not first and not replayed


def test_keys_are_per_api_key() -> None:
    sim = Sim()
    mine = sim.create("multi-step", key="shared")
    other = sim.world.add_account("jbe_test_Another", autoApply=True)
    theirs, replayed = sim.service.create(other, "shared", {"apply_url": SANDBOX + "multi-step"})
    assert theirs is not mine and not replayed
    assert code_of(lambda: sim.service.get(other, mine.id)) == "not_found"


# ── the life of an application ───────────────────────────────────────────────


def test_states_and_durations_on_the_clock() -> None:
    sim = Sim()
    app = sim.create("multi-step")
    assert app.status == "queued" and app.current_step is None
    sim.advance(1.9)
    assert app.status == "queued"
    sim.advance(0.1)
    assert app.status == "running"
    sim.advance(30)
    step = app.current_step
    assert app.status == "awaiting_answers" and step.sequence == 1 and step.correction_round == 0
    assert step.answers_expire_at == START + 32 + 300
    assert [e.type for e in sim.events] == [FIELDS_REQUESTED]
    sim.answer(app)
    assert app.status == "running" and app.current_step is None
    sim.advance(10)
    assert app.current_step.sequence == 2
    sim.answer(app)
    sim.advance(10)
    sim.answer(app)
    sim.advance(10)
    assert app.status == "submitted" and app.completed_at == START + 32 + 30
    assert [e.type for e in sim.events][-1] == "application.submitted"
    assert app.pending is None and sim.service.check_invariants() == []


def test_durations_are_seeded() -> None:
    runs = []
    for _ in range(2):
        sim = Sim(durations={"queued": (1.0, 5.0), "discovery": (10.0, 180.0), "review": (5.0, 30.0)})
        apps = [sim.create("multi-step") for _ in range(3)]
        sim.advance(200)
        runs.append([a.step.opened_at for a in apps])
    assert runs[0] == runs[1] and len(set(runs[0])) == 3


def test_ats_rejects_twice_then_accepts() -> None:
    sim = Sim()
    app = sim.create("ats-rejects-twice")
    sim.advance(32)
    for round_ in (0, 1, 2):
        assert app.current_step.correction_round == round_
        sim.answer(app)
        sim.advance(10)
        if round_ < 2:
            errors = app.current_step.command_errors
            assert errors == [{"field_id": "first_name", "item_index": None, "field_key": None, "code": "ats_rejected",
                               "message": "The employer's form rejected this value."}]  # fmt: skip
    assert app.status == "submitted"


def test_the_rejection_of_round_3_fails_correction_limit_exceeded() -> None:
    sim = Sim()
    app = sim.create("ats-rejects-always")
    sim.advance(32)
    for _ in range(4):
        sim.answer(app)
        sim.advance(10)
    assert app.status == "failed" and app.failure.code == "correction_limit_exceeded" and not app.failure.retryable


def test_stale_round_and_wrong_state() -> None:
    sim = Sim()
    app = sim.create("ats-rejects-twice")
    assert code_of(lambda: sim.service.submit_answers(sim.sandbox, app.id, {"answers": []})) == "invalid_state"
    sim.advance(32)
    fields = list(app.current_step.fields)
    stale = {"answers": snapshot_for(fields), "correction_round": 1}
    assert code_of(lambda: sim.service.submit_answers(sim.sandbox, app.id, stale)) == "stale_correction_round"
    sim.answer(app)
    again = {"answers": snapshot_for(fields), "correction_round": 0}
    assert code_of(lambda: sim.service.submit_answers(sim.sandbox, app.id, again)) == "invalid_state"  # once per round


def test_validation_failed_lists_every_problem_and_costs_nothing() -> None:
    sim = Sim()
    app = sim.create("all-field-types")
    sim.advance(32)
    step = app.current_step
    with pytest.raises(AutoApplyError) as info:
        sim.service.submit_answers(sim.sandbox, app.id, {"answers": [
            {"field_id": "full_name", "value": 42}, {"field_id": "full_name", "value": "Ada"},
            {"field_id": "nope", "value": "x"}, {"field_id": "salary", "value": -1},
        ]})  # fmt: skip
    error = info.value
    assert (error.kind, error.code) == ("invalid", "validation_failed")
    codes = {(e["field_id"], e["code"]) for e in error.errors}
    assert {("full_name", "duplicate_answer"), ("full_name", "invalid_type"), ("nope", "unknown_field"),
            ("salary", "minimum"), ("country", "required"), ("terms", "required")} <= codes  # fmt: skip
    assert app.status == "awaiting_answers" and app.current_step is step and step.correction_round == 0


FIELD_CASES = [
    ({"field_id": "t", "type": "text", "constraints": {"max_length": 3}}, "abcd", "max_length"),
    ({"field_id": "t", "type": "text", "constraints": {"min_length": 2}}, "a", "min_length"),
    ({"field_id": "t", "type": "text", "constraints": {"pattern": "^\\d+$"}}, "x1", "pattern"),
    ({"field_id": "t", "type": "textarea"}, "   ", "required"),
    ({"field_id": "t", "type": "rich_text"}, ["x"], "invalid_type"),
    ({"field_id": "n", "type": "number", "constraints": {"max": 10}}, 11, "maximum"),
    ({"field_id": "n", "type": "number"}, True, "invalid_type"),
    ({"field_id": "c", "type": "checkbox"}, "yes", "invalid_type"),
    ({"field_id": "g", "type": "toggle"}, 1, "invalid_type"),
    ({"field_id": "s", "type": "select", "options": ["a", "b"]}, "c", "invalid_option"),
    ({"field_id": "r", "type": "radio", "options": ["a"]}, 1, "invalid_type"),
    ({"field_id": "m", "type": "multi_select", "options": ["a", "b", "c"], "constraints": {"max_items": 1}}, ["a", "b"], "max_items"),
    ({"field_id": "m", "type": "multi_select", "options": ["a"]}, "a", "invalid_type"),
    ({"field_id": "d", "type": "date"}, "2026-02-30", "invalid_date"),
    ({"field_id": "y", "type": "typeahead", "options": ["london"]}, {"query": "lo"}, "invalid_typeahead"),
    ({"field_id": "y", "type": "typeahead", "options": ["london"]}, {"query": "pa", "selection": {"value": "paris", "label": "Paris"}}, "invalid_option"),
    ({"field_id": "f", "type": "file"}, {"url": "http://x.example/a.pdf", "filename": "a.pdf"}, "invalid_file"),
    ({"field_id": "f", "type": "file", "constraints": {"accepted_file_types": ["application/pdf"]}},
     {"url": "https://x.example/a.png", "filename": "a.png", "content_type": "image/png"}, "invalid_file_type"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "value", "code"), FIELD_CASES)
def test_every_field_type_validates_its_value(field: dict, value: object, code: str) -> None:
    problems = validate_value(Field.from_data(field), value)
    assert [p["code"] for p in problems] == [code]


def test_well_formed_snapshots_of_every_default_form_are_valid() -> None:
    for form in default_forms().values():
        for step in form.steps:
            assert validate_snapshot(list(step.fields), snapshot_for(list(step.fields))) == [], form.slug
    types = {f.type for f in default_forms()["all-field-types"].steps[0].fields}
    assert len(types) == 12


def test_answers_expire() -> None:
    sim = Sim()
    app = sim.create("multi-step")
    sim.advance(32 + 299)
    assert app.status == "awaiting_answers"
    sim.advance(1)
    assert app.status == "failed" and app.failure.code == "answers_timeout" and app.failure.retryable
    assert app.completed_at == START + 32 + 300


def test_one_time_code_window_is_60_seconds() -> None:
    sim = Sim()
    app = sim.create("one-time-code")
    sim.advance(32)
    sim.answer(app)
    sim.advance(10)
    step = app.current_step
    assert step.fields[0].format == "one_time_code" and step.answers_expire_at - step.opened_at == 60
    sim.advance(60)
    assert app.failure.code == "verification_timeout"


@pytest.mark.parametrize(
    "code", sorted(REFUNDED - {"job_unavailable"}) + ["submission_unconfirmed", "verification_timeout"]
)
def test_failure_forms_reach_every_documented_code(code: str) -> None:
    sim = Sim()
    app = sim.create(code.replace("_", "-"))
    sim.advance(32)
    if app.current_step is not None:  # a submit-stage failure: answer the form first
        sim.answer(app)
        sim.advance(10)
    assert app.status == "failed" and app.failure.code == code


def test_expired_job_fails_job_unavailable_and_is_refunded() -> None:
    sim = Sim()
    job = next(j for j in sim.world.live.jobs if j.source == "lever_co" and j.active)
    before = sim.live.wallet.balance
    app = sim.create(job.id, account=sim.live)
    assert sim.live.wallet.balance == before - 200_000
    sim.world.expire_job(job.id)
    sim.advance(32)
    assert app.failure.code == "job_unavailable"
    assert sim.live.wallet.balance == before and app.refunded == app.charged


def test_cancel_semantics_and_refunds() -> None:
    sim = Sim()
    job_ids = [j.id for j in sim.world.live.jobs if j.source == "greenhouse"][:3]
    start = sim.live.wallet.balance
    queued = sim.create(job_ids[0], account=sim.live)
    sim.service.cancel(sim.live, queued.id)
    assert queued.status == "canceled" and queued.refunded == 200_000  # nothing was done: refunded
    running = sim.create(job_ids[1], account=sim.live)
    sim.advance(3)
    sim.service.cancel(sim.live, running.id)
    assert running.status == "running" and running.cancel_requested  # stops at the next checkpoint
    sim.advance(30)
    assert running.status == "canceled" and running.refunded == 0
    waiting = sim.create(job_ids[2], account=sim.live)
    sim.advance(32)
    sim.service.cancel(sim.live, waiting.id)
    assert waiting.status == "canceled" and waiting.pending is None
    assert code_of(lambda: sim.service.cancel(sim.live, waiting.id)) == "not_cancelable"
    assert start - sim.live.wallet.balance == 400_000
    assert sim.service.check_invariants() == []


def test_insufficient_credits_after_every_other_check() -> None:
    sim = Sim()
    sim.live.wallet.set_balance(199_999)
    job = next(j.id for j in sim.world.live.jobs if j.source == "greenhouse")
    with pytest.raises(InsufficientCredits) as info:
        sim.create(job, account=sim.live)
    assert (info.value.required_milli, info.value.balance_milli) == (200_000, 199_999)
    assert not sim.service.applications


# ── quotas ────────────────────────────────────────────────────────────────────


def test_live_quota_is_5_per_rolling_24_hours() -> None:
    sim = Sim(quotas=Quotas(in_flight=100))
    jobs = [j.id for j in sim.world.live.jobs if j.source == "greenhouse"]
    for i in range(5):
        sim.create(jobs[i], account=sim.live)
        sim.advance(3600)
    with pytest.raises(AutoApplyError) as info:
        sim.create(jobs[5], account=sim.live)
    assert (info.value.kind, info.value.code, info.value.retry_after) == (
        "quota",
        "application_quota_exceeded",
        86400 - 5 * 3600,
    )
    sim.advance(86400 - 5 * 3600)
    sim.create(jobs[5], account=sim.live)


def test_in_flight_and_capacity_quotas() -> None:
    sim = Sim(quotas=Quotas(sandbox_per_hour=100, in_flight=2, capacity=100))
    sim.create("multi-step")
    sim.create("multi-step")
    error = pytest.raises(AutoApplyError, sim.create, "multi-step").value
    assert (error.code, error.retry_after) == ("application_quota_exceeded", 60)
    sim2 = Sim(quotas=Quotas(sandbox_per_hour=100, in_flight=100, capacity=1))
    sim2.create("multi-step")
    error = pytest.raises(AutoApplyError, sim2.create, "multi-step").value
    assert (error.kind, error.code, error.retry_after) == ("unavailable", "application_capacity_exceeded", 30)
    sim2.advance(32)  # awaiting answers is not queued or running: capacity frees
    sim2.create("multi-step")


# ── list ──────────────────────────────────────────────────────────────────────


def test_list_is_newest_first_with_a_cursor_bound_to_its_filter() -> None:
    sim = Sim(quotas=Quotas(sandbox_per_hour=100, in_flight=100))
    apps = [sim.create("multi-step") for _ in range(5)]
    page = sim.service.list_applications(sim.sandbox, limit=2)
    assert [a["id"] for a in page["data"]] == [apps[4].id, apps[3].id] and page["has_more"]
    rest = sim.service.list_applications(sim.sandbox, limit=10, cursor=page["next_cursor"])
    assert [a["id"] for a in rest["data"]] == [a.id for a in reversed(apps[:3])] and not rest["has_more"]
    assert rest["next_cursor"] is None
    assert (
        code_of(lambda: sim.service.list_applications(sim.sandbox, cursor=page["next_cursor"], status="queued"))
        == "invalid_cursor"
    )
    assert code_of(lambda: sim.service.list_applications(sim.sandbox, cursor="garbage")) == "invalid_cursor"
    assert code_of(lambda: sim.service.list_applications(sim.sandbox, status="done")) == "invalid_status"
    assert len(sim.service.list_applications(sim.sandbox, status="queued")["data"]) == 5


# ── callbacks ─────────────────────────────────────────────────────────────────


def step_event(sim: Sim):
    return next(e for e in reversed(sim.events) if e.type == FIELDS_REQUESTED)


def test_callback_commands_drive_the_application() -> None:
    sim = Sim()
    app = sim.create("multi-step")
    sim.advance(32)
    event = step_event(sim)
    body = event.payload()
    assert body["type"] == FIELDS_REQUESTED and body["step"]["id"] == app.current_step.id and body["attempt"] == 1
    assert event.payload_for_attempt(3)["attempt"] == 3
    import json

    command = {"action": "proceed", "answers": snapshot_for(list(app.current_step.fields))}
    assert sim.service.callback_result(event, 1, 200, json.dumps(command).encode(), False)
    assert app.status == "running"
    sim.advance(10)
    event = step_event(sim)
    bad = {"action": "proceed", "answers": []}  # validation errors start a correction round (no 400 to give)
    sim.service.callback_result(event, 1, 200, json.dumps(bad).encode(), False)
    assert app.current_step.correction_round == 1 and app.current_step.command_errors[0]["code"] == "required"
    event = step_event(sim)
    sim.service.callback_result(event, 1, 200, b'{"action": "cancel", "answers": []}', False)
    assert app.current_step.command_errors[0]["code"] == "answers_not_allowed"
    event = step_event(sim)
    sim.service.callback_result(event, 1, 200, b'{"action": "cancel"}', False)
    assert app.status == "canceled"


@pytest.mark.parametrize(
    ("status", "body", "last", "code"),
    [
        (500, b"", False, "callback_rejected"),
        (200, b"not json", False, "callback_invalid_json"),
        (200, b'{"action": "skip"}', False, "callback_invalid_command"),
        (None, None, True, "callback_unavailable"),
    ],
)
def test_callback_failures(status, body, last, code) -> None:
    sim = Sim()
    app = sim.create("multi-step")
    sim.advance(32)
    assert sim.service.callback_result(step_event(sim), 1, status, body, last)
    assert app.failure.code == code


def test_callback_transport_error_retries_and_empty_body_leaves_the_api() -> None:
    sim = Sim()
    app = sim.create("multi-step")
    sim.advance(32)
    event = step_event(sim)
    assert not sim.service.callback_result(event, 1, None, None, False)  # retry
    assert sim.service.callback_result(event, 2, 204, b"", False)  # no command
    assert app.status == "awaiting_answers"
    sim.answer(app)
    assert sim.service.callback_result(event, 3, 200, b'{"action":"cancel"}', False)  # stale: ignored
    assert app.status == "running"


def test_signature_scheme() -> None:
    secret = "whsec_test_secret_for_the_route_suite"
    expected = "v1=" + sign(secret, "evt_1", 1767225600, b"{}")
    assert signature_header([secret], "evt_1", 1767225600, b"{}") == expected
    import hashlib
    import hmac

    assert expected == "v1=" + hmac.new(secret.encode(), b"evt_1.1767225600.{}", hashlib.sha256).hexdigest()
    two = signature_header([secret, "whsec_old_secret_value"], "evt_1", 1767225600, b"{}")
    assert two.split(" ")[0] == expected and len(two.split(" ")) == 2


# ── profiles ──────────────────────────────────────────────────────────────────

CONTACT = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "contact.first_name"),
        ({"contact": {**CONTACT, "email": "nope"}}, "contact.email"),
        ({"contact": CONTACT, "name": "x" * 101}, "name"),
        ({"contact": CONTACT, "links": [{"url": "ftp://x"}]}, "links[0].url"),
        ({"contact": CONTACT, "links": [{"url": "https://x.example/" + "a" * 500}]}, "links[0].url"),
        ({"contact": CONTACT, "work_experience": [{"company": "A", "title": "B"}] * 51}, "work_experience"),
        ({"contact": CONTACT, "education": [{"school": "S"}] * 21}, "education"),
        ({"contact": CONTACT, "memories": ["m"] * 101}, "memories"),
        ({"contact": CONTACT, "memories": ["m" * 1001]}, "memories[0]"),
        ({"contact": CONTACT, "cover_letter_template": "c" * 10001}, "cover_letter_template"),
        ({"contact": CONTACT, "self_identification": {"gender": "Female"}}, "self_identification.gender"),
        ({"contact": CONTACT, "links": [{"type": "LinkedIn", "url": "https://x.example"}]}, "links[0].type"),
    ],
)
def test_profile_limits_name_the_field(body: dict, field: str) -> None:
    sim = Sim()
    with pytest.raises(AutoApplyError) as info:
        sim.service.create_profile(sim.live, body)
    assert info.value.kind == "invalid" and info.value.field == field and f"'{field}'" in info.value.message


def test_profile_patch_rules() -> None:
    sim = Sim()
    profile = sim.service.create_profile(
        sim.live, {"contact": CONTACT, "memories": ["a"], "cover_letter_template": "Dear"}
    )
    sim.service.patch_profile(sim.live, profile.id, {"memories": ["b", "c"], "education": [{"school": "UCL"}]})
    assert profile.section("memories") == ["b", "c"] and profile.section("education") == [{"school": "UCL"}]
    sim.service.patch_profile(sim.live, profile.id, {"memories": [], "location": {}, "cover_letter_template": ""})
    assert profile.section("memories") == [] and profile.section("cover_letter_template") is None
    with pytest.raises(AutoApplyError):
        sim.service.patch_profile(sim.live, profile.id, {"contact": {}})  # contact cannot be cleared
    assert code_of(lambda: sim.service.get_profile(sim.sandbox, profile.id)) == "not_found"  # another key's
    with pytest.raises(AutoApplyError) as info:
        sim.service.get_profile(sim.live, "f9e8d7c6-5432-1abc-def0-fedcba987654")
    assert info.value.message == "Profile 'f9e8d7c6-5432-1abc-def0-fedcba987654' not found."


def test_legacy_flat_body_maps_onto_sections() -> None:
    sim = Sim()
    profile = sim.service.create_profile(sim.live, {
        "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "linkedin_url": "https://linkedin.com/in/ada",
        "city": "London", "state": "England", "current_company": "Analytical Engines", "current_job_title": "Programmer",
        "custom_answers": {"Notice period?": "2 weeks"},
    })  # fmt: skip
    assert profile.section("contact")["first_name"] == "Ada"
    assert profile.section("links") == [{"type": "linkedin", "url": "https://linkedin.com/in/ada"}]
    assert profile.section("location") == {"city": "London", "region": "England"}
    assert profile.section("work_experience")[0]["company"] == "Analytical Engines"
    assert profile.section("memories") == ["Notice period?: 2 weeks"]
    sim.service.replace_profile(
        sim.live, profile.id, {"first_name": "Grace", "last_name": "Hopper", "email": "g@navy.mil"}
    )
    assert profile.section("contact")["first_name"] == "Grace" and profile.section("links") == []


def test_import_on_the_clock() -> None:
    sim = Sim()
    ok = sim.service.import_profile(
        sim.live, ImportFile("cv.md", "text/markdown", b"# Ada Lovelace\nada@example.com\n")
    )
    bad = sim.service.import_profile(sim.live, ImportFile("cv.pdf", "application/pdf", b"not a pdf"))
    assert ok.status == bad.status == "importing"
    assert code_of(lambda: sim.service.patch_profile(sim.live, ok.id, {"memories": []})) == "profile_importing"
    sim.advance(20)
    assert ok.status == "ready" and ok.section("contact")["email"] == "ada@example.com"
    assert bad.status == "import_failed" and "PDF" in bad.import_error
    sim.service.patch_profile(sim.live, bad.id, {"contact": CONTACT})
    assert bad.status == "ready" and bad.import_error is None
    assert (
        code_of(lambda: sim.service.import_profile(sim.live, ImportFile("cv.exe", None, b"x")))
        == "unsupported_file_type"
    )
    big = ImportFile("cv.txt", "text/plain", b"x" * (10 * 1024 * 1024 + 1))
    assert code_of(lambda: sim.service.import_profile(sim.live, big)) == "file_too_large"


def test_legacy_run_answers_from_the_profile() -> None:
    sim = Sim()
    profile = sim.service.create_profile(sim.sandbox, {"contact": CONTACT, "memories": ["I like engines."]})
    app = sim.service.run(sim.sandbox, profile.id, SANDBOX + "multi-step")
    sim.advance(32 + 3 * 10)
    assert app.status == "submitted" and app.steps_done == 3 and app.fields_filled > 5
    assert not [e for e in sim.events if e.type == FIELDS_REQUESTED]  # nothing to ask the client


# ── invariants over any sequence ─────────────────────────────────────────────

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(["multi-step", "ats-rejects-twice", "ats-rejects-always", "captcha-required",
                                                      "one-time-code", "submission-unconfirmed", "job"]), st.integers(0, 3)),
        st.tuples(st.just("answer"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("cancel"), st.integers(0, 9), st.just(False)),
        st.tuples(st.just("advance"), st.sampled_from([0.5, 2, 10, 30, 120, 400]), st.just(False)),
    ),
    max_size=40,
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(ACTIONS)
def test_no_sequence_double_charges_or_strands_an_application(actions) -> None:
    sim = Sim(quotas=Quotas(live_per_day=1000, in_flight=1000))
    jobs = [j.id for j in sim.world.live.jobs if j.source == "greenhouse"]
    granted = sim.live.wallet.granted
    for kind, a, b in actions:
        try:
            if kind == "create":
                if a == "job":
                    sim.service.create(sim.live, f"k{b}", {"job_id": jobs[b]})
                else:
                    sim.service.create(sim.sandbox, f"s{b}-{a}", {"apply_url": SANDBOX + a})
            elif kind in ("answer", "cancel") and sim.service.applications:
                app = list(sim.service.applications.values())[a % len(sim.service.applications)]
                account = sim.live if not app.sandbox else sim.sandbox
                if kind == "cancel":
                    sim.service.cancel(account, app.id)
                elif app.current_step is not None:
                    answers = snapshot_for(list(app.current_step.fields)) if b else []
                    sim.service.submit_answers(account, app.id, {"answers": answers})
            elif kind == "advance":
                sim.advance(a)
        except AutoApplyError:
            pass
        assert sim.service.check_invariants() == []
    live_apps = [a for a in sim.service.applications.values() if not a.sandbox]
    charged = sum(a.charged for a in live_apps)
    refunded = sum(a.refunded for a in live_apps)
    assert charged == 200_000 * len(live_apps)  # one charge per application, whatever the replays
    assert sim.live.wallet.spent == charged - refunded and sim.live.wallet.balance + sim.live.wallet.spent == granted
    for app in live_apps:
        should = app.status == "failed" and app.failure.code in REFUNDED
        if app.refunded:
            assert should or (app.status == "canceled" and app.steps_done == 0 and app.step is None)
        elif should:
            raise AssertionError(f"{app.id} failed {app.failure.code} without its refund")
    sim.advance(10 * 86400)  # given time, everything ends
    assert all(a.terminal for a in sim.service.applications.values())
