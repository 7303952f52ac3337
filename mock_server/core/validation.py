"""Request validation against the spec, with the 400/422 split of decision 5.

Shape problems (missing field, wrong type, unknown field, bad length) are
400; values of the right shape that are not allowed (enum, range) are 422.
Messages name the field, e.g. ``proposal.timeline: 'soon' is not one of [...]``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError

from .errors import ApiError
from .spec import Operation

SEMANTIC_KEYWORDS = frozenset(
    {"enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format"}
)
MAX_BODY_BYTES = 1024 * 1024


class RequestInvalid(ApiError):
    """A client mistake found before the handler runs: ``status`` is 400, 413 or 422."""

    code = "validation_failed"

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field, status=status)


def field_name(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def convert_params(op: Operation, query: Any, path_params: dict[str, str]) -> dict[str, Any]:
    """Raw strings -> typed values; a value that cannot convert is a 400 naming the parameter."""
    values: dict[str, Any] = {}
    for p in op.params:
        source = path_params if p.location == "path" else query
        raw = source.get(p.name)
        if raw is None:
            continue
        if p.location == "query" and len(query.getlist(p.name)) > 1:
            raise RequestInvalid(400, f"query parameter {p.name} was given more than once", p.name)
        values[p.name] = _convert(p.name, p.kind, raw)
    return values


def _convert(name: str, kind: str, raw: str) -> Any:
    if kind == "integer":
        try:
            return int(raw, 10)
        except ValueError:
            raise RequestInvalid(400, f"query parameter {name} must be an integer, got {_echo(raw)}", name) from None
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise RequestInvalid(400, f"query parameter {name} must be a number, got {_echo(raw)}", name) from None
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        raise RequestInvalid(400, f"query parameter {name} must be true or false, got {_echo(raw)}", name)
    return raw


def check_params(op: Operation, values: dict[str, Any]) -> None:
    check = op.params_validator
    if check is not None and not check.is_valid(values):
        _raise_first(check.full.iter_errors(values), "parameter ")


MAX_ECHO_CHARS = 100  # a value quoted in an error message is cut to this (a 1 MiB field was echoed whole)


def check_json_content_type(content_type: str | None) -> None:
    """A body declared as something other than JSON (``text/plain``, a form, XML) is 415; none declared is read as JSON."""
    if content_type is None:
        return
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or (media.startswith("application/") and media.endswith("+json")):
        return
    raise RequestInvalid(415, f"Content-Type must be application/json, got {_echo(content_type)}")


def _echo(value: Any) -> str:
    """``repr(value)``, cut to :data:`MAX_ECHO_CHARS` with the full length said."""
    text = repr(value)
    if len(text) <= MAX_ECHO_CHARS:
        return text
    return f"{text[:MAX_ECHO_CHARS]}... ({len(text)} characters)"


def _clip_message(message: str, instance: Any) -> str:
    """jsonschema's message with the offending value quoted at most :data:`MAX_ECHO_CHARS` long."""
    text = repr(instance)
    if len(text) <= MAX_ECHO_CHARS or text not in message:
        return message if len(message) <= 4 * MAX_ECHO_CHARS else message[: 4 * MAX_ECHO_CHARS] + "..."
    return message.replace(text, _echo(instance))


def parse_body(op: Operation, raw: bytes) -> Any:
    """Decode and validate a JSON body; None when the operation takes none and none was sent.

    An operation whose body is not JSON (e.g. multipart/form-data) gets the raw bytes: its
    handler parses them."""
    if not op.body_json:
        if not raw and op.body_required:
            raise RequestInvalid(400, "request body is required")
        return raw or None
    if op.body_validator is None and not op.body_required:
        return None
    if not raw.strip():
        if op.body_required:
            raise RequestInvalid(400, "request body is required (a JSON object)")
        return None
    body = loads_strict(raw)
    check = op.body_validator
    if check is not None and not check.is_valid(body):
        _raise_first(check.full.iter_errors(body), "")
    return body


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _float_sized_int(text: str) -> int:
    value = int(text)
    try:
        float(value)
    except OverflowError:
        raise ValueError(f"number {text[:40]}... is out of range") from None
    return value


def _check_text(value: Any) -> None:
    """Lone UTF-16 surrogates (``"\\ud800"``) are not Unicode text: refuse them here, not at render time."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_strict(raw: bytes) -> Any:
    """RFC 8259 JSON only: no NaN/Infinity, numbers that fit a double, valid Unicode, sane nesting.

    Python's ``json.loads`` accepts all of those; letting them through gave 500s
    (float overflow, deep recursion, unencodable output) and non-JSON responses.
    """
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_float_sized_int)
        _check_text(body)
    except RecursionError:
        raise RequestInvalid(400, "malformed JSON body: nested too deeply") from None
    except UnicodeEncodeError:
        raise RequestInvalid(400, "malformed JSON body: a string contains a lone UTF-16 surrogate") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestInvalid(400, f"malformed JSON body: {exc}") from None
    return body


def _raise_first(errors: Iterable[ValidationError], prefix: str) -> None:
    errors = list(errors)
    if not errors:
        return
    shape = [e for e in errors if e.validator not in SEMANTIC_KEYWORDS]
    chosen = min(shape or errors, key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    status = 400 if shape else 422
    where = field_name(chosen.absolute_path)
    raise RequestInvalid(status, _message(chosen, where, prefix), where or None)


def _message(err: ValidationError, where: str, prefix: str) -> str:
    target = f"{prefix}{where}" if where else ("body" if not prefix else "parameters")
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        name = f"{where}.{missing}" if where else missing
        return f"{prefix}{name} is required"
    if err.validator == "additionalProperties":
        allowed = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
        unknown = sorted(k for k in err.instance if k not in allowed) if isinstance(err.instance, dict) else []
        shown = [json.dumps(k) if len(k) <= MAX_ECHO_CHARS else _echo(k) for k in unknown[:10]]
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        return f"{target}: unknown field(s): {', '.join(shown)}{more}"
    if err.validator == "type":
        return f"{target} must be of type {err.validator_value}, got {json_type(err.instance)}"
    if err.validator in ("minProperties", "maxProperties") and isinstance(err.schema, dict):
        names = ", ".join(err.schema.get("properties", {}))
        low, high = err.schema.get("minProperties"), err.schema.get("maxProperties")
        count = (
            f"exactly {low}"
            if low == high
            else (f"at least {low}" if err.validator == "minProperties" else f"at most {high}")
        )
        return f"{target} must have {count} of the fields {names}"
    if err.validator == "enum" and isinstance(err.validator_value, list):
        choices = ", ".join(json.dumps(v) for v in err.validator_value)
        value = json.dumps(err.instance)
        return f"{target}: {value if len(value) <= MAX_ECHO_CHARS else _echo(err.instance)} is not one of {choices}"
    return f"{target}: {_clip_message(err.message, err.instance)}"


def json_type(value: Any) -> str:
    """The JSON Schema type name of a decoded JSON value (bool before int: bool is an int in Python)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
