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


class Pattern:
    """A glob (``*``, ``?``, ``[...]``; exact when it has none, whole value) or ``{regex: ...}`` (searched)."""

    def __init__(self, raw: Any) -> None:
        if isinstance(raw, dict):
            self.text = raw["regex"]
            self._re: re.Pattern[str] | None = re.compile(self.text)  # re.error: reported with the line
            self._search = True
        else:
            self.text = str(raw)
            glob = any(c in self.text for c in "*?[")
            self._re = re.compile(fnmatch.translate(self.text)) if glob else None
            self._search = False

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

    def static(self, s: Subject) -> bool:
        if self.operation_ids is not None and not (s.operation_id in self.operation_ids or s.handler in self.operation_ids):
            return False
        if self.methods is not None and s.method not in self.methods:
            return False
        if self.path is not None and not self.path(s.path):
            return False
        for key, pattern in self.keys:
            if not pattern(s.keys.get(key)):
                return False
        if self.api_key is not None and not self.api_key(s.api_key):
            return False
        if self.event_type is not None and s.event_type != self.event_type:
            return False
        return self.clock is None or self.clock.contains(s.elapsed)

    def counted(self, count: int) -> bool:
        """``count`` = how many subjects (this one included) passed :meth:`static` in this scope."""
        if self.nth is not None and count not in self.nth:
            return False
        return self.every_nth is None or count % self.every_nth == 0
