"""The request journal: what clients sent and what the mock answered, bounded.

Oldest entries are dropped once ``capacity`` is reached (the count of
dropped entries is kept), so a long soak cannot exhaust memory. API keys
are masked wherever an entry is shown.

Recording is on every request's hot path, so an entry keeps what the
server already has (the raw query string, the header pairs packed once into
one bytes object (:mod:`.header_blob`), the body bytes, the response object
that was sent), cut to the limits below, and decodes and masks only when
someone reads the journal.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from . import header_blob

MAX_BODY_CHARS = 16 * 1024  # bytes (or characters) of a body an entry keeps; the rest is cut at recording
MAX_HEADER_VALUE = 1024  # bytes of one header value an entry keeps
MAX_HEADERS = 8 * 1024  # bytes of header names and values an entry keeps (later headers are left out)
MAX_QUERY = 4 * 1024  # bytes of the query string an entry keeps
DEFAULT_MAX_BYTES = 16 * 1024 * 1024  # what all entries together may keep (settings.journal.maxBytes)
# Bytes of a response body an entry keeps: a larger body keeps its start (what the journal shows of a
# long text anyway) and its size, so a journal of 1,000 entries never holds 1,000 copies of a 2.7 MB
# Jobo feed page (it did: 2.7 GB).
RESPONSE_BODY_LIMIT = MAX_BODY_CHARS
_ENTRY_OVERHEAD = 512  # bytes an entry costs besides its kept data (the object, its fields)
# Names (lower-case, without - and _) of headers, query parameters and JSON fields that carry
# credentials: their values are masked wherever the journal is shown.
_SECRET_NAMES = frozenset(
    {
        "xapikey",
        "apikey",
        "apitoken",
        "authorization",
        "proxyauthorization",
        "accesstoken",
        "refreshtoken",
        "secret",
        "clientsecret",
        "password",
        "legacykey",
    }
)


@dataclass(slots=True)
class Entry:
    id: int
    time: int  # simulated Unix ms when the request arrived
    method: str
    path: str
    raw_query: bytes | Mapping[str, Any]  # the query string as received, or already a mapping
    # header pairs packed by header_blob (the API pipeline), ASGI header pairs, or a mapping
    raw_headers: bytes | Iterable[tuple[bytes, bytes]] | Mapping[str, str]
    raw_body: Any  # the body bytes as received (or an already decoded value)
    status: int = 0
    latency_ms: float = 0.0  # real (wall) time the mock spent, including scenario delays
    operation_id: str | None = None
    matched_rule: str | None = None
    body_bytes: int = 0  # size of the body as received
    header_bytes: int = 0  # size of the header names and values as received
    truncated: bool = False  # the body, headers or query were cut to the journal's limits
    kept: int = 0  # bytes this entry keeps (counted against Journal.max_bytes)
    # The response as sent: an object with ``status_code``, ``body`` (bytes) and either
    # ``raw_headers`` (ASGI pairs, a Starlette Response) or ``headers`` (a dict). None: none sent.
    raw_response: Any = None

    @property
    def query(self) -> dict[str, Any]:
        if isinstance(self.raw_query, (bytes, str)):
            text = self.raw_query.decode("latin-1") if isinstance(self.raw_query, bytes) else self.raw_query
            pairs = parse_qsl(text, keep_blank_values=True)
        else:
            pairs = list(self.raw_query.items())
        return {k: mask_secret(v) if isinstance(v, str) and is_secret_name(k) else v for k, v in pairs}

    def header_pairs(self) -> Iterable[tuple[Any, Any]]:
        """The request's headers as (name, value) pairs, bytes or text as they were kept."""
        raw = self.raw_headers
        if isinstance(raw, bytes):
            return header_blob.unpack(raw)
        return raw.items() if isinstance(raw, Mapping) else raw

    @property
    def headers(self) -> dict[str, str]:
        pairs = self.header_pairs()
        out = {}
        for key, value in pairs:
            name = key.decode("latin-1") if isinstance(key, bytes) else key
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            lower = name.lower()
            out[name] = mask_cookie(text) if lower == "cookie" else mask_secret(text) if is_secret_name(lower) else text
        return out

    @property
    def body(self) -> Any:
        return _decode_body(self.raw_body, self.body_bytes)

    @property
    def api_key(self) -> str | None:
        """The key the request was made with (``x-api-key``, else a Bearer token), unmasked; None if none."""
        pairs = self.header_pairs()
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
            pairs += [
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in (getattr(raw, "headers", None) or {}).items()
            ]
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
            shown = _decode_body(body, len(body))
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
            "bodyBytes": self.body_bytes,
            "headerBytes": self.header_bytes,
            "truncated": self.truncated,
            "response": self.response,
        }


