"""Compiled scenarios: immutable rule definitions plus their live (resettable) counters."""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Any

from .matching import Matcher, Subject

INITIAL_STATE = "started"


@dataclass
class Rule:
    """One `match -> action` rule of a scenario, compiled."""

    id: str  # "<scenario>/<index>"
    name: str | None
    trigger: str  # request | webhook | start, or a vendor's trigger (UpHunt: outcome)
    matcher: Matcher
    times: int | None
    when_state: str | None
    set_state: str | None
    actions: dict[str, Any]  # action name -> compiled argument
    seed: str  # seeds the rule's own random source (probability)
    answers: tuple[str, ...] = ()  # its actions that answer the trigger (respond, drop, outcome)
    position: int = 0  # index in its scenario: the order rules are tried in
    # live, restarted on reset: per scope key (see Scenario.per)
    counts: dict[str, int] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)
    hits: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def restart(self) -> None:
        self.counts.clear()
        self.fired.clear()
        self.hits = 0
        self.rng = random.Random(self.seed)

    @property
    def responds(self) -> bool:
        return "respond" in self.actions or "drop" in self.actions or "dropResponse" in self.actions

    def exhausted(self, scope: str) -> bool:
        return self.times is not None and self.fired.get(scope, 0) >= self.times

    def view(self, scenario: Scenario) -> dict[str, Any]:
        """The rule's entry in GET /_mock/scenarios."""
        state: str | dict[str, Any]
        if scenario.per == "global":
            remaining = None if self.times is None else max(0, self.times - self.fired.get("", 0))
            if remaining == 0:
                state = "exhausted"
            elif self.when_state is not None and scenario.state_of("") != self.when_state:
                state = f"waiting for state {self.when_state!r}"
            else:
                state = "active"
        else:
            remaining = None
            state = {"per": scenario.per, "fired": dict(self.fired)}
        return {
            "id": self.id,
            "name": self.name,
            "trigger": self.trigger,
            "hits": self.hits,
            "remaining": remaining,
            "state": state,
        }


@dataclass
class _Bucket:
    """The rules of one (trigger, operation): those needing an exact field value, by value, and the rest."""

    general: list[Rule]
    exact: dict[tuple[Any, str | None], list[Rule]]
    fields: list[Any]

    @classmethod
    def of(cls, rules: list[Rule], trigger: str, operation_id: str | None, handler: str | None) -> _Bucket:
        bucket = cls([], {}, [])
        for rule in rules:
            ops = rule.matcher.operation_ids
            if rule.trigger != trigger or (ops is not None and operation_id not in ops and handler not in ops):
                continue
            condition = rule.matcher.exact_condition()
            if condition is None:
                bucket.general.append(rule)
                continue
            bucket.exact.setdefault(condition, []).append(rule)
            if condition[0] not in bucket.fields:
                bucket.fields.append(condition[0])
        return bucket


@dataclass
class Scenario:
    name: str
    source: str
    description: str | None
    per: str  # global | apiKey | a vendor subject key (jobId)
    rules: list[Rule]
    states: dict[str, str] = field(default_factory=dict)  # scope key -> state name
    _index: dict[tuple[str, str | None, str | None], _Bucket] = field(default_factory=dict, repr=False)

    def candidates(self, trigger: str, subject: Subject) -> list[Rule]:
        """The rules (in order) that could fire for ``trigger`` on ``subject``: from an index, built lazily.

        Rules are bucketed by trigger and operation, and within that by one plain-value
        condition (``jobId: '~01...'``, an exact path or key), so a 15,000-rule scenario costs
        a request only the rules that could concern it, not a scan of all of them.
        """
        key = (trigger, subject.operation_id, subject.handler)
        bucket = self._index.get(key)
        if bucket is None:
            bucket = self._index[key] = _Bucket.of(self.rules, trigger, subject.operation_id, subject.handler)
        if not bucket.exact:
            return bucket.general
        lists = [bucket.general]
        for field_key in bucket.fields:
            hit = bucket.exact.get((field_key, Matcher.field_of(subject, field_key)))
            if hit:
                lists.append(hit)
        if len(lists) == 1:
            return lists[0]
        return list(heapq.merge(*lists, key=lambda rule: rule.position))

    def state_of(self, scope: str) -> str:
        return self.states.get(scope, INITIAL_STATE)

    def restart(self) -> None:
        self.states.clear()
        for rule in self.rules:
            rule.restart()

    def view(self) -> dict[str, Any]:
        state: Any = self.state_of("") if self.per == "global" else dict(self.states)
        return {
            "name": self.name,
            "source": self.source,
            "description": self.description,
            "per": self.per,
            "state": state,
            "rules": [r.view(self) for r in self.rules],
        }
