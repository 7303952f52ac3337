"""The dashboard's static files (``static/``), served by the mock itself: no CDN, no build step."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def names() -> list[str]:
    """The assets ``/_mock/ui/assets/{file}`` serves (the page itself is served at ``/_mock/ui``)."""
    return sorted(p.name for p in STATIC.iterdir() if p.suffix in CONTENT_TYPES and p.name != "index.html")


@lru_cache(maxsize=16)
def read(name: str) -> tuple[bytes, str] | None:
    """(content, content type) of a static file, or None when there is no such asset."""
    path = STATIC / name
    if "/" in name or "\\" in name or name.startswith(".") or path.suffix not in CONTENT_TYPES or not path.is_file():
        return None
    return path.read_bytes(), CONTENT_TYPES[path.suffix]
