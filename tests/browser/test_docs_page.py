"""/docs in a real browser (issue 19): Debian's Chromium at 1280x900, driven by Playwright.

Each test records every request the page makes and fails if one leaves 127.0.0.1, so the page is
proved to work with the network off. Screenshots go to the session's screenshot directory; the
page's load time (navigation start to Swagger UI's ``onComplete``) is written next to them as
``docs-load-times.json``, for people to read, not asserted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from mock_server.core.spec import load_spec
from mock_server.testing import MockServer

VIEWPORT = {"width": 1280, "height": 900}
DEMO_KEY_MASKED = "sk_************key"  # journal.mask_secret: at most a third of a key
# Visible text outside code that still shows Markdown syntax: a heading mark, bold stars, a table rule.
RAW_MARKDOWN = re.compile(r"(^|\n)#{1,6} |\*\*\S|\|\s*---")
# innerText of an element without its <pre>/<code> (where '**' or '#' may be literal on purpose).
TEXT_OUTSIDE_CODE = "e => { const c = e.cloneNode(true); c.querySelectorAll('pre, code').forEach(x => x.remove()); return c.innerText; }"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer() as running:
        yield running


class Docs:
    """One browser page on the mock, with every URL it requested."""

    def __init__(self, page: Any, server: MockServer) -> None:
        self.page = page
        self.server = server
        self.requested: list[str] = []
        page.on("request", lambda request: self.requested.append(request.url))

    def open(self, path: str) -> Any:
        self.page.goto(self.server.base_url + path)
        if path.startswith("/docs") and not path.startswith("/docs/guides"):
            self.page.wait_for_selector("body[data-docs-ready]")
            self.page.wait_for_selector(".opblock")
        return self.page

    def assert_all_local(self) -> None:
        assert self.requested, "the page made no request at all"
        foreign = [url for url in self.requested if urlsplit(url).hostname != "127.0.0.1"]
        assert not foreign, f"requests left 127.0.0.1: {foreign}"


@pytest.fixture
def docs(browser: Any, server: MockServer) -> Iterator[Docs]:
    server.handle().reset()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        yield Docs(context.new_page(), server)
    finally:
        context.close()


def spec_tabs(page: Any) -> list[tuple[str, str]]:
    """(label, href) of every spec in the page's bar: the specs the running mock serves."""
    return page.eval_on_selector_all(
        ".mock-bar .specs a", "els => els.map(a => [a.textContent, a.getAttribute('href')])"
    )


def test_every_served_spec_renders_offline_as_html(docs: Docs, screenshot_dir: Path) -> None:
    page = docs.open("/docs")
    # navigation start -> Swagger UI's onComplete (spec fetched, operations rendered), in ms
    load_ms = {"first visit (nothing cached)": round(page.evaluate("window.docsReadyAt"), 1)}
    tabs = spec_tabs(page)
    assert [label for label, _ in tabs][:2] == ["UpHunt API", "Control API"]  # and Jobo's, once served
    for label, href in tabs:
        page = docs.open(href)
        name = href.rsplit("=", 1)[-1]
        load_ms[f"{name} (assets cached)"] = round(page.evaluate("window.docsReadyAt"), 1)
        info = page.locator(".information-container")
        assert info.locator("h2.title").inner_text().startswith(page.title().split(" · ")[0])
        visible = page.locator("#swagger-ui").evaluate(TEXT_OUTSIDE_CODE)
        assert not RAW_MARKDOWN.search(visible), f"{label}: Markdown shown as text: {RAW_MARKDOWN.search(visible)}"
        assert page.locator(".opblock").count() >= 5
        page.screenshot(path=str(screenshot_dir / f"docs-{name}.png"))
    # the UpHunt description's headings and tables are HTML, and the table fits the page
    page = docs.open("/docs")
    description = page.locator(".information-container .info__description")
    assert description.locator("h2", has_text="Base URL").count() == 1
    table = description.locator("table").first
    assert table.locator("th").first.inner_text() == "Family"
    box = table.bounding_box()
    assert box is not None and box["x"] + box["width"] <= VIEWPORT["width"]
    docs.assert_all_local()
    (screenshot_dir / "docs-load-times.json").write_text(
        json.dumps({"viewport": VIEWPORT, "readyMs": load_ms}, indent=2)
    )


