"""What happens on the employer's side: application *forms*, the providers (ATS) and targets.

A :class:`Form` is the simulated employer form an application meets: its steps (each a list of
:class:`~.fields.Field`), how many answer snapshots the ATS rejects per step, and an optional
failure (a documented code at a stage). The default world has a form per documented failure
code; the forms marked ``sandbox`` are the sandbox scenarios (``/apply/<slug>``). A world file
adds or replaces forms and maps targets to them (decision J33).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .fields import Field

SANDBOX_HOST = "sandbox.jobo.world"
SANDBOX_PREFIX = f"https://{SANDBOX_HOST}/apply/"
SANDBOX_PROVIDER = ("jobosandbox", "Jobo Sandbox")

# Providers Auto Apply supports (id -> display name); the mock's own job URLs are jobs.<source>.example.
PROVIDERS: dict[str, str] = {
    "greenhouse": "Greenhouse",
    "lever_co": "Lever",
    "ashby": "Ashby",
    "workday": "Workday",
    "smartrecruiters": "SmartRecruiters",
    "workable": "Workable",
    "bamboohr": "BambooHR",
    "icims": "iCIMS",
    "jobosandbox": "Jobo Sandbox",
}
# Public ATS hosts (exact host, or a glob) -> provider id.
HOSTS: tuple[tuple[str, str], ...] = (
    ("boards.greenhouse.io", "greenhouse"),
    ("job-boards.greenhouse.io", "greenhouse"),
    ("jobs.lever.co", "lever_co"),
    ("jobs.ashbyhq.com", "ashby"),
    ("*.myworkdayjobs.com", "workday"),
    ("jobs.smartrecruiters.com", "smartrecruiters"),
    ("apply.workable.com", "workable"),
    ("*.bamboohr.com", "bamboohr"),
    ("*.icims.com", "icims"),
)

FAILURE_CODES = (
    "answers_timeout", "verification_timeout", "correction_limit_exceeded", "field_discovery_failed",
    "job_unavailable", "unsupported_field", "login_required", "captcha_required", "agent_unavailable",
    "queue_timeout", "execution_timeout", "submission_unconfirmed", "callback_rejected", "callback_unavailable",
    "callback_invalid_json", "callback_invalid_command",
)  # fmt: skip
FAILURE_MESSAGES = {
    "answers_timeout": "No answers arrived before answers_expire_at.",
    "verification_timeout": "The verification code did not arrive in time.",
    "correction_limit_exceeded": "The employer's form rejected the answers 3 times.",
    "field_discovery_failed": "The application form could not be read.",
    "job_unavailable": "The job posting is gone or no longer accepts applications.",
    "unsupported_field": "The form contains a field type Auto Apply cannot fill.",
    "login_required": "The form requires an authenticated session.",
    "captcha_required": "The form is protected by a CAPTCHA.",
    "agent_unavailable": "No browser agent was available.",
    "queue_timeout": "The application waited too long for a browser agent.",
    "execution_timeout": "The browser run exceeded its time budget.",
    "submission_unconfirmed": "The submission could not be confirmed; the form may have been submitted.",
    "callback_rejected": "The callback URL answered with a non-2xx status.",
    "callback_unavailable": "The callback URL could not be reached within the callback window.",
    "callback_invalid_json": "The callback response was not valid JSON.",
    "callback_invalid_command": "The callback response was not a proceed or cancel command.",
}
RETRYABLE = frozenset(
    {"agent_unavailable", "queue_timeout", "execution_timeout", "answers_timeout", "callback_unavailable"}
)
# Failures on Jobo's side before anything was submitted: the application's credits are refunded (J31).
REFUNDED = frozenset({
    "agent_unavailable", "queue_timeout", "execution_timeout", "field_discovery_failed",
    "unsupported_field", "job_unavailable", "login_required", "captcha_required",
})  # fmt: skip
# Where a failure happens: queue (before running), discovery (instead of the first step),
# submit (after the last accepted snapshot). A world may also fail after step N: "step:N".
STAGES = ("queue", "discovery", "submit")
DEFAULT_STAGE = {
    "agent_unavailable": "queue", "queue_timeout": "queue", "submission_unconfirmed": "submit",
    "verification_timeout": "submit",
}  # fmt: skip


@dataclass(frozen=True)
class FormStep:
    fields: tuple[Field, ...]
    rejections: int = 0  # answer snapshots of this step the ATS rejects before it accepts one


@dataclass(frozen=True)
class Failure:
    code: str
    stage: str = "discovery"
    message: str | None = None


@dataclass(frozen=True)
class Form:
    slug: str
    name: str
    description: str
    steps: tuple[FormStep, ...]
    sandbox: bool = False
    failure: Failure | None = None
    durations: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # overrides of the world's


def _f(field_id: str, type_: str, label: str, **extra: Any) -> Field:
    return Field.from_data({"field_id": field_id, "type": type_, "label": label, **extra})


CONTACT = (
    _f("first_name", "text", "First name", constraints={"max_length": 100}),
    _f("last_name", "text", "Last name", constraints={"max_length": 100}),
    _f("email", "text", "Email", format="email", constraints={"max_length": 254, "pattern": r"^[^@\s]+@[^@\s]+$"}),
    _f("phone", "text", "Phone", format="phone", required=False, constraints={"max_length": 40}),
    _f("resume", "file", "Resume", constraints={"accepted_file_types": ["application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"], "max_file_size_bytes": 10485760}),
)  # fmt: skip
QUESTIONS = (
    _f("years_experience", "number", "Years of professional experience", constraints={"min": 0, "max": 60}),
    _f("work_authorization", "radio", "Are you authorized to work in the job's country?", options=["yes", "no"]),
    _f("why_us", "textarea", "Why do you want to work here?", constraints={"max_length": 2000}),
)
ALL_TYPES = (
    _f("full_name", "text", "Full name", constraints={"min_length": 2, "max_length": 100}),
    _f("cover_letter", "textarea", "Cover letter", required=False, constraints={"max_length": 5000}),
    _f("country", "select", "Country", options=[{"value": "gb", "label": "United Kingdom"}, {"value": "us", "label": "United States"}, {"value": "fr", "label": "France"}]),
    _f("languages", "multi_select", "Languages", options=["english", "french", "german"], constraints={"min_items": 1, "max_items": 2}),
    _f("work_model", "radio", "Preferred work model", options=["remote", "hybrid", "onsite"]),
    _f("terms", "checkbox", "I accept the privacy notice"),
    _f("resume", "file", "Resume", constraints={"accepted_file_types": ["application/pdf"], "max_file_size_bytes": 10485760}),
    _f("start_date", "date", "Earliest start date"),
    _f("salary", "number", "Expected yearly salary (USD)", constraints={"min": 0, "max": 1000000}),
    _f("city", "typeahead", "City", options=[{"value": "london", "label": "London"}, {"value": "paris", "label": "Paris"}]),
    _f("relocate", "toggle", "Willing to relocate", required=False),
    _f("summary", "rich_text", "Professional summary", constraints={"max_length": 3000}),
)  # fmt: skip
EEO = (
    _f("gender", "select", "Gender", required=False, options=["male", "female", "non_binary", "decline_to_state"]),
    _f("consent", "checkbox", "I confirm the information is accurate"),
)
OTP = (
    _f(
        "verification_code",
        "text",
        "Verification code sent to your email",
        format="one_time_code",
        constraints={"pattern": r"^\d{6}$"},
    ),
)


def _form(slug: str, name: str, description: str, steps: tuple[tuple[Field, ...], ...], **extra: Any) -> Form:
    rejections = extra.pop("rejections", 0)
    built = tuple(FormStep(fields, rejections if i == 0 else 0) for i, fields in enumerate(steps))
    return Form(slug, name, description, built, **extra)


def _failing(code: str) -> Form:
    stage = DEFAULT_STAGE.get(code, "discovery")
    steps: tuple[tuple[Field, ...], ...] = (CONTACT,) if stage == "submit" else ()
    slug = code.replace("_", "-")
    return _form(slug, code.replace("_", " ").capitalize(), f"Fails with {code} ({stage}).", steps or (CONTACT,),
                 sandbox=True, failure=Failure(code, stage))  # fmt: skip


def default_forms() -> dict[str, Form]:
    """The default world's forms: a standard live form and the sandbox scenarios."""
    forms = [
        _form("standard", "Standard application", "Contact details, then three questions.", (CONTACT, QUESTIONS)),
        _form("all-field-types", "All field types", "One step with a field of each of the twelve types.", (ALL_TYPES,), sandbox=True),
        _form("multi-step", "Multi-step", "Contact, questions, then self-identification and consent.", (CONTACT, QUESTIONS, EEO), sandbox=True),
        _form("ats-rejects-twice", "ATS rejects twice", "The employer's form rejects the first two snapshots, then accepts.", (CONTACT,), sandbox=True, rejections=2),
        _form("ats-rejects-always", "ATS rejects always", "Every snapshot is rejected: correction_limit_exceeded after round 3.", (CONTACT,), sandbox=True, rejections=4),
        _form("one-time-code", "One-time code", "Contact, then an emailed 6-digit code (answer window 60 s).", (CONTACT, OTP), sandbox=True),
        _form("slow-discovery", "Slow discovery", "The form takes 6 minutes to open: creates answer 202.", (CONTACT,), sandbox=True, durations={"discovery": (360.0, 360.0)}),
    ]  # fmt: skip
    forms += [_failing(code) for code in (
        "captcha_required", "login_required", "job_unavailable", "field_discovery_failed", "unsupported_field",
        "agent_unavailable", "queue_timeout", "execution_timeout", "submission_unconfirmed", "verification_timeout",
    )]  # fmt: skip
    return {f.slug: f for f in forms}


