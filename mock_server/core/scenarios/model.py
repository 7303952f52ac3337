"""Compiled scenarios: immutable rule definitions plus their live (resettable) counters."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .matching import Matcher

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
class Scenario:
    name: str
    source: str
    description: str | None
    per: str  # global | apiKey | a vendor subject key (jobId)
    rules: list[Rule]
    states: dict[str, str] = field(default_factory=dict)  # scope key -> state name

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
