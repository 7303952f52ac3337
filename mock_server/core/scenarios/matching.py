"""What a rule matches on.

Every trigger (an API request, an outcome decision, a webhook event) is
turned into a :class:`Subject` with the same fields, so one :class:`Matcher`
serves them all. Matching is split in two:

* :meth:`Matcher.static` — pure conditions (operation, method, path, ids,
  API key, clock window): no side effect;
* the counting conditions (``nth``, ``everyNth``, ``probability``) are
  decided by the engine afterwards, so counters only see requests that
  passed the static conditions.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any

import re2  # google-re2: untyped (pyproject's mypy overrides)

# User regexes run on every matching request, on the event loop, before authentication (a rule
# may answer unauthenticated requests too). Python's backtracking engine takes exponential time
# on patterns like ``(a+)+$`` (30 s for 28 characters); RE2 guarantees time linear in the input,
# so one rule plus one request cannot freeze the mock. RE2 has no backreferences or lookaround:
# such patterns are refused at load with the engine's reason. Globs are translated by fnmatch,
# whose output has no nested quantifiers, and stay on ``re``.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # refusals are reported as FILE:LINE errors, not on the server's stderr
_RE2_OPTIONS.never_capture = True  # only "does it match" is asked
_RE2_OPTIONS.max_mem = 8 << 20  # a pattern whose automaton needs more is refused ("pattern too large")


class PatternError(ValueError):
    """A ``{regex}`` the linear-time engine cannot run (syntax it lacks, or too large)."""


def compile_regex(text: str) -> Any:
    """``text`` compiled by RE2 (linear-time search), or PatternError with RE2's reason."""
    try:
        return re2.compile(text, options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"{reason} (regexes run on RE2: no backreferences or lookaround)") from None


class Pattern:
    """A glob (``*``, ``?``, ``[...]``; exact when it has none, whole value) or ``{regex: ...}`` (searched, RE2)."""

    def __init__(self, raw: Any) -> None:
        if isinstance(raw, dict):
            self.text = raw["regex"]
            self._re: Any = compile_regex(self.text)  # PatternError: reported with the line
            self._search = True
        else:
            self.text = str(raw)
            glob = any(c in self.text for c in "*?[")
            self._re = re.compile(fnmatch.translate(self.text)) if glob else None
            self._search = False

    @property
    def is_regex(self) -> bool:
        return self._search

    @property
    def exact(self) -> str | None:
        """The one value this pattern matches, when it is a plain string (no glob, no regex)."""
        return self.text if self._re is None else None

    def __call__(self, value: str | None) -> bool:
        if value is None:
            return False
        if self._re is None:
            return value == self.text
        return (self._re.search(value) if self._search else self._re.match(value)) is not None


@dataclass(slots=True)
class Subject:
    """What any trigger looks like to a matcher."""

    elapsed: float  # simulated seconds since the mock started or was reset
    operation_id: str | None = None
    handler: str | None = None  # the operation an alias forwards to
    method: str | None = None
    path: str | None = None
    api_key: str | None = None
    event_type: str | None = None
    keys: dict[str, str | None] = field(default_factory=dict)  # the vendor's subject keys (jobId, queueId...)


@dataclass
class ClockWindow:
    start: float = 0.0
    end: float | None = None
    every: float | None = None

    def position(self, elapsed: float) -> float:
        return elapsed % self.every if self.every else elapsed

    def contains(self, elapsed: float) -> bool:
        t = self.position(elapsed)
        return t >= self.start and (self.end is None or t < self.end)

    def seconds_left(self, elapsed: float) -> float:
        """Until the window (the current burst) ends; 0 when open-ended."""
        if self.end is None:
            return 0.0
        return max(0.0, self.end - self.position(elapsed))


_PATH = object()  # markers: which subject field a pattern reads
_API_KEY = object()


class Matcher:
    """The compiled ``match:`` block of a rule."""

    def __init__(self, raw: dict[str, Any], subject_keys: tuple[str, ...] = ()) -> None:
        ops = raw.get("operationId")
        self.operation_ids = None if ops is None else frozenset([ops] if isinstance(ops, str) else ops)
        methods = raw.get("method")
        self.methods = None if methods is None else frozenset([methods] if isinstance(methods, str) else methods)
        self.path = Pattern(raw["path"]) if "path" in raw else None
        self.keys = [(key, Pattern(raw[key])) for key in subject_keys if key in raw]
        self.api_key = Pattern(raw["apiKey"]) if "apiKey" in raw else None
        self.event_type = raw.get("eventType")
        nth = raw.get("nth")
        self.nth = None if nth is None else frozenset([nth] if isinstance(nth, int) else nth)
        self.every_nth: int | None = raw.get("everyNth")
        self.probability: float | None = raw.get("probability")
        clock = raw.get("clock")
        self.clock = None if clock is None else ClockWindow(clock.get("from", 0.0), clock.get("to"), clock.get("every"))
        # every pattern condition, exact values and globs before regexes
        patterns: list[tuple[Any, Pattern]] = []
        if self.path is not None:
            patterns.append((_PATH, self.path))
        patterns += self.keys
        if self.api_key is not None:
            patterns.append((_API_KEY, self.api_key))
        self._patterns = sorted(patterns, key=lambda item: item[1].is_regex)

    def static(self, s: Subject) -> bool:
        """Cheap exact conditions first (operation, method, event type, clock window), patterns last."""
        if self.operation_ids is not None and not (
            s.operation_id in self.operation_ids or s.handler in self.operation_ids
        ):
            return False
        if self.methods is not None and s.method not in self.methods:
            return False
        if self.event_type is not None and s.event_type != self.event_type:
            return False
        if self.clock is not None and not self.clock.contains(s.elapsed):
            return False
        return all(pattern(self.field_of(s, key)) for key, pattern in self._patterns)

    def exact_condition(self) -> tuple[Any, str] | None:
        """``(field, value)`` of one plain-value pattern the subject must equal, for indexing; None if none."""
        for key, pattern in self._patterns:
            if pattern.exact is not None:
                return key, pattern.exact
        return None

    @staticmethod
    def field_of(s: Subject, key: Any) -> str | None:
        """The subject's value for a pattern's field (path, apiKey or a vendor subject key)."""
        return s.path if key is _PATH else s.api_key if key is _API_KEY else s.keys.get(key)

    def counted(self, count: int) -> bool:
        """``count`` = how many subjects (this one included) passed :meth:`static` in this scope."""
        if self.nth is not None and count not in self.nth:
            return False
        return self.every_nth is None or count % self.every_nth == 0
