"""A request's header pairs as one bytes object: how the journal and the input log keep them.

``name\\0value`` per pair, pairs joined by ``\\n`` (neither byte can occur in an HTTP header name
or value: servers refuse them). One object instead of a list and a tuple per pair: a third of
the memory, and nothing for the cyclic collector to walk (bytes are not tracked), which matters
because every request's headers live on in the journal (issue 18: the collector's work per
request is the objects that outlive it). Packed once per request, shared by both.
"""

from __future__ import annotations

from collections.abc import Iterable


def pack(pairs: Iterable[tuple[bytes, bytes]]) -> bytes:
    """ASGI header pairs as one blob."""
    return b"\n".join([k + b"\0" + v for k, v in pairs])


def unpack(blob: bytes) -> list[tuple[bytes, bytes]]:
    """The ASGI header pairs of a blob made by :func:`pack`."""
    return [tuple(line.split(b"\0", 1)) for line in blob.split(b"\n")] if blob else []  # type: ignore[misc]


def size(blob: bytes) -> int:
    """Bytes of the names and values (what a server received), without the separators."""
    return len(blob) - 2 * blob.count(b"\n") - 1 if blob else 0
