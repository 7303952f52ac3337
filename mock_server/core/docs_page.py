"""A self-contained HTML page documenting the API from the spec (works offline, no CDN)."""

from __future__ import annotations

import html
import json
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}
h1{margin-bottom:.2rem} h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
.op{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.GET{color:#0969da}.POST{color:#1a7f37}.PUT{color:#9a6700}.DELETE{color:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:.85rem} pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:4px}
table{border-collapse:collapse;margin:.4rem 0} td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
details summary{cursor:pointer}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _resolve(node: Any, spec: dict[str, Any]) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _example(media: dict[str, Any], spec: dict[str, Any]) -> Any:
    if "example" in media:
        return media["example"]
    for ex in (media.get("examples") or {}).values():
        ex = _resolve(ex, spec)
        if "value" in ex:
            return ex["value"]
    schema = _resolve(media.get("schema", {}), spec)
    return schema.get("example") if isinstance(schema, dict) else None


def _operations(spec: dict[str, Any], title: str) -> list[str]:
    out = [f"<h2>{_esc(title)}</h2>"]
    for path, item in spec.get("paths", {}).items():
        for method in ("get", "post", "put", "delete"):
            op = item.get(method)
            if not op:
                continue
            m = method.upper()
            out.append(f'<div class="op" id="{_esc(op.get("operationId"))}">')
            out.append(f'<div><span class="m {m}">{m}</span><code>{_esc(path)}</code> — {_esc(op.get("summary", ""))}</div>')
            if op.get("description"):
                out.append(f"<details><summary>Details</summary><pre>{_esc(op['description'])}</pre></details>")
            params = [_resolve(p, spec) for p in item.get("parameters", []) + op.get("parameters", [])]
            if params:
                out.append("<table><tr><th>parameter</th><th>in</th><th>required</th><th>description</th></tr>")
                for p in params:
                    out.append(
                        f"<tr><td><code>{_esc(p['name'])}</code></td><td>{_esc(p['in'])}</td>"
                        f"<td>{'yes' if p.get('required') else 'no'}</td><td>{_esc(p.get('description', ''))}</td></tr>"
                    )
                out.append("</table>")
            body = _resolve(op.get("requestBody"), spec) if op.get("requestBody") else None
            if body:
                for ctype, media in body.get("content", {}).items():
                    ex = _example(media, spec)
                    if ex is not None:
                        out.append(f"<details><summary>Request example ({_esc(ctype)})</summary><pre>{_esc(json.dumps(ex, indent=2))}</pre></details>")
            out.append("<table><tr><th>status</th><th>description</th></tr>")
            for status, resp in op.get("responses", {}).items():
                resp = _resolve(resp, spec)
                ex = None
                for media in resp.get("content", {}).values():
                    ex = _example(media, spec)
                cell = _esc(resp.get("description", ""))
                if ex is not None:
                    cell += f"<details><summary>example</summary><pre>{_esc(json.dumps(ex, indent=2))}</pre></details>"
                out.append(f"<tr><td>{_esc(status)}</td><td>{cell}</td></tr>")
            out.append("</table></div>")
    return out


def render_docs(api_spec: dict[str, Any], control_spec: dict[str, Any]) -> str:
    info = api_spec.get("info", {})
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{_esc(info.get('title', 'API'))} — uphunt-mock</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_esc(info.get('title', 'API'))}</h1><p>Version {_esc(info.get('version', ''))} · served by uphunt-mock · "
        "machine-readable: <a href='/openapi.json'>/openapi.json</a></p>",
        f"<details open><summary>Overview</summary><pre>{_esc(info.get('description', ''))}</pre></details>",
    ]
    parts += _operations(api_spec, "UpHunt API")
    parts += _operations(control_spec, "Mock control API (/_mock)")
    parts.append("</body></html>")
    return "\n".join(parts)