def test_try_it_out_sends_the_selected_example_to_the_mock_with_the_demo_key(docs: Docs, screenshot_dir: Path) -> None:
    page = docs.open("/docs#/auto-apply/applyToJob")  # deep link: the operation opens
    op = page.locator("#operations-auto-apply-applyToJob")
    examples = load_spec("uphunt.yaml")["paths"]["/api/auto-apply-v2/apply"]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    chooser = op.locator(".opblock-section-request-body select.examples-select-element")
    assert chooser.locator("option").all_inner_texts() == [e["summary"] for e in examples.values()]
    body = op.locator("textarea.body-param__text")
    assert json.loads(body.input_value()) == examples["hourly"]["value"]
    chooser.select_option(label=examples["minimal"]["summary"])
    assert json.loads(body.input_value()) == examples["minimal"]["value"]

    op.locator(".execute").click()
    answer = op.locator(".live-responses-table .response").first
    answer.wait_for()
    assert answer.locator(".response-col_status").inner_text() == "200"
    shown = json.loads(answer.locator(".highlight-code code").first.inner_text())
    # what the page shows is what the mock did: the request reached it with the demo key and this body
    handle = docs.server.handle()
    sent = handle.requests.for_operation("applyToJob")
    assert len(sent) == 1 and sent[0].status == 200
    assert sent[0].api_key == DEMO_KEY_MASKED and sent[0].body == examples["minimal"]["value"]
    assert [a["queueId"] for a in handle.applications() if a["queueId"] == shown["queueId"]] == [shown["queueId"]]
    assert (
        shown["applicationStatus"] == "processing"
        and shown["creditsRemaining"] == handle.account()["credits"]["available"]
    )
    answer.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "docs-try-it-out.png"))
    docs.assert_all_local()


def test_control_api_try_it_out_moves_the_mocks_clock(docs: Docs) -> None:
    before = docs.server.handle().time()
    page = docs.open("/docs?spec=control#/clock/advanceClock")
    op = page.locator("#operations-clock-advanceClock")
    op.locator(".execute").click()
    answer = op.locator(".live-responses-table .response").first
    answer.wait_for()
    assert answer.locator(".response-col_status").inner_text() == "200"
    assert json.loads(answer.locator(".highlight-code code").first.inner_text())["now"] == int((before + 60) * 1000)
    assert docs.server.handle().time() == before + 60  # the example body, {"seconds": 60}
    docs.assert_all_local()


def test_mock_notes_sit_beside_their_operation(docs: Docs, screenshot_dir: Path) -> None:
    page = docs.open("/docs#/auto-apply/applyToJob")
    notes = page.locator("#operations-auto-apply-applyToJob .opblock-description-wrapper blockquote")
    assert notes.locator("h4").inner_text() == "Mock notes"
    items = notes.locator("li").all_inner_texts()
    assert items[0] == "Rate limits (per API key): 60 per minute, 1000 per day"
    assert items[1].startswith("Effect: spend, may cost money on the real service")
    assert items[2].startswith("Decision: #1: success is 200")
    assert notes.locator("a", has_text="#4").get_attribute("href") == "/docs/guides/decisions#decision-4"
    # the README's picture (docs/img/docs-page.png): the operation's header just under the bar
    page.locator("#operations-auto-apply-applyToJob .opblock-summary").evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 60)"
    )
    page.screenshot(path=str(screenshot_dir / "docs-mock-notes.png"))
    # an operation without notes has no box
    page = docs.open("/docs?spec=control#/world/getHealth")
    assert page.locator("#operations-world-getHealth .opblock-body").count() == 1
    assert page.locator("#operations-world-getHealth blockquote").count() == 0


def test_guides_and_dashboard_are_reachable_and_rendered(docs: Docs, screenshot_dir: Path) -> None:
    page = docs.open("/docs")
    assert page.locator(".mock-bar .links > a", has_text="Dashboard").get_attribute("href") == "/_mock/ui"
    page.locator(".mock-bar .menu summary").click()
    page.locator(".mock-bar .menu a", has_text="Scenarios").click()
    page.wait_for_url("**/docs/guides/scenarios")
    guide = page.locator("main.guide")
    assert guide.locator("h1").inner_text() == "Scenarios: scripted failures"
    assert guide.locator("h2", has_text="File format").count() == 1
    assert guide.locator("table").count() >= 1 and guide.locator("pre").count() >= 1
    page.screenshot(path=str(screenshot_dir / "docs-guide-scenarios.png"))
    for name in page.eval_on_selector_all(".mock-bar .menu a", "els => els.map(a => a.getAttribute('href'))"):
        page.goto(docs.server.base_url + name)
        text = page.locator("main.guide").evaluate(TEXT_OUTSIDE_CODE)
        assert text.strip() and not RAW_MARKDOWN.search(text), f"{name}: Markdown shown as text"
        assert page.locator(".mock-bar .links > a", has_text="Dashboard").get_attribute("href") == "/_mock/ui"
    # and back from a guide to the reference
    page.locator(".mock-bar .specs a", has_text="Control API").click()
    page.wait_for_selector("body[data-docs-ready]")
    assert page.locator("#operations-world-getHealth").count() == 1
    docs.assert_all_local()
