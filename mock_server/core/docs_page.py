"""``/docs``: the API reference people read, for every spec the app serves, offline.

Swagger UI renders each spec (Markdown, examples, schemas, webhooks) with try-it-out aimed at the
running mock and the demo API key filled in. Its files come from the ``swagger-ui-py`` wheel
(Swagger UI 5, which reads OpenAPI 3.1) and are served from ``/docs/assets/``: the page never
needs the network. Routes, all GET:

* ``/docs?spec=NAME``: the page (the first spec without ``spec``); a bar on top switches specs and
  links the guides, the dashboard (``/_mock/ui``) and the raw JSON;
* ``/docs/specs/NAME.json``: the copy the UI shows (:mod:`.docs_notes`), ``servers`` set to the
  page's origin so "Try it out" calls this mock;
* ``/docs/guides`` and ``/docs/guides/NAME``: the mock's guides rendered (:mod:`.docs_guides`);
* ``/docs/assets/FILE``: Swagger UI's bundle, stylesheet and licence, and this page's own files.

:func:`docs_routes` is generic: it takes the list of specs the app serves and knows no vendor.
"""

from __future__ import annotations

import hashlib
import html
import importlib.util
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .docs_guides import GUIDES_URL, guides, render_guide
from .docs_notes import annotated

DASHBOARD_URL = "/_mock/ui"
ASSETS_URL = "/docs/assets"
_STATIC = Path(__file__).with_name("docs_static")
# name -> (file inside the swagger-ui-py wheel's static folder, or None for ours, content type)
_ASSETS: dict[str, tuple[str | None, str]] = {
    "swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    "swagger-ui.css": ("swagger-ui.css", "text/css; charset=utf-8"),
    "swagger-ui-LICENSE.txt": ("LICENSE", "text/plain; charset=utf-8"),
    "favicon.png": ("favicon-32x32.png", "image/png"),
    "docs.js": (None, "text/javascript; charset=utf-8"),
    "docs.css": (None, "text/css; charset=utf-8"),
}
_ASSET_CACHE = "public, max-age=86400"  # revalidated by ETag after a day; pages themselves are no-cache


@dataclass(frozen=True)
class ServedSpec:
    """One OpenAPI document the app serves: ``name`` in URLs, ``label`` in the bar, ``url`` of the JSON."""

    name: str
    label: str
    url: str
    spec: dict[str, Any]


