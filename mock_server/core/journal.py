"""The request journal: what clients sent and what the mock answered, bounded.

Oldest entries are dropped once ``capacity`` is reached (the count of
dropped entries is kept), so a long soak cannot exhaust memory. API keys
are masked wherever an entry is shown.

Recording is on every request's hot path, so an entry keeps what the
server already has (the raw query string, the ASGI header pairs, the body
bytes) and decodes, masks and clips only when someone reads the journal.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY_CHARS = 16 * 1024
_SECRET_HEADERS = ("x-api-key", "authorization")


@dataclass(slots=True)
class Entry:
    id: int
    time: int  # simulated Unix ms when the request arrived
    method: str
    path: str
    raw_query: bytes | Mapping[str, Any]  # the query string as received, or already a mapping
    raw_headers: Iterable[tuple[bytes, bytes]] | Mapping[str, str]  # ASGI header pairs, or a mapping
    raw_body: Any  # the body bytes as received (or an already decoded value)
    status: int = 0
    latency_ms: float = 0.0  # real (wall) time the mock spent, including scenario delays
    operation_id: str | None = None
    matched_rule: str | None = None

    @property
    def query(self) -> dict[str, Any]:
        if isinstance(self.raw_query, (bytes, str)):
            text = self.raw_query.decode("latin-1") if isinstance(self.raw_query, bytes) else self.raw_query
            return dict(parse_qsl(text, keep_blank_values=True))
        return dict(self.raw_query)

    @property
    def headers(self) -> dict[str, str]:
        pairs: Iterable[tuple[Any, Any]] = (
            self.raw_headers.items() if isinstance(self.raw_headers, Mapping) else self.raw_headers
        )
        out = {}
        for key, value in pairs:
            name = key.decode("latin-1") if isinstance(key, bytes) else key
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            out[name] = mask_secret(text) if name.lower() in _SECRET_HEADERS else text
        return out

    @property
    def body(self) -> Any:
        raw = self.raw_body
        if isinstance(raw, bytes):
            if not raw:
                return None
            try:
                decoded = json.loads(raw)
                # Only values that render back as strict JSON (no NaN, no lone surrogates).
                json.dumps(decoded, allow_nan=False, ensure_ascii=False).encode()
                raw = decoded
            except (UnicodeError, ValueError, RecursionError):
                raw = raw.decode("utf-8", "replace")
        return _clip(raw)

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

    def start(self, time_ms: int, method: str, path: str, query: Any, headers: Any, body: Any) -> Entry:
        """Record a request; ``query``/``headers``/``body`` may be raw (bytes, ASGI pairs) or decoded."""
        entry = Entry(next(self._ids), time_ms, method, path, query, headers, body)
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
