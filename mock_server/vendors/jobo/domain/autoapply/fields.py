"""Form fields and the validation of an answer snapshot (decision J28).

The twelve documented field types, in the wire's snake_case. :func:`validate_snapshot` is the
server-side check of ``POST …/answers`` (a 400 ``validation_failed`` that costs nothing): the
same codes and messages as the validator the vendor's example app mirrors, for the types this
simulation offers. :func:`coerce_legacy` turns the first generation's string answers into
values of the field's type, and :func:`answer_for` is what a well-behaved client (or the
older generation's one-shot run) would send.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

FIELD_TYPES = (
    "text", "textarea", "select", "multi_select", "radio", "checkbox",
    "file", "date", "number", "typeahead", "toggle", "rich_text",
)  # fmt: skip
# The first generation's names (the field-types page).
LEGACY_NAMES = {
    "text": "Text", "textarea": "TextArea", "select": "Select", "multi_select": "MultiSelect",
    "radio": "Radio", "checkbox": "Checkbox", "file": "File", "date": "Date", "number": "Number",
    "typeahead": "Typeahead", "toggle": "Toggle", "rich_text": "RichText",
}  # fmt: skip
FORMATS = ("email", "phone", "url", "one_time_code")
STRING_TYPES = ("text", "textarea", "rich_text")
OPTION_TYPES = ("select", "radio", "multi_select", "typeahead")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Field:
    """One field of a form step, as the browser agent reports it."""

    field_id: str
    type: str
    label: str
    required: bool = True
    format: str | None = None
    placeholder: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    constraints: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.field_id!r}: unknown type {self.type!r} (one of {', '.join(FIELD_TYPES)})")
        if self.format is not None and self.format not in FORMATS:
            raise ValueError(f"field {self.field_id!r}: unknown format {self.format!r}")
        if self.type in ("select", "radio", "multi_select") and not self.options:
            raise ValueError(f"field {self.field_id!r}: a {self.type} needs options")

    @property
    def requires_answer(self) -> bool:
        return self.required

    def option_values(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.options)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Field:
        """A field from world data: ``{field_id, type, label, required?, format?, options?, constraints?}``;
        options are ``[value, ...]`` or ``[{value, label}, ...]``."""
        options: list[tuple[str, str]] = []
        for option in data.get("options") or ():
            if isinstance(option, Mapping):
                options.append((str(option["value"]), str(option.get("label", option["value"]))))
            else:
                options.append((str(option), str(option).replace("_", " ").capitalize()))
        return cls(
            field_id=str(data["field_id"]),
            type=str(data["type"]),
            label=str(data.get("label") or data["field_id"]),
            required=bool(data.get("required", True)),
            format=data.get("format"),
            placeholder=data.get("placeholder"),
            options=tuple(options),
            constraints=dict(data.get("constraints") or {}),
        )


def command_error(field_id: str | None, code: str, message: str) -> dict[str, Any]:
    """One entry of ``errors`` / ``command_errors`` (``item_index``/``field_key`` are for repeating groups)."""
    return {"field_id": field_id, "item_index": None, "field_key": None, "code": code, "message": message}


def is_real_date(value: Any) -> bool:
    if not isinstance(value, str) or not _DATE.match(value):
        return False
    year, month, day = (int(p) for p in value.split("-"))
    return 1 <= month <= 12 and year >= 1 and 1 <= day <= calendar.monthrange(year, month)[1]


def _mime_matches(actual: str, accepted: str) -> bool:
    pattern = accepted.strip().lower()
    if pattern.endswith("/*"):
        return actual.lower().startswith(pattern[:-1])
    return actual.lower() == pattern


def _string_rules(f: Field, value: str, out: list[dict[str, Any]]) -> None:
    c = f.constraints
    if f.required and not value.strip():
        out.append(command_error(f.field_id, "required", "A required string cannot be empty."))
    low, high = c.get("min_length"), c.get("max_length")
    if isinstance(low, int) and len(value) < low:
        out.append(command_error(f.field_id, "min_length", f"The value must contain at least {low} characters."))
    if isinstance(high, int) and len(value) > high:
        out.append(command_error(f.field_id, "max_length", f"The value must contain at most {high} characters."))
    pattern = c.get("pattern")
    if isinstance(pattern, str) and value and re.search(pattern, value) is None:
        out.append(command_error(f.field_id, "pattern", "The value does not match the advertised pattern."))


def _option_rule(f: Field, value: Any, out: list[dict[str, Any]]) -> None:
    if not isinstance(value, str):
        out.append(command_error(f.field_id, "invalid_type", "Expected an option value string."))
    elif value not in f.option_values():
        out.append(command_error(f.field_id, "invalid_option", "The value is not one of the advertised options."))


def validate_value(f: Field, value: Any) -> list[dict[str, Any]]:
    """The problems of one answer value for field ``f`` (empty: acceptable)."""
    out: list[dict[str, Any]] = []
    c = f.constraints
    t = f.type
    if t in STRING_TYPES:
        if not isinstance(value, str):
            out.append(command_error(f.field_id, "invalid_type", "Expected a string."))
        else:
            _string_rules(f, value, out)
    elif t == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            out.append(command_error(f.field_id, "invalid_type", "Expected a JSON number."))
        else:
            low, high = c.get("min"), c.get("max")
            if isinstance(low, (int, float)) and value < low:
                out.append(command_error(f.field_id, "minimum", f"The value must be at least {low}."))
            if isinstance(high, (int, float)) and value > high:
                out.append(command_error(f.field_id, "maximum", f"The value must be at most {high}."))
    elif t in ("checkbox", "toggle"):
        if not isinstance(value, bool):
            out.append(command_error(f.field_id, "invalid_type", "Expected a boolean."))
        elif t == "checkbox" and f.required and value is not True:
            out.append(command_error(f.field_id, "required", "This checkbox must be checked."))
    elif t in ("select", "radio"):
        _option_rule(f, value, out)
    elif t == "multi_select":
        if not isinstance(value, list):
            out.append(command_error(f.field_id, "invalid_type", "Expected an array of option values."))
        else:
            for item in value:
                _option_rule(f, item, out)
            if f.required and not value:
                out.append(command_error(f.field_id, "required", "At least one option is required."))
            low, high = c.get("min_items"), c.get("max_items")
            if isinstance(low, int) and len(value) < low:
                out.append(command_error(f.field_id, "min_items", f"At least {low} values are required."))
            if isinstance(high, int) and len(value) > high:
                out.append(command_error(f.field_id, "max_items", f"At most {high} values are allowed."))
    elif t == "date":
        if not is_real_date(value):
            out.append(command_error(f.field_id, "invalid_date", "Expected YYYY-MM-DD."))
    elif t == "typeahead":
        sel = value.get("selection") if isinstance(value, dict) else None
        if not (
            isinstance(value, dict)
            and isinstance(value.get("query"), str)
            and isinstance(sel, dict)
            and isinstance(sel.get("value"), str)
            and isinstance(sel.get("label"), str)
        ):
            out.append(command_error(f.field_id, "invalid_typeahead", "Expected {query, selection:{value,label}}."))
        elif not (value["query"].strip() and sel["value"].strip() and sel["label"].strip()):
            out.append(command_error(f.field_id, "required", "Typeahead query and selection values cannot be empty."))
        elif f.options and sel["value"] not in f.option_values():
            out.append(command_error(f.field_id, "invalid_option", "The selected typeahead value is not advertised."))
    elif t == "file":
        out.extend(_file_rules(f, value))
    return out


def _file_rules(f: Field, value: Any) -> list[dict[str, Any]]:
    url = value.get("url") if isinstance(value, dict) else None
    ok_url = False
    if isinstance(url, str):
        try:
            parts = urlsplit(url)
            ok_url = parts.scheme == "https" and bool(parts.hostname)
        except ValueError:
            ok_url = False
    name = value.get("filename") if isinstance(value, dict) else None
    if not (ok_url and isinstance(name, str) and name.strip()):
        return [command_error(f.field_id, "invalid_file", "Expected a signed HTTPS url and a filename.")]
    content_type = value.get("content_type")
    if content_type is not None and not isinstance(content_type, str):
        return [command_error(f.field_id, "invalid_file", "content_type must be a string when supplied.")]
    accepted = f.constraints.get("accepted_file_types") or []
    if accepted and isinstance(content_type, str) and not any(_mime_matches(content_type, a) for a in accepted):
        return [command_error(f.field_id, "invalid_file_type", "The file content_type is not accepted by this field.")]
    return []


def validate_snapshot(fields: list[Field], answers: Any) -> list[dict[str, Any]]:
    """Every problem of a complete answer snapshot for ``fields`` (empty: it will be accepted).

    ``answers`` is the request's list of ``{field_id, value}``; each field id at most once, only
    fields of this step, every field that requires an answer present.
    """
    out: list[dict[str, Any]] = []
    if not isinstance(answers, list):
        return [command_error(None, "invalid_type", "answers must be an array.")]
    by_id = {f.field_id: f for f in fields}
    seen: dict[str, int] = {}
    for answer in answers:
        if not isinstance(answer, dict) or not isinstance(answer.get("field_id"), str) or "value" not in answer:
            out.append(command_error(None, "invalid_answer", "Each answer must be an object with field_id and value."))
            continue
        seen[answer["field_id"]] = seen.get(answer["field_id"], 0) + 1
    for field_id, count in seen.items():
        if count > 1:
            out.append(command_error(field_id, "duplicate_answer", "Each field_id may appear only once."))
    for answer in answers:
        if not isinstance(answer, dict) or not isinstance(answer.get("field_id"), str) or "value" not in answer:
            continue
        f = by_id.get(answer["field_id"])
        if f is None:
            out.append(command_error(answer["field_id"], "unknown_field", "The field does not belong to this step."))
            continue
        out.extend(validate_value(f, answer["value"]))
    for f in fields:
        if f.requires_answer and f.field_id not in seen:
            out.append(command_error(f.field_id, "required", "An answer is required."))
    return out


# ── the first generation's string answers ───────────────────────────────────


def coerce_legacy(f: Field, value: str, typeahead_selection: str | None = None) -> Any:
    """A first-generation answer (always a string) as a value of ``f``'s type; unconvertible text
    stays a string, so validation names the problem."""
    t = f.type
    if t in ("checkbox", "toggle"):
        lowered = value.strip().lower()
        return (
            True
            if lowered in ("true", "yes", "1", "on")
            else False
            if lowered in ("false", "no", "0", "off")
            else value
        )
    if t == "number":
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if t == "multi_select":
        return [v.strip() for v in value.split(",") if v.strip()]
    if t == "typeahead":
        chosen = typeahead_selection or value
        label = dict(f.options).get(chosen, chosen)
        return {"query": value, "selection": {"value": chosen, "label": label}}
    if t == "file":
        name = value.rsplit("/", 1)[-1] or "resume.pdf"
        return {"url": value, "filename": name}
    return value


# ── what a well-behaved client answers ──────────────────────────────────────


def answer_for(f: Field, facts: Mapping[str, str] | None = None) -> Any:
    """A valid value for ``f``; ``facts`` (field id or label word -> text) are used where they fit."""
    facts = facts or {}
    known = facts.get(f.field_id)
    t = f.type
    c = f.constraints
    if t in STRING_TYPES:
        text = known or {
            "email": "ada@example.com",
            "phone": "+44 20 7946 0000",
            "url": "https://example.com/ada",
            "one_time_code": "123456",
        }.get(f.format or "", f"Answer to {f.label}")
        pattern = c.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, text) is None:
            text = "123456" if f.format == "one_time_code" else text
        high = c.get("max_length")
        if isinstance(high, int):
            text = text[:high]
        low = c.get("min_length")
        if isinstance(low, int) and len(text) < low:
            text = text + "x" * (low - len(text))
        return text
    if t == "number":
        least, most = c.get("min"), c.get("max")
        number: int | float = 5
        if isinstance(least, (int, float)) and number < least:
            number = least
        if isinstance(most, (int, float)) and number > most:
            number = most
        return number
    if t in ("checkbox", "toggle"):
        return True
    if t in ("select", "radio"):
        return f.options[0][0]
    if t == "multi_select":
        low = c.get("min_items")
        return [v for v, _ in f.options[: max(1, low if isinstance(low, int) else 1)]]
    if t == "date":
        return "2026-03-02"
    if t == "typeahead":
        chosen, label = f.options[0] if f.options else ("london", "London")
        return {"query": label[:3], "selection": {"value": chosen, "label": label}}
    return {
        "url": "https://files.example.com/ada-lovelace.pdf",
        "filename": "ada-lovelace.pdf",
        "content_type": "application/pdf",
    }


def snapshot_for(fields: list[Field], facts: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """A complete, valid snapshot for ``fields``."""
    return [{"field_id": f.field_id, "value": answer_for(f, facts)} for f in fields]
