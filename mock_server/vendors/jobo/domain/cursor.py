"""Opaque, tamper-evident cursors: ``base64url(json payload) . base64url(HMAC-SHA256)``.

The payload carries the scan's filters, batch size and position, and is bound to the key and the
operation that issued it, so a continuation needs nothing but the cursor and an altered or
borrowed cursor is refused (decision J13) instead of silently paging something else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from .errors import InvalidCursor


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_tag(api_key: str) -> str:
    """A short, non-reversible tag of the API key (the key itself never goes into a cursor)."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


class CursorSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    def encode(self, payload: dict[str, Any]) -> str:
        body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(body)}"

    def decode(self, token: str, *, operation: str, api_key: str) -> dict[str, Any]:
        """The payload of a cursor this world issued for ``operation`` and ``api_key``, else InvalidCursor."""
        if not isinstance(token, str) or token.count(".") != 1 or len(token) > 4096:
            raise InvalidCursor()
        body, mac = token.split(".")
        if not body or not hmac.compare_digest(mac.encode("ascii", "replace"), self._mac(body).encode()):
            raise InvalidCursor()
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error) as exc:
            raise InvalidCursor() from exc
        if not isinstance(payload, dict) or payload.get("op") != operation or payload.get("k") != key_tag(api_key):
            raise InvalidCursor()
        return payload
