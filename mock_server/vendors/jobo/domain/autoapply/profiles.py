"""Auto Apply profiles: the sectioned shape, every documented limit, both editions' updates, import.

Decision J35. A profile belongs to one API key; another key's profile is "not found" (seed
004's ``Profile '<id>' not found.``). Every limit is checked here with a message naming the
field, whatever the HTTP layer already checked, so in-process users get the same answers.
An import is an event on the scheduler: the profile is ``importing`` until it becomes
``ready`` or ``import_failed``.
"""

from __future__ import annotations

import copy
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Protocol

from . import errors

LIMITS = {"name": 100, "links.url": 500, "work_experience": 50, "education": 20, "memories": 100,
          "memories.item": 1000, "cover_letter_template": 10000, "links": 50}  # fmt: skip
MAX_IMPORT_BYTES = 10 * 1024 * 1024
IMPORT_TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".txt": "text/plain",
    ".rtf": "application/rtf",
    ".md": "text/markdown",
}
SECTIONS = ("contact", "location", "links", "work_experience", "education", "eligibility", "preferences",
            "self_identification", "memories", "cover_letter_template")  # fmt: skip
LIST_SECTIONS = ("links", "work_experience", "education", "memories")
OBJECT_SECTIONS = ("location", "eligibility", "preferences", "self_identification")
LINK_TYPES = ("linkedin", "github", "portfolio", "website", "other")
ENUMS = {
    "eligibility.work_authorization": ("citizen", "permanent_resident", "work_visa", "student_visa", "needs_sponsorship", "other"),
    "preferences.desired_salary.period": ("hourly", "daily", "weekly", "monthly", "yearly"),
    "preferences.work_models[]": ("remote", "hybrid", "onsite"),
    "self_identification.gender": ("male", "female", "non_binary", "decline_to_state"),
    "self_identification.ethnicity": ("american_indian_or_alaska_native", "asian", "black_or_african_american",
                                      "hispanic_or_latino", "native_hawaiian_or_pacific_islander", "white",
                                      "two_or_more_races", "decline_to_state"),
    "self_identification.veteran_status": ("veteran", "not_veteran", "decline_to_state"),
    "self_identification.disability_status": ("yes", "no", "decline_to_state"),
}  # fmt: skip
# The spec's patterns, written so Python's re and the ECMA/Rust engines of JSON Schema agree (no \s, no \d).
_URL = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://[^ \t\n\r\f\v/?#]+[^ \t\n\r\f\v]*$")
_EMAIL = re.compile(r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+$")
_PARTIAL_DATE = re.compile(r"^[0-9]{4}(-(0[1-9]|1[0-2]))?(-(0[1-9]|[12][0-9]|3[01]))?$")
_DATE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class Scheduler(Protocol):
    def after(self, delay: float, callback: Callable[[], None], label: str = "") -> Any: ...


def _bad(field_name: str, message: str) -> errors.AutoApplyError:
    return errors.invalid("invalid_parameter", f"Field '{field_name}' {message}", field_name)


# ── validation, section by section ──────────────────────────────────────────


def _text(value: Any, name: str, limit: int, *, required: bool = False, nullable: bool = True) -> str | None:
    if value is None:
        if required or not nullable:
            raise _bad(name, "is required." if required else "must be a string.")
        return None
    if not isinstance(value, str):
        raise _bad(name, "must be a string.")
    if required and not value:
        raise _bad(name, "must not be empty.")
    if len(value) > limit:
        raise _bad(name, f"must be at most {limit} characters.")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(name, "must be an object.")
    return value


def _array(value: Any, name: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(name, "must be an array.")
    if len(value) > limit:
        raise _bad(name, f"must have at most {limit} items.")
    return value


def _enum(value: Any, name: str, key: str) -> str:
    allowed = ENUMS[key]
    if value not in allowed:
        raise _bad(name, f"must be one of {', '.join(allowed)}.")
    return value


def _pattern(value: Any, name: str, pattern: re.Pattern[str], what: str, limit: int = 200) -> str:
    if not isinstance(value, str) or len(value) > limit or not pattern.match(value):
        raise _bad(name, f"must be {what}.")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(name, "must be true or false.")
    return value


def _contact(value: Any) -> dict[str, Any]:
    data = _object(value, "contact")
    out: dict[str, Any] = {}
    for key in ("first_name", "last_name"):
        out[key] = _text(data.get(key), f"contact.{key}", 100, required=True)
    email = data.get("email")
    if email is None:
        raise _bad("contact.email", "is required.")
    out["email"] = _pattern(email, "contact.email", _EMAIL, "an email address", 254)
    out["preferred_name"] = _text(data.get("preferred_name"), "contact.preferred_name", 100)
    out["phone"] = _text(data.get("phone"), "contact.phone", 40)
    dob = data.get("date_of_birth")
    out["date_of_birth"] = None if dob is None else _pattern(dob, "contact.date_of_birth", _DATE, "a date (YYYY-MM-DD)")
    return out


def _location(value: Any) -> dict[str, Any]:
    data = _object(value, "location")
    out: dict[str, Any] = {}
    for key, limit in (("address_line1", 200), ("address_line2", 200), ("city", 200), ("region", 200),
                       ("postal_code", 20), ("country", 200)):  # fmt: skip
        if key in data:
            out[key] = _text(data[key], f"location.{key}", limit, nullable=False)
    return out


def _links(value: Any) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(_array(value, "links", LIMITS["links"])):
        item = _object(item, f"links[{i}]")
        url = item.get("url")
        if url is None:
            raise _bad(f"links[{i}].url", "is required.")
        _pattern(url, f"links[{i}].url", _URL, "an absolute http(s) URL of at most 500 characters", LIMITS["links.url"])
        kind = item.get("type", "other")
        if kind not in LINK_TYPES:
            raise _bad(f"links[{i}].type", f"must be one of {', '.join(LINK_TYPES)}.")
        out.append({"type": kind, "url": url})
    return out


def _dated(item: dict[str, Any], name: str, out: dict[str, Any]) -> None:
    if "start_date" in item:
        out["start_date"] = _pattern(
            item["start_date"], f"{name}.start_date", _PARTIAL_DATE, "YYYY, YYYY-MM or YYYY-MM-DD"
        )
    if "end_date" in item:
        end = item["end_date"]
        out["end_date"] = (
            None if end is None else _pattern(end, f"{name}.end_date", _PARTIAL_DATE, "YYYY, YYYY-MM or YYYY-MM-DD")
        )


def _work(value: Any) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(_array(value, "work_experience", LIMITS["work_experience"])):
        name = f"work_experience[{i}]"
        item = _object(item, name)
        entry: dict[str, Any] = {
            "company": _text(item.get("company"), f"{name}.company", 200, required=True),
            "title": _text(item.get("title"), f"{name}.title", 200, required=True),
        }
        if "location" in item:
            entry["location"] = _text(item["location"], f"{name}.location", 200, nullable=False)
        _dated(item, name, entry)
        if "is_current" in item:
            entry["is_current"] = _bool(item["is_current"], f"{name}.is_current")
        if "description" in item:
            entry["description"] = _text(item["description"], f"{name}.description", 5000, nullable=False)
        out.append(entry)
    return out


def _education(value: Any) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(_array(value, "education", LIMITS["education"])):
        name = f"education[{i}]"
        item = _object(item, name)
        entry: dict[str, Any] = {"school": _text(item.get("school"), f"{name}.school", 200, required=True)}
        for key, limit in (("degree", 200), ("field_of_study", 200), ("grade", 50)):
            if key in item:
                entry[key] = _text(item[key], f"{name}.{key}", limit, nullable=False)
        _dated(item, name, entry)
        out.append(entry)
    return out


def _eligibility(value: Any) -> dict[str, Any]:
    data = _object(value, "eligibility")
    out: dict[str, Any] = {}
    if "work_authorization" in data:
        out["work_authorization"] = _enum(
            data["work_authorization"], "eligibility.work_authorization", "eligibility.work_authorization"
        )
    for key in ("requires_sponsorship", "willing_to_relocate"):
        if key in data:
            out[key] = _bool(data[key], f"eligibility.{key}")
    if "authorized_countries" in data:
        countries = _array(data["authorized_countries"], "eligibility.authorized_countries", 50)
        out["authorized_countries"] = [
            _text(c, f"eligibility.authorized_countries[{i}]", 100, nullable=False) for i, c in enumerate(countries)
        ]
    return out


def _preferences(value: Any) -> dict[str, Any]:
    data = _object(value, "preferences")
    out: dict[str, Any] = {}
    if "desired_salary" in data:
        salary = _object(data["desired_salary"], "preferences.desired_salary")
        entry: dict[str, Any] = {}
        if "amount" in salary:
            amount = salary["amount"]
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0:
                raise _bad("preferences.desired_salary.amount", "must be a number >= 0.")
            entry["amount"] = amount
        if "currency" in salary:
            entry["currency"] = _pattern(
                salary["currency"], "preferences.desired_salary.currency", _CURRENCY, "an ISO 4217 code (e.g. USD)"
            )
        if "period" in salary:
            entry["period"] = _enum(
                salary["period"], "preferences.desired_salary.period", "preferences.desired_salary.period"
            )
        out["desired_salary"] = entry
    if "available_start_date" in data:
        out["available_start_date"] = _pattern(
            data["available_start_date"], "preferences.available_start_date", _DATE, "a date (YYYY-MM-DD)"
        )
    if "work_models" in data:
        models = _array(data["work_models"], "preferences.work_models", 3)
        out["work_models"] = [
            _enum(m, f"preferences.work_models[{i}]", "preferences.work_models[]") for i, m in enumerate(models)
        ]
    if "notice_period_weeks" in data:
        weeks = data["notice_period_weeks"]
        if isinstance(weeks, float) and weeks.is_integer():  # JSON Schema's integer includes 5.0
            weeks = int(weeks)
        if isinstance(weeks, bool) or not isinstance(weeks, int) or not 0 <= weeks <= 52:
            raise _bad("preferences.notice_period_weeks", "must be an integer between 0 and 52.")
        out["notice_period_weeks"] = weeks
    return out


def _self_identification(value: Any) -> dict[str, Any]:
    data = _object(value, "self_identification")
    out: dict[str, Any] = {}
    for key in ("gender", "ethnicity", "veteran_status", "disability_status"):
        if key in data:
            out[key] = _enum(data[key], f"self_identification.{key}", f"self_identification.{key}")
    return out


def _memories(value: Any) -> list[str]:
    items = _array(value, "memories", LIMITS["memories"])
    return [str(_text(m, f"memories[{i}]", LIMITS["memories.item"], nullable=False)) for i, m in enumerate(items)]


def _cover_letter(value: Any) -> str | None:
    text = _text(value, "cover_letter_template", LIMITS["cover_letter_template"])
    return text or None  # "" clears


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "contact": _contact,
    "location": _location,
    "links": _links,
    "work_experience": _work,
    "education": _education,
    "eligibility": _eligibility,
    "preferences": _preferences,
    "self_identification": _self_identification,
    "memories": _memories,
    "cover_letter_template": _cover_letter,
}


def _name(value: Any) -> str:
    return str(_text(value, "name", LIMITS["name"], required=True))


def validate_sections(body: dict[str, Any], *, require_contact: bool) -> dict[str, Any]:
    """The sections (and ``name``) present in ``body``, validated and normalised."""
    out: dict[str, Any] = {}
    if "name" in body:
        out["name"] = _name(body["name"])
    for key in SECTIONS:
        if key in body:
            out[key] = VALIDATORS[key](body[key])
    if require_contact and "contact" not in out:
        raise _bad("contact.first_name", "is required.")
    return out


# ── the older edition's flat body ───────────────────────────────────────────

LEGACY_TEXT = {"phone": 40, "address_line1": 200, "address_line2": 200, "city": 200, "state": 200, "zip_code": 20,
               "country": 200, "resume_text": 1000, "work_authorization": 200, "current_job_title": 200,
               "current_company": 200, "university": 200, "highest_degree": 200, "field_of_study": 200,
               "graduation_year": 20}  # fmt: skip


def from_legacy(body: dict[str, Any]) -> dict[str, Any]:
    """The older edition's flat profile mapped onto the sections (then validated like a new one)."""
    for key, limit in LEGACY_TEXT.items():
        _text(body.get(key), key, limit)
    sections: dict[str, Any] = {
        "contact": {
            "first_name": body.get("first_name"),
            "last_name": body.get("last_name"),
            "email": body.get("email"),
            "phone": body.get("phone") or None,
        }
    }
    if "name" in body:
        sections["name"] = body["name"]
    location = {
        "address_line1": body.get("address_line1"), "address_line2": body.get("address_line2"),
        "city": body.get("city"), "region": body.get("state"), "postal_code": body.get("zip_code"),
        "country": body.get("country"),
    }  # fmt: skip
    sections["location"] = {k: v for k, v in location.items() if v}
    links = []
    for key, kind in (("linkedin_url", "linkedin"), ("website_url", "website"), ("portfolio_url", "portfolio")):
        if body.get(key):
            links.append({"type": kind, "url": body[key]})
    sections["links"] = links
    if body.get("current_company") and body.get("current_job_title"):
        sections["work_experience"] = [
            {"company": body["current_company"], "title": body["current_job_title"], "is_current": True}
        ]
    else:
        sections["work_experience"] = []
    if body.get("university"):
        entry = {"school": body["university"]}
        entry.update({k: body[k] for k in ("field_of_study",) if body.get(k)})
        if body.get("highest_degree"):
            entry["degree"] = body["highest_degree"]
        if isinstance(body.get("graduation_year"), str) and re.match(r"^\d{4}$", body["graduation_year"]):
            entry["end_date"] = body["graduation_year"]
        sections["education"] = [entry]
    else:
        sections["education"] = []
    eligibility: dict[str, Any] = {}
    if isinstance(body.get("requires_sponsorship"), bool):
        eligibility["requires_sponsorship"] = body["requires_sponsorship"]
    sections["eligibility"] = eligibility
    memories = []
    if body.get("work_authorization"):
        memories.append(f"Work authorization: {body['work_authorization']}")
    if body.get("resume_text"):
        memories.append(body["resume_text"])
    custom = body.get("custom_answers") or {}
    if not isinstance(custom, dict):
        raise _bad("custom_answers", "must be an object of question -> answer.")
    for question, answer in custom.items():
        memories.append(f"{question}: {answer}"[: LIMITS["memories.item"]])
    sections["memories"] = memories
    if "cover_letter_template" in body:
        sections["cover_letter_template"] = body["cover_letter_template"] or ""
    return sections


def is_legacy_body(body: dict[str, Any]) -> bool:
    return "contact" not in body and any(k in body for k in ("first_name", "last_name", "email"))


# ── the store ───────────────────────────────────────────────────────────────


@dataclass
class Profile:
    id: str
    api_key: str
    name: str
    created_at: float
    updated_at: float
    status: str = "ready"  # ready | importing | import_failed
    import_error: str | None = None
    sections: dict[str, Any] = field(default_factory=dict)
    resume: dict[str, Any] | None = None

    def section(self, key: str) -> Any:
        if key in self.sections:
            return self.sections[key]
        if key in LIST_SECTIONS:
            return []
        if key in OBJECT_SECTIONS:
            return {}
        return None


@dataclass
class ImportFile:
    filename: str
    content_type: str | None
    data: bytes


class ProfileStore:
    """Every key's profiles, in creation order."""

    def __init__(
        self, clock: Any, scheduler: Scheduler, new_id: Callable[[], str], import_seconds: Callable[[], float]
    ) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.new_id = new_id
        self.import_seconds = import_seconds
        self.profiles: dict[str, Profile] = {}

    def _get(self, api_key: str, profile_id: str) -> Profile:
        profile = self.profiles.get(profile_id)
        if profile is None or profile.api_key != api_key:
            raise errors.not_found("Profile", profile_id)
        return profile

    def list(self, api_key: str) -> list[Profile]:
        return [p for p in self.profiles.values() if p.api_key == api_key]

    def get(self, api_key: str, profile_id: str) -> Profile:
        return self._get(api_key, profile_id)

    def create(self, api_key: str, body: dict[str, Any]) -> Profile:
        if not isinstance(body, dict):
            raise errors.invalid("invalid_parameter", "The body must be a JSON object.")
        source = from_legacy(body) if is_legacy_body(body) else body
        sections = validate_sections(source, require_contact=True)
        name = sections.pop("name", "Default")
        now = self.clock.now()
        profile = Profile(self.new_id(), api_key, name, now, now, sections=sections)
        if profile.sections.get("cover_letter_template") is None:
            profile.sections.pop("cover_letter_template", None)
        self.profiles[profile.id] = profile
        return profile

    def patch(self, api_key: str, profile_id: str, body: dict[str, Any]) -> Profile:
        profile = self._get(api_key, profile_id)
        if not isinstance(body, dict):
            raise errors.invalid("invalid_parameter", "The body must be a JSON object.")
        if profile.status == "importing":
            raise errors.conflict(
                "profile_importing", f"Profile '{profile_id}' is still importing; try again when it is ready."
            )
        changes = validate_sections(body, require_contact=False)
        if "name" in changes:
            profile.name = changes.pop("name")
        for key, value in changes.items():
            if value in ({}, [], None):
                profile.sections.pop(key, None)  # {} / [] / "" clear a section
            else:
                profile.sections[key] = value
        self._touched(profile)
        return profile

    def replace(self, api_key: str, profile_id: str, body: dict[str, Any]) -> Profile:
        """The older edition's PUT: the flat body replaces the whole profile."""
        profile = self._get(api_key, profile_id)
        if not isinstance(body, dict):
            raise errors.invalid("invalid_parameter", "The body must be a JSON object.")
        if profile.status == "importing":
            raise errors.conflict(
                "profile_importing", f"Profile '{profile_id}' is still importing; try again when it is ready."
            )
        sections = validate_sections(from_legacy(body), require_contact=True)
        profile.name = sections.pop("name", "Default")
        profile.sections = {k: v for k, v in sections.items() if v not in ({}, [], None)}
        self._touched(profile)
        return profile

    def delete(self, api_key: str, profile_id: str) -> None:
        self._get(api_key, profile_id)
        del self.profiles[profile_id]

    def _touched(self, profile: Profile) -> None:
        profile.updated_at = self.clock.now()
        if profile.status == "import_failed":
            profile.status, profile.import_error = "ready", None

    # ── import ──────────────────────────────────────────────────────────

    def start_import(self, api_key: str, upload: ImportFile) -> Profile:
        extension = "." + upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        if extension not in IMPORT_TYPES and content_type not in IMPORT_TYPES.values():
            if extension or content_type not in ("", "application/octet-stream"):
                raise errors.invalid(
                    "unsupported_file_type", "Field 'file' must be a PDF, DOCX, TXT, RTF or MD file.", "file"
                )
            extension = sniff(upload.data)  # neither name nor type says: read the first bytes
        if len(upload.data) > MAX_IMPORT_BYTES:
            raise errors.invalid("file_too_large", "Field 'file' must be at most 10 MB (10485760 bytes).", "file")
        now = self.clock.now()
        kind = extension if extension in IMPORT_TYPES else next(k for k, v in IMPORT_TYPES.items() if v == content_type)
        profile = Profile(self.new_id(), api_key, "Imported profile", now, now, status="importing")
        profile.resume = {
            "filename": upload.filename or f"resume{kind}",
            "content_type": IMPORT_TYPES[kind],
            "size_bytes": len(upload.data),
            "uploaded_at": now,
        }
        self.profiles[profile.id] = profile
        data = upload.data
        self.scheduler.after(
            self.import_seconds(), lambda: self._finish_import(profile, kind, data), f"profile import {profile.id}"
        )
        return profile

    def _finish_import(self, profile: Profile, kind: str, data: bytes) -> None:
        if self.profiles.get(profile.id) is not profile or profile.status != "importing":
            return
        problem, text = read_resume(kind, data)
        profile.updated_at = self.clock.now()
        if problem is not None:
            profile.status, profile.import_error = "import_failed", problem
            return
        sections = sections_from_text(text)
        profile.sections.update(sections)
        name = sections.get("contact", {}).get("first_name")
        profile.name = f"{name}'s profile"[:100] if name else "Imported profile"
        profile.status = "ready"


def sniff(data: bytes) -> str:
    """The type of a resume that came without an extension or a content type: PDF, DOCX (a zip), RTF, else text."""
    if data.startswith(b"%PDF-"):
        return ".pdf"
    if data.startswith(b"PK\x03\x04"):
        return ".docx"
    if data.startswith(b"{\\rtf"):
        return ".rtf"
    return ".txt"


def read_resume(kind: str, data: bytes) -> tuple[str | None, str]:
    """(problem, text) of an uploaded resume: the import fails on an empty or unreadable file."""
    if not data.strip():
        return "The file is empty.", ""
    if kind == ".pdf":
        if not data.startswith(b"%PDF-"):
            return "The file is not a PDF (no %PDF- header).", ""
        return None, data.decode("latin-1")
    if kind == ".docx":
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                xml = archive.read("word/document.xml").decode("utf-8", "replace")
        except (zipfile.BadZipFile, KeyError):
            return "The file is not a DOCX document (not a zip archive with word/document.xml).", ""
        return None, re.sub(r"<[^>]+>", " ", xml)
    try:
        return None, data.decode("utf-8")
    except UnicodeDecodeError:
        return "The file is not UTF-8 text.", ""


def sections_from_text(text: str) -> dict[str, Any]:
    """What a resume parser would find: an email, a name (the first line that looks like one), links."""
    sections: dict[str, Any] = {}
    email = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", text)
    lines = [ln.strip(" #*\t") for ln in text.splitlines() if ln.strip(" #*\t")]
    name_line = next((ln for ln in lines if re.fullmatch(r"[A-Z][\w'-]+( [A-Z][\w'-]+)+", ln)), None)
    if email and name_line:
        first, last = name_line.split(" ", 1)
        sections["contact"] = {"first_name": first[:100], "last_name": last[:100], "email": email.group(0)[:254],
                               "preferred_name": None, "phone": None, "date_of_birth": None}  # fmt: skip
    links = [{"type": "linkedin" if "linkedin.com" in u else "github" if "github.com" in u else "website", "url": u}
             for u in dict.fromkeys(re.findall(r"https?://[^\s)>\]]+", text)) if len(u) <= 500][: LIMITS["links"]]  # fmt: skip
    if links:
        sections["links"] = links
    return sections


def clone_sections(profile: Profile) -> dict[str, Any]:
    return copy.deepcopy(profile.sections)


def new_uuid(rng: Any) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
