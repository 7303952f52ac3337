"""The copy of a spec that ``/docs`` shows: the mock's ``x-mock-*`` notes made readable in place.

Swagger UI renders Markdown descriptions but shows vendor extensions, at best, as raw values in a
table of their own. So every node of the copy that carries an ``x-mock-*`` note (an operation, a
webhook, a response, a schema or property, a parameter, a security scheme) gets the note appended
to its ``description``, in Markdown: an operation gets a "Mock notes" box (a blockquote, which
the page styles) listing its rate limits, price, effect, error dialect and decision; any other
node a line per note. Decision numbers ("#4") link to their row in
the decision record when the spec names one (``x-mock-decisions-document``) and it is a guide.

The original document is never touched: ``/openapi.json`` stays byte for byte what the server
routes by; the annotated copy is a deep copy made once per spec.
"""

from __future__ import annotations

import copy
import re
from pathlib import PurePosixPath
from typing import Any

# Routing details for the server, not part of the contract a reader needs.
INTERNAL = frozenset({"x-mock-handler", "x-mock-raw-body"})
# How a known note is named, in the order notes are listed; any other x-mock-* note is shown after
# them under a name made from its key.
LABELS = {
    "x-mock-rate-limits": "Rate limits (per API key)",
    "x-mock-price": "Price",
    "x-mock-quota": "Quota",
    "x-mock-effect": "Effect",
    "x-mock-error-dialect": "Error dialect",
    "x-mock-decision": "Decision",
}
# What x-mock-effect's values mean to someone calling the real service (core/spec.py reads them).
EFFECTS = {
    "read": "read-only: changes nothing, safe to call against the real service",
    "write": "changes state on the service",
    "spend": "may cost money on the real service (a credit, a billed generation); live checks run it only when allowed",
}
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


def annotated(spec: dict[str, Any], guides_url: str, guide_names: set[str]) -> dict[str, Any]:
    """A deep copy of ``spec`` whose descriptions carry the mock's notes (see the module docstring)."""
    view = copy.deepcopy(spec)
    record = PurePosixPath(str(spec.get("x-mock-decisions-document", ""))).stem
    decisions_url = f"{guides_url}/{record}" if record in guide_names else None
    operations = {
        id(item[method])
        for group in ("paths", "webhooks")
        for item in (view.get(group) or {}).values()
        if isinstance(item, dict)
        for method in _METHODS
        if isinstance(item.get(method), dict)
    }
    _walk(view, operations, decisions_url)
    return view


def _walk(node: Any, operations: set[int], decisions_url: str | None) -> None:
    if isinstance(node, list):
        for child in node:
            _walk(child, operations, decisions_url)
        return
    if not isinstance(node, dict):
        return
    notes = sorted(
        ((key, value) for key, value in node.items() if key.startswith("x-mock-") and key not in INTERNAL),
        key=lambda note: list(LABELS).index(note[0]) if note[0] in LABELS else len(LABELS),
    )
    if notes and "$ref" not in node:
        lines = [f"**{_label(key)}:** {_format(key, value, decisions_url)}" for key, value in notes]
        if id(node) in operations:
            addition = "> #### Mock notes\n>\n" + "\n".join(f"> - {line}" for line in lines)
        else:
            addition = "\n\n".join(f"*Mock* {line}" for line in lines)
        description = str(node.get("description") or "").rstrip()
        node["description"] = f"{description}\n\n{addition}" if description else addition
    for key, child in node.items():
        if not key.startswith("x-"):
            _walk(child, operations, decisions_url)


def _label(key: str) -> str:
    return LABELS.get(key) or key.removeprefix("x-mock-").replace("-", " ").capitalize()


def _format(key: str, value: Any, decisions_url: str | None) -> str:
    if key == "x-mock-rate-limits" and isinstance(value, dict):
        return ", ".join(f"{limit} per {window}" for window, limit in value.items())
    if key == "x-mock-effect" and value in EFFECTS:
        return f"`{value}`, {EFFECTS[value]}"
    if key == "x-mock-error-dialect":
        return f"`{_text(value)}` (the error body shapes are in the API's description)"
    if key == "x-mock-decision" and decisions_url:
        return re.sub(r"#(\d+[a-z]?)\b", lambda m: f"[#{m[1]}]({decisions_url}#decision-{m[1]})", _text(value))
    return _text(value)


def _text(value: Any) -> str:
    """One line of Markdown for any JSON value (a note sits in a list item or a paragraph)."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(str(value).split())
