"""/docs over HTTP (issue 19): the page shell, the annotated spec copies, the assets and the guides.

What the browser shows is tested in tests/browser/test_docs_page.py; these tests pin the contract
the page stands on: every served spec is listed, the originals stay untouched, nothing is fetched
from elsewhere, and only known files are served.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import DEMO_KEY
from starlette.testclient import TestClient

from mock_server.core.docs_guides import guides, render_markdown
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
APPLY_PATH = "/api/auto-apply-v2/apply"


def config_of(html: str) -> dict:
    found = re.search(r'<script type="application/json" id="docs-config">(.*?)</script>', html)
    assert found, "the page carries its Swagger UI configuration"
    return json.loads(found.group(1))


def test_the_original_specs_are_served_unchanged(client: TestClient) -> None:
    client.get("/docs/specs/uphunt.json")  # building the annotated copy must not touch the original
    r = client.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.content == json.dumps(load_spec("uphunt.yaml")).encode()
    assert "Mock notes" not in r.text
    control = client.get("/_mock/openapi.json")
    assert control.status_code == 200 and control.headers["content-type"] == "application/json"
    assert control.json() == json.loads(json.dumps(load_spec("control.yaml")))
    assert control.json()["paths"]["/_mock/openapi.json"]["get"]["operationId"] == "getControlSpec"


def test_the_page_lists_every_served_spec_and_fetches_nothing_from_elsewhere(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    html = r.text
    assert "<title>UpHunt API (as simulated by uphunt-mock) · uphunt-mock</title>" in html
    assert '<a href="/docs?spec=uphunt" aria-current=page>UpHunt API</a>' in html
    assert '<a href="/docs?spec=control">Control API</a>' in html
    assert '<a href="/_mock/ui">Dashboard</a>' in html
    assert '<a href="/openapi.json">openapi.json</a>' in html
    for name in ("scenarios", "simulator", "webhooks", "decisions"):
        assert f'<a href="/docs/guides/{name}">' in html
    # every script, stylesheet and icon is served by the mock itself
    loaded = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert loaded and all(url.startswith("/") for url in loaded), loaded
    assert "@import" not in html and "//" not in "".join(re.findall(r'src="([^"]+)"', html))
    assert config_of(html) == {"specUrl": "/docs/specs/uphunt.json", "preauthorize": {"ApiKeyAuth": DEMO_KEY}}


def test_the_control_page_needs_no_key_and_an_unknown_spec_is_a_404(client: TestClient) -> None:
    control = client.get("/docs?spec=control")
    assert control.status_code == 200
    assert config_of(control.text) == {"specUrl": "/docs/specs/control.json", "preauthorize": {}}
    assert '<a href="/_mock/openapi.json">openapi.json</a>' in control.text
    for bad in ("/docs?spec=jobo-not-served", "/docs/specs/nope.json"):
        r = client.get(bad)
        assert r.status_code == 404
        assert "this mock serves: uphunt, control" in r.json()["error"]


def test_the_key_filled_in_is_read_from_the_running_world(runtime: Runtime, client: TestClient) -> None:
    assert config_of(client.get("/docs").text)["preauthorize"] == {"ApiKeyAuth": DEMO_KEY}
    # a world without the demo key: the page offers one of the keys it has, read at each page load
    others = {k: a for k, a in runtime.sim.accounts.items() if k != DEMO_KEY}
    runtime.sim.accounts = others
    assert config_of(client.get("/docs").text)["preauthorize"] == {"ApiKeyAuth": next(iter(others))}


def test_the_copy_shown_aims_try_it_out_at_this_mock_and_carries_the_mock_notes(client: TestClient) -> None:
    r = client.get("/docs/specs/uphunt.json")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    view = r.json()
    assert view["servers"] == [{"url": "http://testserver", "description": "this mock (the page's origin)"}]
    apply = view["paths"][APPLY_PATH]["post"]["description"]
    assert apply.startswith(load_spec("uphunt.yaml")["paths"][APPLY_PATH]["post"]["description"].rstrip())
    assert "> #### Mock notes" in apply
    assert "> - **Rate limits (per API key):** 60 per minute, 1000 per day\n> - **Effect:** `spend`, may cost" in apply
    assert "**Decision:** [#1](/docs/guides/decisions#decision-1): success is 200" in apply
    # every note of the original is shown somewhere in the copy, in the node that carries it
    original = load_spec("uphunt.yaml")
    for path, item in original["paths"].items():
        for method, op in item.items():
            shown = view["paths"][path][method].get("description", "")
            if "x-mock-rate-limits" in op:
                limits = ", ".join(f"{n} per {w}" for w, n in op["x-mock-rate-limits"].items())
                assert f"**Rate limits (per API key):** {limits}" in shown, (method, path)
            if "x-mock-decision" in op:
                assert "**Decision:**" in shown, (method, path)
            if "x-mock-effect" in op:
                assert f"**Effect:** `{op['x-mock-effect']}`, " in shown, (method, path)
            if "x-mock-error-dialect" in op:
                assert f"**Error dialect:** `{op['x-mock-error-dialect']}`" in shown, (method, path)
            assert "x-mock-handler" not in shown  # routing details are not notes
    assert (
        "*Mock* **Decision:** [#12](/docs/guides/decisions#decision-12)"
        in view["components"]["responses"]["RateLimited"]["description"]
    )
    assert (
        "*Mock* **Quota:** limit: 10000; period: calendar month (UTC)"
        in (view["components"]["securitySchemes"]["LegacyBearer"]["description"])
    )


def test_assets_are_served_with_types_and_caching(client: TestClient) -> None:
    expected = {
        "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
        "swagger-ui.css": "text/css; charset=utf-8",
        "docs.js": "text/javascript; charset=utf-8",
        "docs.css": "text/css; charset=utf-8",
        "favicon.png": "image/png",
        "swagger-ui-LICENSE.txt": "text/plain; charset=utf-8",
    }
    for name, content_type in expected.items():
        r = client.get(f"/docs/assets/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == content_type, name
        assert r.headers["cache-control"] == "public, max-age=86400"
        again = client.get(f"/docs/assets/{name}", headers={"if-none-match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert "Apache License" in client.get("/docs/assets/swagger-ui-LICENSE.txt").text
    assert b"SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").content
    for bad in ("index.html", "..%2Fdocs_page.py", "swagger-editor-bundle.js"):
        r = client.get(f"/docs/assets/{bad}")
        assert r.status_code == 404 and r.headers["content-type"] == "application/json", bad


def test_every_guide_is_served_rendered(client: TestClient) -> None:
    files = sorted(p.stem for p in (ROOT / "docs" / "guide").glob("*.md")) + ["decisions"]
    assert list(guides()) == files
    index = client.get("/docs/guides")
    assert index.status_code == 200
    for name in files:
        assert f'href="/docs/guides/{name}"' in index.text
        r = client.get(f"/docs/guides/{name}")
        assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
        assert re.search(r"<h1 id=\"[\w-]+\">", r.text), name
        assert "<p>#" not in r.text and "<p>|" not in r.text, f"{name}: Markdown left unrendered"
    scenarios = client.get("/docs/guides/scenarios").text
    assert '<h2 id="file-format">File format</h2>' in scenarios
    assert "<table>" in scenarios and "<th>" in scenarios
    assert 'href="../../scenarios"' not in scenarios  # a source-tree path an installed mock cannot serve
    decisions = client.get("/docs/guides/decisions").text
    assert '<tr id="decision-4">' in decisions and '<tr id="decision-10b">' in decisions


def test_guides_rewrite_links_between_guides() -> None:
    html = render_markdown("[a](webhooks.md#retries) [b](../decisions.md) [c](https://x.example) [d](../../README.md)")
    assert '<a href="/docs/guides/webhooks#retries">a</a>' in html
    assert '<a href="/docs/guides/decisions">b</a>' in html
    assert '<a href="https://x.example">c</a>' in html
    assert "<a>d</a>" in html
    assert render_markdown("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


@pytest.mark.parametrize("name", ["nope", "decisions.md", "%2e%2e%2fREADME", "..%2F..%2FREADME.md"])
def test_an_unknown_guide_is_a_404(client: TestClient, name: str) -> None:
    r = client.get(f"/docs/guides/{name}")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