def docs_routes(specs: Sequence[ServedSpec], demo_key: Callable[[], str | None]) -> list[Route]:
    """The ``/docs`` routes for ``specs`` (the first is the default); ``demo_key`` is read per page load."""
    by_name = {s.name: s for s in specs}
    views: dict[str, dict[str, Any]] = {}  # annotated copies, made on first request

    def not_found(what: str) -> Response:
        return JSONResponse({"error": what}, status_code=404)

    async def page(request: Request) -> Response:
        name = request.query_params.get("spec")
        served = by_name.get(name) if name is not None else specs[0]
        if served is None:
            return not_found(f"No spec named {name!r}; this mock serves: {', '.join(by_name)}")
        config = {
            "specUrl": f"/docs/specs/{served.name}.json",
            "preauthorize": _preauthorize(served.spec, demo_key()),
        }
        title = str(served.spec.get("info", {}).get("title", served.label))
        body = f'<main id="swagger-ui" class="reference"></main>\n<script type="application/json" id="docs-config">{_json_in_html(config)}</script>'
        scripts = [f"{ASSETS_URL}/swagger-ui-bundle.js", f"{ASSETS_URL}/docs.js"]
        return _html(_layout(title, specs, served.name, body, ["swagger-ui.css"], scripts))

    async def spec_view(request: Request) -> Response:
        served = by_name.get(request.path_params["name"])
        if served is None:
            return not_found(f"No spec named {request.path_params['name']!r}; this mock serves: {', '.join(by_name)}")
        if served.name not in views:
            views[served.name] = annotated(served.spec, GUIDES_URL, set(guides()))
        origin = str(request.base_url).rstrip("/")
        view = {**views[served.name], "servers": [{"url": origin, "description": "this mock (the page's origin)"}]}
        return Response(json.dumps(view).encode(), media_type="application/json", headers={"Cache-Control": "no-cache"})

    async def guide_index(request: Request) -> Response:
        items = "".join(
            f'<li><a href="{GUIDES_URL}/{g.name}">{html.escape(g.title)}</a></li>' for g in guides().values()
        )
        body = f'<main class="guide"><h1>Guides</h1><ul>{items}</ul></main>'
        return _html(_layout("Guides", specs, None, body))

    async def guide(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in guides():
            return not_found(f"No guide named {name!r}; the guides are listed at {GUIDES_URL}")
        body = f'<main class="guide">{render_guide(name)}</main>'
        return _html(_layout(guides()[name].title, specs, None, body))

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _ASSETS:
            return not_found(f"No asset named {name!r}")
        content, etag = _asset_bytes(name)
        headers = {"Cache-Control": _ASSET_CACHE, "ETag": etag}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(content, media_type=_ASSETS[name][1], headers=headers)

    return [
        Route("/docs", page, methods=["GET"]),
        Route("/docs/specs/{name}.json", spec_view, methods=["GET"]),
        Route(GUIDES_URL, guide_index, methods=["GET"]),
        Route(GUIDES_URL + "/{name}", guide, methods=["GET"]),
        Route(ASSETS_URL + "/{name}", asset, methods=["GET"]),
    ]


def _preauthorize(spec: dict[str, Any], key: str | None) -> dict[str, str]:
    """The demo key for every API-key scheme of ``spec``: Swagger UI sends it with "Try it out"."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    if not key:
        return {}
    return {
        name: key
        for name, scheme in schemes.items()
        # not the control API's token (serve --control-token): the demo key is not it
        if scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() != "x-mock-control-token"
    }


def _json_in_html(value: Any) -> str:
    return json.dumps(value).replace("<", "\\u003c")  # no "</script>" can end the element early


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers={"Cache-Control": "no-cache"})


def _layout(
    title: str,
    specs: Sequence[ServedSpec],
    current: str | None,
    body: str,
    styles: Sequence[str] = (),
    scripts: Sequence[str] = (),
) -> str:
    """The page shared by the reference and the guides: a bar on top, then ``body``."""
    esc = html.escape
    tabs = "".join(
        f'<a href="/docs?spec={s.name}"{" aria-current=page" if s.name == current else ""}>{esc(s.label)}</a>'
        for s in specs
    )
    menu = "".join(f'<a href="{GUIDES_URL}/{g.name}">{esc(g.label)}</a>' for g in guides().values())
    raw = next((s.url for s in specs if s.name == current), None)
    links = [f'<details class="menu"><summary>Guides</summary><nav>{menu}</nav></details>']
    links.append(f'<a href="{DASHBOARD_URL}">Dashboard</a>')
    if raw:
        links.append(f'<a href="{esc(raw)}">{esc(raw.rsplit("/", 1)[-1])}</a>')
    css = "".join(f'<link rel="stylesheet" href="{ASSETS_URL}/{name}">' for name in (*styles, "docs.css"))
    js = "".join(f'<script src="{src}"></script>' for src in scripts)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · uphunt-mock</title>"
        f'<link rel="icon" type="image/png" href="{ASSETS_URL}/favicon.png">{css}</head><body>'
        f'<header class="mock-bar"><a class="brand" href="/docs">uphunt-mock <span>API reference</span></a>'
        f'<nav class="specs" aria-label="Specs">{tabs}</nav><nav class="links">{"".join(links)}</nav></header>\n'
        f"{body}\n"
        f'<footer class="mock-foot">Rendered by <a href="{ASSETS_URL}/swagger-ui-LICENSE.txt">Swagger UI</a>'
        " (Apache-2.0), served by this mock: no request leaves it.</footer>"
        f"{js}</body></html>"
    )


@lru_cache(maxsize=len(_ASSETS))
def _asset_bytes(name: str) -> tuple[bytes, str]:
    source = _ASSETS[name][0]
    path = _STATIC / name if source is None else _swagger_ui_static() / source
    content = path.read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:20] + '"'


def _swagger_ui_static() -> Path:
    """The static folder of the installed ``swagger-ui-py`` wheel, found without importing the package
    (its ``__init__`` imports jinja2 and framework glue this page does not use)."""
    found = importlib.util.find_spec("swagger_ui")
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed; it is a dependency of uphunt-mock (pyproject.toml)")
    return Path(next(iter(found.submodule_search_locations))) / "static"
