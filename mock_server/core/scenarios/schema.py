"""Parse, validate and compile a scenario document.

Validation happens in two passes, both reporting ``file:line: reason``
(:class:`~mock_server.core.yaml_source.SourceError`): a JSON Schema (the engine's
``scenario.schema.yaml`` with every registered action's schema and the vendor's
subject keys laid in), then the checks a schema cannot express (known
operationIds, valid regexes, which actions and match keys fit the rule's trigger,
and each action's own ``check``). Nothing is installed unless the whole document
is valid.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..spec import SchemaCheck
from ..yaml_source import Located, SourceError, load, safe_load, validate
from .actions import CORE_ACTIONS
from .matching import Matcher, Pattern, PatternError
from .model import Rule, Scenario
from .registry import CORE_TRIGGERS, Action, CheckContext, Vocabulary

if TYPE_CHECKING:
    from ..runtime import Runtime

_COUNTING = frozenset({"nth", "everyNth", "probability", "clock"})
_CORE_MATCH_KEYS = {
    "request": frozenset({"operationId", "method", "path", "apiKey"}),
    "webhook": frozenset({"apiKey", "eventType"}),
    "start": frozenset(),
}
_PATTERN_KEYS = ("path", "apiKey")


@lru_cache(maxsize=1)
def _base_schema() -> dict[str, Any]:
    text = resources.files("mock_server").joinpath("core/scenarios/scenario.schema.yaml").read_text(encoding="utf-8")
    return safe_load(text)


@dataclass(frozen=True)
class Language:
    """Everything a scenario of one vendor may say: actions by name, triggers and their match keys."""

    actions: dict[str, Action]
    match_keys: dict[str, frozenset[str]]  # trigger -> match keys it accepts
    subject_keys: tuple[str, ...]
    validator: SchemaCheck  # Rust decides "valid?"; jsonschema explains an invalid document (FILE:LINE)

    @classmethod
    def of(cls, vocabulary: Vocabulary) -> Language:
        actions = {a.name: a for a in [*CORE_ACTIONS, *vocabulary.actions]}
        subjects = frozenset(vocabulary.subject_keys)
        match_keys = {t: keys | (subjects if t != "start" else frozenset()) for t, keys in _CORE_MATCH_KEYS.items()}
        for trigger, keys in vocabulary.triggers.items():
            match_keys[trigger] = keys
        match_keys = {t: keys | (_COUNTING if t != "start" else frozenset()) for t, keys in match_keys.items()}
        schema = copy.deepcopy(_base_schema())
        rule = schema["$defs"]["rule"]["properties"]
        rule["trigger"] = {"enum": sorted(match_keys)}
        for name, act in actions.items():
            rule[name] = act.schema
        match = rule["match"]["properties"]
        for key in vocabulary.subject_keys:
            match[key] = {"$ref": "#/$defs/pattern"}
        if vocabulary.event_types:
            match["eventType"] = {"enum": list(vocabulary.event_types)}
        schema["properties"]["per"] = {"enum": ["global", "apiKey", *vocabulary.subject_keys]}
        return cls(actions, match_keys, vocabulary.subject_keys, SchemaCheck(schema))

    def infer_trigger(self, rule: dict[str, Any]) -> str:
        if "trigger" in rule:
            return rule["trigger"]
        for name in rule:
            act = self.actions.get(name)
            if act is not None and act.implies is not None:
                return act.implies
        return "request"


def locate(doc: str | dict[str, Any], source: str) -> Located:
    """A document with line numbers (none for an already-parsed dict)."""
    if isinstance(doc, dict):
        try:  # a dict from Python: the same JSON-values-only rule as a YAML file (no NaN, dates, bytes, sets)
            json.dumps(doc, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise SourceError(source, None, f"a scenario holds JSON values only: {exc}") from None
        return Located(doc, {}, source)
    located = load(doc, source)
    if located.data is None:
        raise SourceError(source, None, "empty scenario document (expected a mapping with `rules`)")
    return located


def compile_document(
    doc: str | dict[str, Any],
    source: str,
    *,
    rt: Runtime,
    language: Language,
    vocabulary: Vocabulary,
    operations: dict[str, str],
    default_seed: int,
) -> Scenario:
    """Validate ``doc`` completely and return the compiled scenario (or raise SourceError)."""
    located = locate(doc, source)
    if not isinstance(located.data, dict):
        raise located.error((), "a scenario document must be a mapping with `rules`")
    validate(located, language.validator)
    data = located.data
    name = data.get("name") or _default_name(source)
    seed = data.get("seed", default_seed)
    rules = []
    for i, raw in enumerate(data["rules"]):
        at = ("rules", i)

        def error(path: tuple[Any, ...], reason: str, at: tuple[Any, ...] = at) -> Exception:
            return located.error(at + path, reason)

        rules.append(_compile_rule(raw, i, name, seed, language, operations, error, rt, vocabulary))
    return Scenario(
        name=name, source=source, description=data.get("description"), per=data.get("per", "global"), rules=rules
    )


def _default_name(source: str) -> str:
    stem = Path(source).stem if source not in ("request", "<python>") else "request"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", stem) or "scenario"


def _compile_rule(
    raw: dict[str, Any],
    index: int,
    scenario: str,
    seed: int,
    language: Language,
    operations: dict[str, str],
    error: Callable[[tuple[Any, ...], str], Exception],
    rt: Runtime,
    vocabulary: Vocabulary,
) -> Rule:
    trigger = language.infer_trigger(raw)
    present = [name for name in language.actions if name in raw]
    _check_actions(trigger, present, language, error)
    _check_match(trigger, raw.get("match", {}), raw, language, operations, error)
    ctx = CheckContext(rt, raw, trigger, error, vocabulary)
    for name in present:
        check = language.actions[name].check
        if check is not None:
            check(ctx, raw[name])
    return Rule(
        id=f"{scenario}/{index}",
        name=raw.get("name"),
        trigger=trigger,
        matcher=Matcher(raw.get("match", {}), language.subject_keys),
        times=raw.get("times"),
        when_state=raw.get("whenState"),
        set_state=raw.get("setState"),
        actions={name: raw[name] for name in present},
        seed=f"{seed}:{scenario}:{index}",
        answers=tuple(name for name in present if language.actions[name].answers),
        position=index,
    )


def _check_actions(trigger: str, present: list[str], language: Language, error: Callable[..., Exception]) -> None:
    if not present:
        raise error((), f"a rule needs an action: one of {', '.join(language.actions)}")
    allowed = sorted(name for name, act in language.actions.items() if trigger in act.triggers)
    for name in present:
        if trigger not in language.actions[name].triggers:
            raise error(
                (name,), f"`{name}` is not allowed in a rule evaluated on {trigger} (allowed: {', '.join(allowed)})"
            )
    if trigger not in CORE_TRIGGERS or trigger == "webhook":
        # a vendor trigger (outcome) or webhook needs the action that implies it, or another that answers there
        implied = [
            name
            for name, act in language.actions.items()
            if act.implies == trigger or (act.answers and trigger in act.triggers and trigger != "webhook")
        ]
        if implied and not any(name in present for name in implied):
            raise error((), f"a rule evaluated on {trigger} needs `{implied[0]}`")


def _check_match(
    trigger: str,
    match: dict[str, Any],
    raw: dict[str, Any],
    language: Language,
    operations: dict[str, str],
    error: Callable[..., Exception],
) -> None:
    keys = language.match_keys[trigger]
    for key in match:
        if key not in keys:
            allowed = ", ".join(sorted(keys)) or "none"
            raise error(
                ("match", key), f"`{key}` cannot be matched in a rule evaluated on {trigger} (allowed: {allowed})"
            )
    if trigger == "start":
        for key in ("times", "whenState", "setState"):
            if key in raw:
                raise error(
                    (key,), f"`{key}` has no meaning in a start rule (it runs once at load and after each reset)"
                )
    ops = match.get("operationId")
    for i, op in enumerate([ops] if isinstance(ops, str) else ops or []):
        if op not in operations:
            raise error(
                ("match", "operationId") + ((i,) if isinstance(ops, list) else ()), f"unknown operationId {op!r}"
            )
    for key in (*_PATTERN_KEYS, *language.subject_keys):
        value = match.get(key)
        if isinstance(value, dict):
            try:
                Pattern(value)
            except PatternError as exc:
                raise error(("match", key, "regex"), f"invalid regular expression: {exc}") from None
    clock = match.get("clock")
    if clock is not None and "to" in clock and clock["to"] <= clock.get("from", 0):
        raise error(("match", "clock", "to"), "clock.to must be greater than clock.from")
    if clock is not None and "every" in clock and clock.get("to", clock["every"]) > clock["every"]:
        raise error(
            ("match", "clock", "every"), "clock.every must be >= clock.to (the window repeats every `every` seconds)"
        )
