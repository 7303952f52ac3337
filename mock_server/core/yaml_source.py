"""Safe YAML loading that remembers where each value came from, and refuses what is not plain JSON.

World and scenario files are validated after loading; this module lets an
error name the file and line of the offending value, e.g.
``scenarios/x.yaml:12: rules[0].respond.status: 99 is less than 100``.

These files come from users, and scenarios arrive over HTTP (``POST /_mock/scenarios``), so
loading is bounded before anything walks the document (docs/security.md):

* the document is first read as a stream of parser events (libyaml, iterative), counting
  nesting depth and the node count *after* alias expansion (an alias adds the size of its
  anchor), so a 555-byte "billion laughs" document is refused after reading 555 bytes,
  not after building 10^9 paths; a recursive alias is refused too;
* only JSON values are constructed (the YAML 1.2 JSON schema): ``!!binary``, ``!!set``,
  ``!!omap``, ``!!timestamp`` and any ``!custom`` tag are refused with their line; an
  unquoted date (``2024-01-01``) stays the string it looks like; ``.nan``, ``.inf`` and
  numbers too large for a double are refused; a key given twice in one mapping is refused
  instead of the last one winning silently.

Trusted files of the package itself (the specs, the JSON Schemas) go through :func:`safe_load`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import yaml

# libyaml's safe loader when PyYAML was built with it (the wheels are): the same safe
# subset of YAML, parsed in C, about 10x faster on the spec and the default world.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 64  # nesting of mappings and sequences; the deepest shipped world file needs 7
MAX_NODES = 200_000  # nodes after alias expansion; the default world has ~5,000, a 15,000-rule scenario ~150,000
MAX_ALIASES = 1_000  # alias uses per document (anchors are for a few shared blocks, not data)

_JSON_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "str", "seq", "map", "merge", "value")
)


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` through :data:`SafeLoader`, for the package's own trusted files."""
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
    """A parsed YAML document plus the line (1-based) of every node, keyed by path.

    The lines are worked out from the composed node tree on first use only: they are needed
    to report an error, and a valid 15,000-rule scenario should not pay for 150,000 paths.
    """

    def __init__(
        self, data: Any, lines: dict[tuple[Any, ...], int] | None, source: str, node: yaml.Node | None = None
    ) -> None:
        self.data = data
        self._lines = lines
        self._node = node
        self.source = source

    @property
    def lines(self) -> dict[tuple[Any, ...], int]:
        if self._lines is None:
            self._lines = {}
            if self._node is not None:
                _record_lines(self._node, self._lines)
            self._node = None
        return self._lines

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


# ── the JSON-only constructor ───────────────────────────────────────────


class _Refused(yaml.MarkedYAMLError):
    """A value that is valid YAML but not a JSON value (raised with the node's mark)."""