@dataclass(slots=True)
class SentResponse:
    """A response as a journal entry keeps it when it was not built here (a restored snapshot's)."""

    status_code: int
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes


def mask_secret(value: str) -> str:
    """A secret as it may be shown: at most a third of its characters (and never more than 10),
    split between its start and its end; one ``*`` per hidden character (at most 16), so keys that
    differ only in the middle or in length still look different. Up to 5 characters: ``****``."""
    if value[:7].lower() == "bearer ":
        return value[:7] + mask_secret(value[7:])
    if value[:6].lower() == "basic ":
        return value[:6] + mask_secret(value[6:])
    visible = min(10, len(value) // 3)
    if visible < 2:
        return "****"
    tail = min(4, visible // 2)
    head = visible - tail
    return f"{value[:head]}{'*' * min(16, len(value) - visible)}{value[-tail:]}"


def is_secret_name(name: str) -> bool:
    """Whether a header, query parameter or JSON field called ``name`` carries a credential."""
    return name.lower().replace("-", "").replace("_", "") in _SECRET_NAMES


def mask_cookie(value: str) -> str:
    """Every cookie's value masked (a cookie is as good as a key), names kept."""
    parts = []
    for part in value.split(";"):
        name, sep, cookie = part.partition("=")
        parts.append(f"{name}={mask_secret(cookie.strip())}" if sep else mask_secret(part))
    return ";".join(parts)


def mask_fields(value: Any, depth: int = 0) -> Any:
    """A JSON value with the string of every credential-named field masked (nesting bounded)."""
    if depth > 32:
        return value
    if isinstance(value, dict):
        return {
            # a value a vendor already masked ("****" in it) is not masked again
            k: mask_secret(v)
            if isinstance(v, str) and is_secret_name(str(k)) and "****" not in v
            else mask_fields(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_fields(v, depth + 1) for v in value]
    return value


@dataclass
class Journal:
    """The newest ``capacity`` entries, keeping at most ``max_bytes`` of request data in all.

    Each entry keeps at most :data:`MAX_BODY_CHARS` of its body, :data:`MAX_HEADERS` of its
    headers (values cut at :data:`MAX_HEADER_VALUE`) and :data:`MAX_QUERY` of its query, with the
    sizes as received; so 1,000 requests with 8 MiB headers cost kilobytes, not gigabytes.
    """

    capacity: int = 1000
    max_bytes: int = DEFAULT_MAX_BYTES
    entries: deque[Entry] = field(default_factory=deque)
    dropped: int = 0
    kept_bytes: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def start(self, time_ms: int, method: str, path: str, query: Any, headers: Any, body: Any) -> Entry:
        """Record a request; ``query``/``headers``/``body`` may be raw (bytes, ASGI pairs) or decoded."""
        truncated = False
        body_bytes = len(body) if isinstance(body, (bytes, str)) else 0
        if body_bytes > MAX_BODY_CHARS:
            body, truncated = body[:MAX_BODY_CHARS], True
        if isinstance(query, (bytes, str)) and len(query) > MAX_QUERY:
            query, truncated = query[:MAX_QUERY], True
        headers, header_bytes, clipped = _keep_headers(headers)
        entry = Entry(next(self._ids), time_ms, method, path, query, headers, body)
        entry.body_bytes, entry.header_bytes, entry.truncated = body_bytes, header_bytes, truncated or clipped
        if self.capacity <= 0:
            self.dropped += 1
            return entry
        entry.kept = _ENTRY_OVERHEAD + min(body_bytes, MAX_BODY_CHARS) + min(header_bytes, MAX_HEADERS) + len(query)
        self.entries.append(entry)
        self.kept_bytes += entry.kept
        self._evict()
        return entry

    def responded(self, entry: Entry, response: Any) -> None:
        """Keep the response sent for ``entry`` (a large body: its start and size, :func:`keep_response`);
        what is kept of its body counts against :attr:`max_bytes` too."""
        entry.raw_response = keep_response(response)
        size = len(getattr(entry.raw_response, "body", b"") or b"")
        if entry.kept and size:
            entry.kept += size
            self.kept_bytes += size
            self._evict()

    def _evict(self) -> None:
        while len(self.entries) > self.capacity or (self.kept_bytes > self.max_bytes and len(self.entries) > 1):
            gone = self.entries.popleft()
            self.kept_bytes -= gone.kept
            gone.kept = 0  # no longer counted: a late response is not added (responded)
            self.dropped += 1

    def clear(self) -> None:
        for entry in self.entries:
            entry.kept = 0
        self.entries.clear()
        self.dropped = 0
        self.kept_bytes = 0

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


def _keep_headers(headers: Any) -> tuple[Any, int, bool]:
    """``(headers to keep, size as received, whether anything was cut)``; the common case costs one sum.

    A packed blob (:mod:`.header_blob`) no longer than one value's limit fits by construction:
    it is kept as it is; a longer one is checked pair by pair and, if cut, kept packed again."""
    if isinstance(headers, bytes):
        size = header_blob.size(headers)
        if len(headers) <= MAX_HEADER_VALUE:
            return headers, size, False
        pairs_kept, _size, cut = _keep_headers(header_blob.unpack(headers))
        return (header_blob.pack(pairs_kept) if cut else headers), size, cut
    pairs = headers if type(headers) is list else list(headers.items()) if isinstance(headers, Mapping) else headers
    size = longest = 0
    for k, v in pairs:  # one plain loop: this runs on every request (two generators cost twice as much)
        n = len(v)
        size += len(k) + n
        if n > longest:
            longest = n
    if size <= MAX_HEADERS and longest <= MAX_HEADER_VALUE:
        return headers, size, False
    kept: list[tuple[Any, Any]] = []
    budget = MAX_HEADERS
    for name, value in pairs:
        if len(value) > MAX_HEADER_VALUE:
            marker = f"... ({len(value)} bytes)"
            value = value[:MAX_HEADER_VALUE] + (marker.encode() if isinstance(value, bytes) else marker)
        budget -= len(name) + len(value)
        if budget < 0:
            break
        kept.append((name, value))
    return kept, size, True


def _decode_body(raw: Any, size: int = 0) -> Any:
    """A body as the journal shows it: parsed JSON (credential fields masked), else text, else None when
    empty; a body cut at recording says its size as received, long text is clipped."""
    if isinstance(raw, (bytes, bytearray)):
        if not raw:
            return None
        try:
            decoded = json.loads(raw)
            # Only values that render back as strict JSON (no NaN, no lone surrogates).
            json.dumps(decoded, allow_nan=False, ensure_ascii=False).encode()
            raw = mask_fields(decoded)
        except (UnicodeError, ValueError, RecursionError):
            raw = bytes(raw).decode("utf-8", "replace")
            if size > MAX_BODY_CHARS:
                return f"{raw}… ({size} bytes)"
    elif isinstance(raw, str) and size > len(raw):
        return f"{raw}… ({size} chars)"
    return _clip(raw)


def _clip(body: Any) -> Any:
    if isinstance(body, str) and len(body) > MAX_BODY_CHARS:
        return body[:MAX_BODY_CHARS] + f"… ({len(body)} chars)"
    return body
