"""Safe YAML loading that remembers where each value came from.

World and scenario files are validated after loading; this module lets an
error name the file and line of the offending value, e.g.
``scenarios/x.yaml:12: rules[0].respond.status: 99 is less than 100``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same safe
# subset of YAML, parsed in C, about 10x faster on the spec and the default world.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through :data:`SafeLoader`."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader/CSafeLoader only


class SourceError(ValueError):
    """A user-supplied file (or body) is invalid: ``file:line: reason``."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {reason}")

    def as_dict(self) -> dict[str, Any]:
        return {"error": str(self), "file": self.source, "line": self.line, "reason": self.reason}


class Located:
    """A parsed YAML document plus the line (1-based) of every node, keyed by path."""

    def __init__(self, data: Any, lines: dict[tuple[Any, ...], int], source: str) -> None:
        self.data = data
        self.lines = lines
        self.source = source

    def line_of(self, path: Iterable[Any]) -> int | None:
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def error(self, path: Iterable[Any], reason: str) -> SourceError:
        path = tuple(path)
        return SourceError(self.source, self.line_of(path), f"{format_path(path)}: {reason}" if path else reason)


def format_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load(text: str, source: str) -> Located:
    """Parse one YAML document with the safe loader only; syntax errors carry their line."""
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        data = safe_load(text)
    except yaml.YAMLError as exc:
        _raise_syntax_error(text, source)
        raise SourceError(source, None, f"invalid YAML: {exc}") from None  # libyaml-only rejection
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _walk(node, (), lines)
    return Located(data, lines, source)


def _raise_syntax_error(text: str, source: str) -> None:
    """Re-parse with the pure-Python loader, whose messages say what it found instead
    ("expected ',' or ']', but got '<stream end>'"), and raise that as a SourceError."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError(source, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise SourceError(source, None, f"invalid YAML: {exc}") from None


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)


def validate(located: Located, schema_validator: Any) -> None:
    """Raise the first (by line) JSON-Schema error of the document as a :class:`SourceError`."""
    errors = sorted(
        schema_validator.iter_errors(located.data),
        key=lambda e: (located.line_of(e.absolute_path) or 0, len(e.absolute_path)),
    )
    if errors:
        err = errors[0]
        raise located.error(err.absolute_path, _describe(err))


def _describe(err: Any) -> str:
    if err.validator == "additionalProperties":
        return f"unknown key(s): {err.message.split('(')[-1].rstrip(')')}" if "(" in err.message else err.message
    return err.message
