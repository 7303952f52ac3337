"""The request journal: what clients sent and what the mock answered, bounded.

Oldest entries are dropped once ``capacity`` is reached (the count of
dropped entries is kept), so a long soak cannot exhaust memory. API keys
are masked before anything is stored.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

MAX_BODY_CHARS = 16 * 1024
_SECRET_HEADERS = ("x-api-key", "authorization")


@dataclass(slots=True)
class Entry:
    id: int
    time: int  # simulated Unix ms when the request arrived
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any
    status: int = 0
    latency_ms: float = 0.0  # real (wall) time the mock spent, including scenario delays
    operation_id: str | None = None
    matched_rule: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "latencyMs": round(self.latency_ms, 3),
            "operationId": self.operation_id,
            "matchedRule": self.matched_rule,
        }


def mask_secret(value: str) -> str:
    if value.lower().startswith("bearer "):
        return "Bearer " + mask_secret(value[7:])
    if len(value) <= 8:
        return "****"
    return f"{value[:6]}****{value[-4:]}"


@dataclass
class Journal:
    capacity: int = 1000
    entries: deque[Entry] = field(default_factory=deque)
    dropped: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def start(
        self, time_ms: int, method: str, path: str, query: dict[str, Any], headers: Any, body: Any
    ) -> Entry:
        kept = {k: (mask_secret(v) if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()}
        entry = Entry(next(self._ids), time_ms, method, path, query, kept, _clip(body))
        if self.capacity <= 0:
            self.dropped += 1
            return entry
        if len(self.entries) >= self.capacity:
            self.entries.popleft()
            self.dropped += 1
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()
        self.dropped = 0

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.entries]


def _clip(body: Any) -> Any:
    if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
        return body[:MAX_BODY_CHARS] + f"… ({len(body)} chars)"
    return body
