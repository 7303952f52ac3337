"""Geocoding and location typeahead over the known places of :mod:`.vocab`.

The pipeline mirrors the documented one: remote sentinels, placeholders, compound inputs
("A or B", "A and B", "A & B"), "City, ST" / "City, Country" patterns, bare place names, and a
per-world cache (a repeated input answers ``method: "cache"``).
"""

from __future__ import annotations

import re
from typing import Any

from . import vocab

_SPLIT = re.compile(r"\s+(?:or|and|&)\s+|\s*/\s*|\s*;\s*", re.IGNORECASE)
_N_LOCATIONS = re.compile(r"^\d+\s+locations?$", re.IGNORECASE)
_MULTI = re.compile(r"^(multiple|various|several|many|all)\s+locations?$", re.IGNORECASE)


def _place(city: tuple[Any, ...]) -> dict[str, Any]:
    return {
        "city": city[0],
        "region": city[1],
        "country": city[3],
        "latitude": city[6],
        "longitude": city[7],
        "display_name": f"{city[0]}, {city[1]}, {city[4]}",
        "country_code": city[4],
    }


def _resolve_one(text: str) -> tuple[list[dict[str, Any]], str] | None:
    """Places for one input part and the method that found them, or None."""
    low = " ".join(text.lower().split())
    if low in vocab.REMOTE_KEYWORDS:
        place = {"city": None, "region": None, "country": "Remote", "latitude": None, "longitude": None,
                 "display_name": "Remote", "country_code": None, "fuzzy_confidence": None}  # fmt: skip
        return [place], "remote_keyword"
    parts = [p.strip() for p in low.split(",") if p.strip()]
    if not parts:
        return None
    head, rest = parts[0], parts[1:]
    found = []
    for city in vocab.CITIES:
        if city[0].lower() != head:
            continue
        if all(r in (city[1].lower(), city[2].lower(), city[3].lower(), city[4].lower()) for r in rest):
            found.append(city)
    if found:
        return [{**_place(c), "fuzzy_confidence": None} for c in found[:1]], "pattern_parse" if rest else "geocoder"
    # A region or a country on its own: its first known city stands for it, low confidence.
    for city in vocab.CITIES:
        if head in (city[1].lower(), city[3].lower()) or (len(head) == 2 and head == city[4].lower()):
            return [{**_place(city), "city": None, "fuzzy_confidence": 0.6}], "geocoder"
    return None


def geocode(text: str, seen: set[str]) -> dict[str, Any]:
    """The geocode result body for ``text`` (``seen``: this world's cache of earlier inputs)."""
    key = " ".join(text.lower().split())
    stripped = key.strip()
    if _N_LOCATIONS.match(stripped) or _MULTI.match(stripped) or stripped in vocab.PLACEHOLDERS:
        return {"input": text, "succeeded": False, "locations": [], "method": "no_match",
                "error": "The input is a placeholder, not a location."}  # fmt: skip
    locations: list[dict[str, Any]] = []
    methods = []
    for part in (p for p in _SPLIT.split(text) if p and p.strip()):
        result = _resolve_one(part)
        if result is None:
            return {"input": text, "succeeded": False, "locations": [], "method": "no_match",
                    "error": f"Could not resolve '{part.strip()}' to a location."}  # fmt: skip
        locations += result[0]
        methods.append(result[1])
    if not locations:
        return {"input": text, "succeeded": False, "locations": [], "method": "no_match",
                "error": "The input is empty."}  # fmt: skip
    method = "cache" if key in seen else ("remote_keyword" if "remote_keyword" in methods else methods[0])
    seen.add(key)
    return {"input": text, "succeeded": True, "locations": locations, "method": method}


def suggest(q: str | None, limit: int) -> list[dict[str, Any]]:
    """Typeahead: prefix matches of the city name first, then other substring matches; each alphabetical."""
    text = (q or "").strip().lower()
    if len(text) < 2:
        return []
    prefix = sorted((c for c in vocab.CITIES if c[0].lower().startswith(text)), key=lambda c: c[0])
    other = sorted(
        (c for c in vocab.CITIES if not c[0].lower().startswith(text) and text in _place(c)["display_name"].lower()),
        key=lambda c: c[0],
    )
    return [_place(c) for c in (prefix + other)[:limit]]
