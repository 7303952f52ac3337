"""Idempotency keys of application creates: a key binds the body (as canonical JSON) for a window.

Decision J25: only an accepted create binds its key; the same key and body re-attach to the same
application; the same key with another body is ``idempotency_key_reuse``; a binding older than
the window (24 simulated hours) is forgotten, so the key may create anew.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

WINDOW_SECONDS = 24 * 3600.0


def body_digest(body: Any) -> str:
    """SHA-256 of the body as canonical JSON (key order and whitespace do not count)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Binding:
    digest: str
    application_id: str
    expires_at: float


class IdempotencyStore:
    """Per API key: key -> binding."""

    def __init__(self, window_seconds: float = WINDOW_SECONDS) -> None:
        self.window = window_seconds
        self._bindings: dict[tuple[str, str], Binding] = {}

    def lookup(self, api_key: str, key: str, now: float) -> Binding | None:
        binding = self._bindings.get((api_key, key))
        if binding is not None and binding.expires_at <= now:
            del self._bindings[(api_key, key)]
            return None
        return binding

    def bind(self, api_key: str, key: str, digest: str, application_id: str, now: float) -> Binding:
        binding = Binding(digest, application_id, now + self.window)
        self._bindings[(api_key, key)] = binding
        return binding

    def __len__(self) -> int:
        return len(self._bindings)
