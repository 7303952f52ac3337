"""World files, vendor-neutral: parse with line numbers, validate against the vendor's schema, merge.

A vendor's world (``vendors/<name>/world.py``) subclasses :class:`World`, naming its JSON
Schema, its default world and the lists that merge by id, and implements :meth:`World.build`
(the description -> a fresh backend on a clock). Reset builds again from the same description,
so "back to the world as loaded at start" is exact. Every error is ``FILE:LINE: reason``.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import jsonschema

from . import yaml_source
from .clock import Clock


@lru_cache(maxsize=8)
def _validator(resource: str) -> jsonschema.Draft202012Validator:
    text = resources.files("mock_server").joinpath(resource).read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(yaml_source.safe_load(text), format_checker=jsonschema.FormatChecker())


@lru_cache(maxsize=8)
def _default(resource: str, schema: str) -> dict[str, Any]:
    """A vendor's default world, parsed and validated once per process; callers get a copy."""
    text = resources.files("mock_server").joinpath(resource).read_text(encoding="utf-8")
    return parse_located(text, "<default world>", schema).data


def parse_located(text: str, source: str, schema: str) -> yaml_source.Located:
    """Load a world document with its line numbers and validate it against ``schema`` (a package resource)."""
    located = yaml_source.load(text, source)
    if located.data is None:
        located.data = {}
    if not isinstance(located.data, dict):
        raise yaml_source.SourceError(source, 1, "a world file must be a mapping")
    yaml_source.validate(located, _validator(schema))
    return located


def check_unique_ids(located: yaml_source.Located, merged_lists: dict[str, str]) -> None:
    """Two items of one list with the same id in one file: refused at the second one's line.

    Across files an id replaces the default world's item (that is how a world file edits the
    default one); inside one file the last one would win silently, hiding the first.
    """
    for section, id_key in merged_lists.items():
        first: dict[Any, int] = {}
        for index, item in enumerate(located.data.get(section) or []):
            if not isinstance(item, dict) or id_key not in item:
                continue
            value = item[id_key]
            if value in first:
                line = located.line_of((section, first[value], id_key))
                raise located.error(
                    (section, index, id_key), f"duplicate {id_key} {value!r} (first given at line {line})"
                )
            first[value] = index


def merge(base: dict[str, Any], overlay: dict[str, Any], merged_lists: dict[str, str]) -> dict[str, Any]:
    """Overlay wins: the lists named in ``merged_lists`` merge by their id key, settings merge key by key."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        if key in merged_lists:
            id_key = merged_lists[key]
            index = {item[id_key]: i for i, item in enumerate(merged.get(key, []))}
            out = merged.setdefault(key, [])
            for item in value:
                if item[id_key] in index:
                    out[index[item[id_key]]] = copy.deepcopy(item)
                else:
                    out.append(copy.deepcopy(item))
        elif key == "settings":
            settings = merged.setdefault("settings", {})
            for name, section in value.items():
                if isinstance(section, dict) and isinstance(settings.get(name), dict):
                    settings[name] = {**settings[name], **section}
                else:
                    settings[name] = section
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_W = TypeVar("_W", bound="World")  # a vendor's World subclass: default() and from_file() return it


_MESSAGE_PATH = re.compile(r"^([A-Za-z_][\w-]*(?:\.[A-Za-z_~][\w~-]*|\[\d+\])*)(?=[:\s])")


def located_error(located: yaml_source.Located, exc: Exception) -> yaml_source.SourceError:
    """A semantic error of a world file, at the line of the setting its message starts with.

    Checks a JSON Schema cannot make (a rate-limit group that is not an operation, a latency
    stage with median > p95) say what is wrong as ``settings.rateLimits.apply: ...``; this puts
    ``FILE:LINE`` in front, like schema errors get.
    """
    message = str(exc)
    found = _MESSAGE_PATH.match(message)
    path: list[str | int] = []
    if found:
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", found.group(1)):
            path.append(int(part[1:-1]) if part.startswith("[") else part)
    return yaml_source.SourceError(located.source, located.line_of(path) if path else None, message)


class World:
    """A validated world description plus the seed that generates its filler; subclass per vendor."""

    vendor: ClassVar[Any]  # the Vendor this world belongs to (Runtime reads it)
    schema_resource: ClassVar[str]  # package resource: the world file's JSON Schema
    default_resource: ClassVar[str]  # package resource: the default world
    merged_lists: ClassVar[dict[str, str]] = {}  # list name -> the id key its items merge by

    def __init__(self, data: dict[str, Any], seed: int = 0) -> None:
        self.data = data
        self.seed = seed

    @classmethod
    def default_data(cls) -> dict[str, Any]:
        return copy.deepcopy(_default(cls.default_resource, cls.schema_resource))

    @classmethod
    def default(cls: type[_W], seed: int = 0) -> _W:
        return cls(cls.default_data(), seed)

    @classmethod
    def parse_text(cls, text: str, source: str) -> dict[str, Any]:
        """Load and validate a world document; errors name ``source`` and the line."""
        return parse_located(text, source, cls.schema_resource).data

    @classmethod
    def merge(cls, base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
        return merge(base, overlay, cls.merged_lists)

    @classmethod
    def from_file(cls: type[_W], path: str | Path, seed: int | None = None) -> _W:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            raise yaml_source.SourceError(str(path), None, f"cannot read world file: {reason}") from None
        located = parse_located(text, str(path), cls.schema_resource)
        check_unique_ids(located, cls.merged_lists)
        overlay = located.data
        base = {} if overlay.get("default") is False else cls.default_data()
        merged = cls.merge(base, overlay)
        cls.check_references(merged, located)
        return cls(merged, seed if seed is not None else int(overlay.get("seed", 0)))

    @classmethod
    def check_references(cls, data: dict[str, Any], located: yaml_source.Located) -> None:
        """Cross-references a schema cannot check (override); raise SourceError at the overlay's line."""

    def settings_section(self, name: str) -> dict[str, Any]:
        """A raw ``settings.<name>`` mapping, for the engine's parts (journal, webhooks...)."""
        return dict(self.data.get("settings", {}).get(name) or {})

    def build(self, clock: Clock) -> Any:
        raise NotImplementedError
