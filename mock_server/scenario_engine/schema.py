"""Parse, validate and compile a scenario document.

Validation happens in two passes, both reporting ``file:line: reason``
(:class:`~mock_server.yaml_source.SourceError`): the JSON Schema shipped in
``schemas/scenario.schema.yaml`` (shape, unknown keys), then the checks a
schema cannot express (known operationIds, valid regexes, which actions and
match keys fit the rule's trigger, jobs that exist in the world). Nothing is
installed unless the whole document is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ..yaml_source import Located, SourceError, load, safe_load, validate
from .matching import Matcher, Pattern
from .model import Rule, Scenario

# Which actions and match keys each trigger accepts.
ACTIONS = ("respond", "drop", "delay", "outcome", "account", "closeJob", "latency", "webhook")
TRIGGER_ACTIONS = {
    "request": {"respond", "drop", "delay", "account", "closeJob"},
    "outcome": {"outcome", "account", "closeJob"},
    "webhook": {"webhook"},
    "start": {"account", "closeJob", "latency"},
}
_COUNTING = {"nth", "everyNth", "probability", "clock"}
TRIGGER_MATCH_KEYS = {
    "request": {"operationId", "method", "path", "jobId", "queueId", "apiKey"} | _COUNTING,
    "outcome": {"jobId", "queueId", "apiKey"} | _COUNTING,
    "webhook": {"jobId", "queueId", "apiKey", "eventType"} | _COUNTING,
    "start": set(),
}


@lru_cache(maxsize=1)
def schema_validator() -> jsonschema.Draft202012Validator:
    text = resources.files("mock_server").joinpath("schemas/scenario.schema.yaml").read_text()
    return jsonschema.Draft202012Validator(safe_load(text))


def infer_trigger(rule: dict[str, Any]) -> str:
    if "trigger" in rule:
        return rule["trigger"]
    if "outcome" in rule:
        return "outcome"
    if "webhook" in rule:
        return "webhook"
    if "latency" in rule:
        return "start"
    return "request"


def locate(doc: str | dict[str, Any], source: str) -> Located:
    """A document with line numbers (none for an already-parsed dict)."""
    if isinstance(doc, dict):
        return Located(doc, {}, source)
    located = load(doc, source)
    if located.data is None:
        raise SourceError(source, None, "empty scenario document (expected a mapping with `rules`)")
    return located


def compile_document(
    doc: str | dict[str, Any],
    source: str,
    *,
    operations: dict[str, str],
    job_exists: Callable[[str], bool],
    default_seed: int,
) -> Scenario:
    """Validate ``doc`` completely and return the compiled scenario (or raise SourceError)."""
    located = locate(doc, source)
    if not isinstance(located.data, dict):
        raise located.error((), "a scenario document must be a mapping with `rules`")
    validate(located, schema_validator())
    data = located.data
    name = data.get("name") or _default_name(source)
    seed = data.get("seed", default_seed)
    rules = [
        _compile_rule(located, i, raw, name, seed, operations, job_exists) for i, raw in enumerate(data["rules"])
    ]
    return Scenario(name=name, source=source, description=data.get("description"), per=data.get("per", "global"), rules=rules)


def _default_name(source: str) -> str:
    stem = Path(source).stem if source not in ("request", "<python>") else "request"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", stem) or "scenario"


def _compile_rule(
    located: Located,
    index: int,
    raw: dict[str, Any],
    scenario: str,
    seed: int,
    operations: dict[str, str],
    job_exists: Callable[[str], bool],
) -> Rule:
    at = ("rules", index)
    trigger = infer_trigger(raw)
    match = raw.get("match", {})
    present = [a for a in ACTIONS if a in raw]
    if not present:
        raise located.error(at, f"a rule needs an action: one of {', '.join(ACTIONS)}")
    for action in present:
        if action not in TRIGGER_ACTIONS[trigger]:
            raise located.error(
                at + (action,), f"`{action}` is not allowed in a rule evaluated on {trigger} (allowed: {', '.join(sorted(TRIGGER_ACTIONS[trigger]))})"
            )
    for key in match:
        if key not in TRIGGER_MATCH_KEYS[trigger]:
            allowed = ", ".join(sorted(TRIGGER_MATCH_KEYS[trigger])) or "none"
            raise located.error(at + ("match", key), f"`{key}` cannot be matched in a rule evaluated on {trigger} (allowed: {allowed})")
    if trigger == "start":
        for key in ("times", "whenState", "setState"):
            if key in raw:
                raise located.error(at + (key,), f"`{key}` has no meaning in a start rule (it runs once at load and after each reset)")
    if trigger == "outcome" and "outcome" not in raw:
        raise located.error(at, "a rule evaluated on outcome needs `outcome`")
    if trigger == "webhook" and "webhook" not in raw:
        raise located.error(at, "a rule evaluated on webhook needs `webhook`")
    if "respond" in raw and "drop" in raw:
        raise located.error(at + ("drop",), "`respond` and `drop` exclude each other")
    ops = match.get("operationId")
    for i, op in enumerate([ops] if isinstance(ops, str) else ops or []):
        if op not in operations:
            where = at + ("match", "operationId") + ((i,) if isinstance(ops, list) else ())
            raise located.error(where, f"unknown operationId {op!r}")
    for key in ("path", "jobId", "queueId", "apiKey"):
        value = match.get(key)
        if isinstance(value, dict):
            try:
                Pattern(value)
            except re.error as exc:
                raise located.error(at + ("match", key, "regex"), f"invalid regular expression: {exc}") from None
    clock = match.get("clock")
    if clock is not None and "to" in clock and clock["to"] <= clock.get("from", 0):
        raise located.error(at + ("match", "clock", "to"), "clock.to must be greater than clock.from")
    if clock is not None and "every" in clock and clock.get("to", clock["every"]) > clock["every"]:
        raise located.error(at + ("match", "clock", "every"), "clock.every must be >= clock.to (the window repeats every `every` seconds)")
    respond = raw.get("respond")
    if respond is not None and respond.get("retryAfter") == "auto" and (clock is None or "to" not in clock):
        raise located.error(at + ("respond", "retryAfter"), "retryAfter: auto needs match.clock.to (it answers the seconds left in the window)")
    for stage_name, stage in (raw.get("latency") or {}).items():
        if stage["p95"] < stage["median"]:
            raise located.error(at + ("latency", stage_name, "p95"), "p95 must be >= median")
        if stage.get("low", 0) > stage.get("high", float("inf")):
            raise located.error(at + ("latency", stage_name, "high"), "high must be >= low")
    close = raw.get("closeJob")
    if close is not None:
        if "jobId" in close and not job_exists(close["jobId"]):
            raise located.error(at + ("closeJob", "jobId"), f"no job {close['jobId']!r} in the world")
        if "jobId" not in close and trigger == "start":
            raise located.error(at + ("closeJob",), "closeJob in a start rule needs jobId")
    if trigger == "start" and "account" in raw and "apiKey" not in raw["account"]:
        raise located.error(at + ("account",), "account in a start rule needs apiKey")
    outcome = raw.get("outcome")
    actions = {a: raw[a] for a in present}
    if isinstance(outcome, str):
        actions["outcome"] = {"status": outcome}
    return Rule(
        id=f"{scenario}/{index}",
        name=raw.get("name"),
        trigger=trigger,
        matcher=Matcher(match),
        times=raw.get("times"),
        when_state=raw.get("whenState"),
        set_state=raw.get("setState"),
        actions=actions,
        seed=f"{seed}:{scenario}:{index}",
    )
