"""Scenario actions and match keys in a registry: one decorated function per action, with its schema.

Schemathesis's ``@check`` registry is the model. An action declares, in one place, the JSON
Schema of its argument (merged into the scenario file's schema), the triggers it may appear in,
the trigger it implies when a rule names none, whether it *answers* (ends the evaluation of a
trigger), an optional semantic check run at load time (``FILE:LINE`` errors) and the function
that runs when the rule fires. The engine dispatches by name; a vendor adds actions in its own
:class:`Vocabulary` without touching the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..errors import ApiError
    from ..runtime import RequestInfo, Runtime
    from ..spec import Operation
    from .matching import Subject
    from .model import Rule

# Where a rule can be evaluated. `outcome`-like triggers come from a vendor's vocabulary.
CORE_TRIGGERS = ("request", "webhook", "start")

Check = Callable[["CheckContext", Any], None]
Run = Callable[["Runtime", Any, "Subject"], None]


@dataclass(frozen=True)
class Action:
    name: str
    schema: dict[str, Any]  # JSON Schema of the action's argument
    triggers: frozenset[str]  # triggers the action may appear in
    implies: str | None = None  # the trigger a rule with this action gets when it names none
    answers: bool = False  # ends the evaluation of the trigger (respond, drop, outcome)
    check: Check | None = None  # semantic checks at load time
    run: Run | None = None  # side effect when the rule fires (None: the engine handles it)


@dataclass
class CheckContext:
    """What an action's load-time check sees: the rule, where it is, and how to report an error."""

    rt: Runtime
    rule: dict[str, Any]
    trigger: str
    error: Callable[[tuple[Any, ...], str], Exception]  # (path below the rule, reason) -> SourceError
    vocabulary: Vocabulary


@dataclass
class Vocabulary:
    """A vendor's scenario words: its subjects, events, triggers, actions, and how injected errors look.

    ``subject_keys`` are the ids a rule can match (``jobId``, ``queueId`` for UpHunt) and scope its
    counters by (``per``); ``request_subject`` reads them off a request; ``injected_error`` builds the
    :class:`~mock_server.core.errors.ApiError` a ``respond`` rule answers with (rendered by the vendor,
    like a real refusal); ``attach`` hooks vendor triggers (e.g. ``outcome``) into a new backend.
    """

    subject_keys: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    triggers: dict[str, frozenset[str]] = field(default_factory=dict)  # vendor trigger -> match keys it allows
    actions: list[Action] = field(default_factory=list)
    request_subject: Callable[[Runtime, RequestInfo, dict[str, Any]], dict[str, str | None]] | None = None
    injected_error: Callable[[Runtime, Operation | None, int, str | None, Subject, int | None], ApiError] | None = None
    attach: Callable[[Runtime, Any, Callable[[str, Subject], list[Rule]]], None] | None = None

    def action(
        self,
        name: str,
        schema: dict[str, Any],
        triggers: Iterable[str],
        *,
        implies: str | None = None,
        answers: bool = False,
        check: Check | None = None,
    ) -> Callable[[Run], Run]:
        """Decorator: register the decorated function as the action ``name``."""

        def register(run: Run) -> Run:
            self.actions.append(Action(name, schema, frozenset(triggers), implies, answers, check, run))
            return run

        return register


def action(name: str, schema: dict[str, Any], triggers: Iterable[str], **kwargs: Any) -> Action:
    """An action the engine itself handles (no ``run``)."""
    return Action(name, schema, frozenset(triggers), **kwargs)