def form_from_data(data: Mapping[str, Any]) -> Form:
    """A form from a world file's ``autoApply.forms`` entry (validated by the world schema)."""
    steps = tuple(
        FormStep(tuple(Field.from_data(f) for f in step.get("fields", ())), int(step.get("rejections", 0)))
        for step in data.get("steps", ())
    )
    failure = None
    if data.get("failure"):
        raw = data["failure"]
        code = raw["code"]
        failure = Failure(code, raw.get("stage", DEFAULT_STAGE.get(code, "discovery")), raw.get("message"))
    durations = {k: (float(v[0]), float(v[1])) for k, v in (data.get("durations") or {}).items()}
    return Form(
        slug=data["slug"],
        name=data.get("name", data["slug"]),
        description=data.get("description", ""),
        steps=steps,
        sandbox=bool(data.get("sandbox", False)),
        failure=failure,
        durations=durations,
    )


def provider_of_url(url: str) -> str | None:
    """The provider id of a public apply URL's host (None: no supported provider)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    for pattern, provider in HOSTS:
        if fnmatch.fnmatchcase(host, pattern):
            return provider
    parts = host.split(".")
    if len(parts) == 3 and parts[0] == "jobs" and parts[2] == "example":  # the mock's own job URLs
        return parts[1]
    return None


def is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def sandbox_slug(url: str) -> str | None:
    """``<slug>`` of ``https://sandbox.jobo.world/apply/<slug>`` (None for any other URL)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or (parts.hostname or "").lower() != SANDBOX_HOST:
        return None
    path = parts.path.rstrip("/")
    if not path.startswith("/apply/") or path.count("/") != 2:
        return None
    return path[len("/apply/") :] or None


@dataclass(frozen=True)
class TargetRule:
    """A world's mapping of targets to a form: ``jobId`` exact, or ``applyUrl`` glob."""

    form: str
    job_id: str | None = None
    apply_url: str | None = None

    def matches(self, job_id: str | None, apply_url: str) -> bool:
        if self.job_id is not None:
            return job_id == self.job_id
        return self.apply_url is not None and fnmatch.fnmatchcase(apply_url, self.apply_url)
