"""Load the OpenAPI documents once and compile every operation for the request pipeline.

Routes come from the spec's paths and operationIds; nothing else declares a
route. Each :class:`Operation` carries its compiled validators, so no spec
lookup or schema compilation happens per request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError

from .yaml_source import safe_load

_METHODS = ("get", "post", "put", "delete", "patch")


def spec_path(name: str) -> Path:
    """Where ``openapi/<name>`` lives: inside the installed package, else the source checkout.

    An absolute path is taken as it is (a vendor whose spec lives outside this package)."""
    if Path(name).is_absolute():
        return Path(name)
    packaged = resources.files("mock_server").joinpath("openapi").joinpath(name)
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "openapi" / name


@lru_cache(maxsize=4)
def load_spec(name: str = "uphunt.yaml") -> dict[str, Any]:
    return safe_load(spec_path(name).read_text())


@dataclass(slots=True)
class Param:
    name: str
    location: str  # query | path | header
    required: bool
    schema: dict[str, Any]
    kind: str  # the JSON type the raw string converts to


@dataclass(slots=True)
class Operation:
    operation_id: str
    handler: str  # x-mock-handler, else operationId: aliases share a handler
    method: str
    path: str
    params: list[Param]
    params_validator: SchemaCheck | None
    body_validator: SchemaCheck | None
    body_required: bool
    accepts_bearer: bool
    authenticated: bool
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    # x-mock-effect: `read` (changes nothing: safe against a real service), `write` or `spend` (costs money)
    effect: str = "read"
    # x-mock-error-dialect: which of the vendor's error shapes this operation answers in
    dialect: str = "default"
    # false when the request body is not JSON (e.g. multipart): the handler gets the raw bytes
    body_json: bool = True
    # x-mock-max-body-bytes: this operation's request body limit (None: the pipeline's default)
    max_body_bytes: int | None = None


class SchemaCheck:
    """One compiled schema, two engines: a Rust validator decides (about 0.4 µs for an apply
    body, against ~140 µs in pure Python) and, only for an invalid value, the ``jsonschema``
    validator explains every error, which the 400/422 classification and messages need."""

    __slots__ = ("fast", "full", "schema")

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.full = Draft202012Validator(schema)
        # Formats are annotations in 2020-12 (the full validator has no format checker either).
        self.fast = jsonschema_rs.validator_for(schema, validate_formats=False)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        if self.fast.is_valid(instance):
            return iter(())
        return self.full.iter_errors(instance)

    def is_valid(self, instance: Any) -> bool:
        """The Rust validator's verdict alone: what every valid request pays."""
        return bool(self.fast.is_valid(instance))


def _validator(schema: dict[str, Any], components: dict[str, Any]) -> SchemaCheck:
    return SchemaCheck({**schema, "components": components})


def _kind(schema: dict[str, Any]) -> str:
    t = schema.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    return t


def compile_operations(spec: dict[str, Any]) -> list[Operation]:
    """Every operation of ``spec``, literal paths before templated ones (so routing is unambiguous)."""
    components = spec.get("components", {})
    global_security = spec.get("security", [])
    ops: list[Operation] = []
    for path, item in spec.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in _METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [_resolve(p, spec) for p in shared + op.get("parameters", [])]
            compiled = [
                Param(p["name"], p["in"], bool(p.get("required")), p.get("schema", {}), _kind(p.get("schema", {})))
                for p in params
                if p["in"] in ("query", "path")
            ]
            params_validator = None
            if compiled:
                params_validator = _validator(
                    {
                        "type": "object",
                        "properties": {p.name: p.schema for p in compiled},
                        "required": [p.name for p in compiled if p.required],
                    },
                    components,
                )
            body_validator, body_required, body_json = None, False, True
            body = op.get("requestBody")
            if body is not None:
                body = _resolve(body, spec)
                media = body.get("content", {}).get("application/json")
                if media and "schema" in media:
                    body_validator = _validator(media["schema"], components)
                body_required = bool(body.get("required"))
                body_json = media is not None or not body.get("content")
            security = op.get("security", global_security)
            schemes = {name for requirement in security for name in requirement}
            ops.append(
                Operation(
                    operation_id=op["operationId"],
                    handler=op.get("x-mock-handler", op["operationId"]),
                    method=method.upper(),
                    path=path,
                    params=compiled,
                    params_validator=params_validator,
                    body_validator=body_validator,
                    body_required=body_required,
                    accepts_bearer=any(_is_bearer(spec, s) for s in schemes),
                    authenticated=bool(schemes),
                    raw=op,
                    effect=op.get("x-mock-effect", "read" if method == "get" else "write"),
                    dialect=op.get("x-mock-error-dialect", "default"),
                    body_json=body_json,
                    max_body_bytes=op.get("x-mock-max-body-bytes"),
                )
            )
    ops.sort(key=lambda o: ("{" in o.path, o.path))
    return ops


def _is_bearer(spec: dict[str, Any], scheme_name: str) -> bool:
    scheme = spec.get("components", {}).get("securitySchemes", {}).get(scheme_name, {})
    return scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"


def _resolve(obj: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in obj:
        node: Any = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj
