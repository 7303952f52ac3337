"""The request journal: what clients sent and what the mock answered, bounded.

Oldest entries are dropped once ``capacity`` is reached (the count of
dropped entries is kept), so a long soak cannot exhaust memory. API keys
are masked wherever an entry is shown.

Recording is on every request's hot path, so an entry keeps what the
server already has (the raw query string, the ASGI header pairs, the body
bytes, the response object that was sent) and decodes, masks and clips only
when someone reads the journal.
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
# Bytes of a response body an entry keeps: a larger body keeps its start (what the journal shows of a
# long text anyway) and its size, so a journal of 1,000 entries never holds 1,000 copies of a 2.7 MB
# Jobo feed page (it did: 2.7 GB).
RESPONSE_BODY_LIMIT = MAX_BODY_CHARS
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
    # The response as sent: an object with ``status_code``, ``body`` (bytes) and either
    # ``raw_headers`` (ASGI pairs, a Starlette Response) or ``headers`` (a dict). None: none sent.
    raw_response: Any = None

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
        return _decode_body(self.raw_body)

    @property
    def api_key(self) -> str | None:
        """The key the request was made with (``x-api-key``, else a Bearer token), unmasked; None if none."""
        pairs: Iterable[tuple[Any, Any]] = (
            self.raw_headers.items() if isinstance(self.raw_headers, Mapping) else self.raw_headers
        )
        bearer = None
        for key, value in pairs:
            name = (key.decode("latin-1") if isinstance(key, bytes) else key).lower()
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if name == "x-api-key":
                return text
            if name == "authorization" and text[:7].lower() == "bearer ":
                bearer = text[7:]
        return bearer

    def response_raw(self) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """``(status, header pairs, body bytes)`` of the response as sent; None when none was (a dropped connection)."""
        raw = self.raw_response
        if raw is None or not getattr(raw, "status_code", 0):
            return None
        pairs = getattr(raw, "raw_headers", None)
        if pairs is None:  # the API pipeline's own JSON reply: a dict of extra headers
            pairs = [(b"content-type", b"application/json")]
            pairs += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (getattr(raw, "headers", None) or {}).items()]
        return raw.status_code, list(pairs), bytes(getattr(raw, "body", b"") or b"")

    @property
    def response(self) -> dict[str, Any] | None:
        raw = self.response_raw()
        if raw is None:
            return None
        status, pairs, body = raw
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in pairs}
        size = getattr(self.raw_response, "size", None)
        if size is not None:  # a large body, kept in part (see keep_response)
            shown: Any = body[:MAX_BODY_CHARS].decode("utf-8", "replace") + f"… ({size} bytes)"
        else:
            shown = _decode_body(body)
        return {"status": status, "headers": headers, "body": shown}

    def mentions(self, text: str) -> bool:
        """Whether ``text`` occurs in the request's query or body or in the response body (raw bytes, no decoding)."""
        needle = text.encode()
        for raw in (self.raw_query, self.raw_body, getattr(self.raw_response, "body", None)):
            if isinstance(raw, (bytes, bytearray)):
                if needle in raw:
                    return True
            elif raw is not None and text in json.dumps(raw, default=str):
                return True
        return False

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
            "response": self.response,
        }


@dataclass(slots=True)
class SentResponse:
    """A response as a journal entry keeps it when it was not built here (a restored snapshot's)."""

    status_code: int
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes


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

    def select(
        self,
        *,
        operation_id: str | None = None,
        status: int | None = None,
        api_key: str | None = None,
        matched_rule: str | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Entry]:
        """The entries that pass every given filter, oldest first; ``limit`` keeps the newest.

        Filters read the raw fields, so only the entries returned are ever decoded.
        ``api_key`` may be given in full or masked; ``matched_rule="*"`` means any rule.
        """
        entries: Iterable[Entry] = self.entries
        if after is not None:
            entries = (e for e in entries if e.id > after)
        if operation_id is not None:
            entries = (e for e in entries if e.operation_id == operation_id)
        if status is not None:
            entries = (e for e in entries if e.status == status)
        if matched_rule is not None:
            entries = (e for e in entries if e.matched_rule is not None and matched_rule in ("*", e.matched_rule))
        if api_key is not None:
            if "****" in api_key:  # masked as the journal shows it: every key masked alike
                entries = (e for e in entries if (key := e.api_key) is not None and mask_secret(key) == api_key)
            else:
                entries = (e for e in entries if e.api_key == api_key)
        selected = list(entries)
        return selected[-limit:] if limit is not None else selected


@dataclass(slots=True)
class KeptResponse:
    """What an entry keeps of a response whose body is larger than :data:`RESPONSE_BODY_LIMIT`."""

    status_code: int
    headers: Any  # the reply's extra headers (a dict), as the API pipeline's replies carry them
    raw_headers: list[tuple[bytes, bytes]] | None  # or the ASGI pairs of a Starlette response
    body: bytes  # the first RESPONSE_BODY_LIMIT bytes
    size: int  # the whole body's length


def keep_response(response: Any) -> Any:
    """The response as a journal entry keeps it: itself, or its start and size when its body is large."""
    body = getattr(response, "body", None)
    if not isinstance(body, (bytes, bytearray)) or len(body) <= RESPONSE_BODY_LIMIT:
        return response
    raw_headers = getattr(response, "raw_headers", None)
    headers = None if raw_headers is not None else getattr(response, "headers", None)
    return KeptResponse(response.status_code, headers, raw_headers, bytes(body[:RESPONSE_BODY_LIMIT]), len(body))


def _decode_body(raw: Any) -> Any:
    """A body as the journal shows it: parsed JSON, else text, else None when empty; long text clipped."""
    if isinstance(raw, (bytes, bytearray)):
        if not raw:
            return None
        try:
            decoded = json.loads(raw)
            # Only values that render back as strict JSON (no NaN, no lone surrogates).
            json.dumps(decoded, allow_nan=False, ensure_ascii=False).encode()
            raw = decoded
        except (UnicodeError, ValueError, RecursionError):
            raw = bytes(raw).decode("utf-8", "replace")
    return _clip(raw)


def _clip(body: Any) -> Any:
    if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
        return body[:MAX_BODY_CHARS] + f"… ({len(body)} chars)"
    return body