def _refuse_tag(loader: Any, node: yaml.Node) -> Any:
    raise _Refused(
        None,
        None,
        f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed (JSON values only)",
        node.start_mark,
    )


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        raise _Refused(
            None, None, f"{node.value!r} is not a finite number (JSON has no NaN or infinity)", node.start_mark
        )
    return value


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    if len(node.value) > 40:  # before int(): a 5,000-digit literal costs CPU and Python refuses >4,300
        raise _Refused(None, None, f"integer {node.value[:40]}... is out of range (at most 2^63)", node.start_mark)
    value = yaml.SafeLoader.construct_yaml_int(loader, node)
    if abs(value) > 2**63:
        raise _Refused(None, None, f"integer {node.value[:40]} is out of range (at most 2^63)", node.start_mark)
    return value


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *base` then overriding a key is what merge keys are for
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Refused(None, None, "a mapping key must be a scalar", key_node.start_mark)
        ident = (key_node.tag, key_node.value)
        if ident in seen:
            first = seen[ident].start_mark.line + 1
            raise _Refused(
                None, None, f"duplicate key {key_node.value!r} (first given at line {first})", key_node.start_mark
            )
        seen[ident] = key_node
    return yaml.SafeLoader.construct_mapping(loader, node)


def _construct_map(loader: Any, node: yaml.MappingNode) -> Any:
    data: dict[Any, Any] = {}
    yield data
    data.update(_construct_mapping(loader, node))


class JsonLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader restricted to JSON values: no timestamps, sets, binary or custom tags."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
    }
    yaml_constructors = dict(SafeLoader.yaml_constructors)


for _tag in list(JsonLoader.yaml_constructors):
    if _tag is None or _tag not in _JSON_TAGS:
        JsonLoader.yaml_constructors[_tag] = _refuse_tag
JsonLoader.yaml_constructors["tag:yaml.org,2002:float"] = _construct_float
JsonLoader.yaml_constructors["tag:yaml.org,2002:int"] = _construct_int
JsonLoader.yaml_constructors["tag:yaml.org,2002:map"] = _construct_map


# ── loading ─────────────────────────────────────────────────────────────


def load(text: str, source: str) -> Located:
    """Parse one YAML document (bounded, JSON values only); every refusal carries its line."""
    _check_bounds(text, source)
    loader = JsonLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise SourceError(source, exc.problem_mark.line + 1 if exc.problem_mark else None, str(exc.problem)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise SourceError(source, mark.line + 1 if mark else None, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        _raise_syntax_error(text, source)
        raise SourceError(source, None, f"invalid YAML: {exc}") from None  # libyaml-only rejection
    finally:
        loader.dispose()
    return Located(data, None, source, node)


def _check_bounds(text: str, source: str) -> None:
    """Read the event stream once: refuse deep nesting, too many aliases and too many expanded nodes.

    The size of every anchored node is known when its end event arrives, so an alias adds
    that size without expanding anything: the check is linear in the document's bytes.
    """
    sizes: dict[str, int] = {}  # anchor -> expanded node count
    stack: list[list[Any]] = []  # open collections: [expanded node count so far, anchor]
    expanded = aliases = 0
    try:
        for event in yaml.parse(text, Loader=SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    _bound(source, event, f"more than {MAX_ALIASES} aliases")
                if event.anchor not in sizes:
                    if any(frame[1] == event.anchor for frame in stack):
                        _bound(
                            source,
                            event,
                            f"alias *{event.anchor} refers to a node that contains it (a recursive structure)",
                        )
                    continue  # an undefined alias: the composer reports it with its line
                size = sizes[event.anchor]
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([1, event.anchor])
                expanded += 1
                if len(stack) > MAX_DEPTH:
                    _bound(source, event, f"nested more than {MAX_DEPTH} levels deep")
                continue
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                frame_size, anchor = stack.pop()
                if anchor is not None:
                    sizes[anchor] = frame_size
                if stack:
                    stack[-1][0] += frame_size
                continue
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            else:
                continue
            expanded += size
            if stack:
                stack[-1][0] += size
            if expanded > MAX_NODES:
                _bound(source, event, f"more than {MAX_NODES:,} values once aliases are expanded")
    except yaml.YAMLError as exc:
        _raise_syntax_error(text, source)  # the pure-Python parser's message names what it found
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise SourceError(
            source, mark.line + 1 if mark else None, f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from None


def _bound(source: str, event: yaml.Event, reason: str) -> None:
    mark = event.start_mark
    raise SourceError(source, mark.line + 1 if mark is not None else None, f"document too large: {reason}")


def _raise_syntax_error(text: str, source: str) -> None:
    """Re-read the events with the pure-Python parser (iterative, so deep nesting cannot recurse), whose
    messages say what it found ("expected ',' or ']', but got '<stream end>'"), and raise that as a SourceError."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    _bound(source, event, f"nested more than {MAX_DEPTH} levels deep")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError(source, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise SourceError(source, None, f"invalid YAML: {exc}") from None


def _record_lines(root: yaml.Node, lines: dict[tuple[Any, ...], int]) -> None:
    """The line of every path (a key's own line for a mapping value). Iterative; bounded by MAX_NODES."""
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[path + (key,)] = key_node.start_mark.line + 1
                stack.append((value_node, path + (key,)))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, path + (index,)))


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
