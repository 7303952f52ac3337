"""The live dashboard at /_mock/ui, driven in a real browser (Debian's Chromium through Playwright).

Each test starts a mock (``mock_server.testing.MockServer``, manual clock), opens the page, acts
through the API or the page, and waits (bounded) for what a user would see. Screenshots of each
view go to the ``screenshot_dir`` (README's picture is the timeline one).
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from mock_server.testing import MockServer

DEMO_KEY = "sk_uphunt_demo_key"
SECOND_KEY = "sk_uphunt_second_key"
DEMO = {"x-api-key": DEMO_KEY}
APPLY = "/api/auto-apply-v2/apply"
JOB = "~022053140178050136031"
CLOSED_JOB = "~022040846723050472167"
OTHER_JOB = "~022052895097657407455"
WAIT_MS = 10_000  # every wait is bounded
# Fixed latencies: pickup 3 s after the apply, outcome 40 s later; 5 s pacing; three webhook attempts.
WORLD = """\
settings:
  pacingSeconds: 5
  latency:
    pickup: {median: 3, p95: 3}
    submission: {median: 40, p95: 40}
  webhooks: {maxAttempts: 3, baseDelaySeconds: 10, timeoutSeconds: 2}
"""


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[tuple[MockServer, httpx.Client]]:
    world = tmp_path / "world.yaml"
    world.write_text(WORLD)
    with MockServer(world=world) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield server, http


def open_page(page: Page, base_url: str, view: str = "timeline") -> Page:
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"{base_url}/_mock/ui#{view}")
    expect(page.locator("#live")).to_have_text("live")  # the event stream is open
    return page


def apply(http: httpx.Client, job: str = JOB, key: str = DEMO_KEY) -> str:
    r = http.post(APPLY, headers={"x-api-key": key}, json={"jobId": job, "coverLetter": "Hi"})
    assert r.status_code == 200, r.text
    return r.json()["queueId"]


def shoot(page: Page, screenshot_dir: Path, name: str) -> None:
    """The window, down to the end of what the view shows (the README's picture is the timeline's)."""
    size = page.viewport_size or {"width": 1280, "height": 800}
    bottom = page.evaluate(
        "() => Math.ceil(Math.max(...[...document.querySelectorAll('main > section:not([hidden]) > *, #detail:not([hidden])')].map((e) => e.getBoundingClientRect().bottom)))"
    )
    height = max(200, min(size["height"], bottom + 16))
    page.screenshot(
        path=str(screenshot_dir / f"dashboard-{name}.png"),
        clip={"x": 0, "y": 0, "width": size["width"], "height": height},
    )


def metric(page: Page, key: str, name: str) -> Any:
    return page.locator(f'.account[data-key="{key}"] figure.metric[data-metric="{name}"]')


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


# ── the timeline and the clock ──────────────────────────────────────────


def test_an_apply_appears_as_a_bar_and_the_clock_buttons_take_it_to_applied(
    page: Page, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    open_page(page, server.base_url)
    queue_id = apply(http)
    bar = page.locator(f'.bar[data-id="{queue_id}"]')
    expect(bar).to_have_attribute("data-state", "processing")  # arrived live: no reload, no polling
    expect(bar).to_have_attribute("data-terminal", "false")
    expect(bar).to_have_attribute(
        "aria-label", re.compile(r"^~022053140178050136031, processing \(not finished\), queued 00:00:00\.000")
    )
    closed = apply(http, CLOSED_JOB)
    apply(http, OTHER_JOB)
    apply(http, JOB, SECOND_KEY)

    page.get_by_role("button", name="+1 s").click()
    expect(page.locator("#clock-now")).to_have_text("2026-01-01 00:00:01.000 UTC")
    page.get_by_role("button", name="Next event").click()  # the pickup, 3 s after the apply
    expect(page.locator("#clock-now")).to_have_text("2026-01-01 00:00:03.000 UTC")
    expect(bar).to_have_attribute("aria-label", re.compile("picked up 00:00:03.000, outcome due 00:00:43.000"))
    # the same agency's pickups are paced 5 s apart; the other agency's is not held back
    expect(page.locator(f'.bar[data-id="{closed}"]')).to_have_attribute(
        "aria-label", re.compile("pickup planned 00:00:08.000")
    )
    expect(page.locator(".pacing").first).to_have_attribute(
        "aria-label", re.compile("00:00:03.000, 00:00:08.000, 00:00:13.000")
    )
    page.get_by_role("button", name="+1 min").click()
    expect(bar).to_have_attribute("data-state", "applied")
    expect(bar).to_have_attribute("data-terminal", "true")
    expect(bar).to_have_attribute("aria-label", re.compile("finished 00:00:43.000"))
    expect(page.locator(f'.bar[data-id="{closed}"]')).to_have_attribute("data-state", "not_available")
    expect(page.locator("#tl-summary")).to_contain_text("4 applied, 1 not available")
    # the state is told by a label and a symbol as well as a colour
    expect(bar.locator("text", has_text="applied")).to_have_count(1)
    expect(page.locator('#tl-legend li[data-state="applied"]')).to_have_text("✓ applied")
    expect(page.locator('#tl-legend li[data-state="not_available"]')).to_have_text("✕ not available")
    later = apply(http, "~01abc")  # one still in the queue for the picture
    expect(page.locator(f'.bar[data-id="{later}"]')).to_have_attribute("data-state", "processing")
    shoot(page, screenshot_dir, "timeline")
    assert page.errors == []  # type: ignore[attr-defined]


def test_advancing_from_the_page_moves_the_credits_charts(
    page: Page, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    open_page(page, server.base_url, "accounts")
    spent = metric(page, DEMO_KEY, "credits.spent")
    expect(spent).to_have_attribute("data-value", "1")
    apply(http)
    apply(http, CLOSED_JOB)  # ends not_available: its credit comes back
    reserved = metric(page, DEMO_KEY, "credits.reserved")
    expect(reserved).to_have_attribute("data-value", "2")
    expect(metric(page, DEMO_KEY, "credits.available")).to_have_attribute("data-value", "98")
    points_before = int(spent.get_attribute("data-points") or 0)

    page.get_by_role("button", name="Until settled").click()
    expect(spent).to_have_attribute("data-value", "2")
    expect(reserved).to_have_attribute("data-value", "0")
    expect(metric(page, DEMO_KEY, "credits.available")).to_have_attribute("data-value", "99")  # the refund
    assert int(spent.get_attribute("data-points") or 0) == points_before + 1  # the line stepped up
    expect(spent.locator("svg.plot")).to_have_attribute(
        "aria-label", re.compile(r"^credits.spent: now 2; 2 change\(s\)")
    )
    expect(metric(page, DEMO_KEY, "connects")).to_have_attribute("data-value", "482")
    expect(page.locator(f'.account[data-key="{DEMO_KEY}"] .rates li').first).to_contain_text(
        "applyToJob per minute: 2 of 60 used"
    )
    shoot(page, screenshot_dir, "accounts")


def test_reset_from_the_page_empties_the_timeline(page: Page, mock: tuple[MockServer, httpx.Client]) -> None:
    server, http = mock
    open_page(page, server.base_url)
    queue_id = apply(http)
    expect(page.locator(f'.bar[data-id="{queue_id}"]')).to_have_count(1)
    page.get_by_role("button", name="Reset world").click()
    expect(page.locator(f'.bar[data-id="{queue_id}"]')).to_have_count(0)
    expect(page.locator(".bar")).to_have_count(1)  # the world's preseeded application
    expect(page.locator("#clock-now")).to_have_text("2026-01-01 00:00:00.000 UTC")


# ── application detail, keyboard ─────────────────────────────────────────


def test_a_bar_opens_its_record_requests_and_deliveries_from_the_keyboard(
    page: Page, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    open_page(page, server.base_url)
    queue_id = apply(http)
    http.get("/api/auto-apply-v2/status", headers=DEMO, params={"queueId": queue_id})
    bar = page.locator(f'.bar[data-id="{queue_id}"]')
    expect(bar).to_have_count(1)
    bar.focus()
    page.keyboard.press("Enter")
    drawer = page.locator("#detail")
    expect(drawer).to_be_visible()
    expect(page.locator("#detail-title")).to_have_text(f"Application {queue_id}")
    expect(page.locator("#detail-title")).to_be_focused()
    expect(drawer).to_contain_text("Requests (2)")
    expect(drawer.locator("details summary").first).to_have_text("#1 POST /api/auto-apply-v2/apply → 200")
    expect(drawer).to_contain_text("Webhook deliveries (0)")
    shoot(page, screenshot_dir, "detail")
    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(page.locator(f'.bar[data-id="{queue_id}"]')).to_be_focused()  # focus goes back where it was


def test_tabs_follow_the_arrow_keys(page: Page, mock: tuple[MockServer, httpx.Client]) -> None:
    server, _http = mock
    open_page(page, server.base_url)
    page.get_by_role("tab", name="Timeline").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Accounts")).to_be_focused()
    expect(page.get_by_role("tab", name="Accounts")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-accounts")).to_be_visible()
    expect(page.locator("#panel-timeline")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.get_by_role("tab", name="Scenarios")).to_be_focused()
    page.keyboard.press("ArrowRight")  # wraps around
    expect(page.get_by_role("tab", name="Timeline")).to_have_attribute("aria-selected", "true")
    assert page.url.endswith("#timeline")


# ── journal ──────────────────────────────────────────────────────────────


def test_the_journal_filter_narrows_the_table_and_copies_curl(
    page: Page, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    http.post(
        "/_mock/scenarios",
        content="name: j\nrules:\n  - match: {operationId: listFreelancers, nth: 2}\n    respond: {status: 503}\n",
    )
    apply(http)
    for _ in range(3):
        http.get("/api/auto-apply-v2/freelancers", headers=DEMO)
    http.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": SECOND_KEY})
    open_page(page, server.base_url, "journal")
    rows = page.locator("#journal-table tr.entry")
    expect(rows).to_have_count(5)

    page.locator("#filter-operation").fill("listFreelancers")
    expect(rows).to_have_count(4)
    page.locator("#filter-status").fill("503")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-status", "503")
    expect(rows.first).to_contain_text("j/0")
    page.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(5)
    page.locator("#filter-rule").fill("*")
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(5)
    # keys are listed in full (the journal shows them masked, and these two mask alike)
    expect(page.locator(f'#filter-key option[value="{SECOND_KEY}"]')).to_have_count(1)
    page.get_by_label("API key").select_option(SECOND_KEY)
    expect(rows).to_have_count(1)
    page.get_by_role("button", name="Clear filters").click()
    expect(rows).to_have_count(5)

    # live: a new request shows up without reloading
    http.get("/api/auto-apply-v2/freelancers", headers=DEMO)
    expect(rows).to_have_count(6)

    # the apply in full, and as curl with the real key (the journal shows it masked)
    page.get_by_role("button", name="details of request 1").click()
    details = page.locator("#journal-table tr.details").first
    expect(details).to_be_visible()
    expect(details).to_contain_text("x-api-key: sk_************key")
    expect(details).to_contain_text('"creditsRemaining": 99')
    curl = details.locator("pre.curl")
    expect(curl).to_contain_text(f"curl -X POST '{server.base_url}/api/auto-apply-v2/apply'")
    expect(curl).to_contain_text(f"-H 'x-api-key: {DEMO_KEY}'")
    expect(curl).to_contain_text(f'--data-raw \'{{"jobId":"{JOB}","coverLetter":"Hi"}}\'')
    shoot(page, screenshot_dir, "journal")


# ── webhooks ─────────────────────────────────────────────────────────────


def test_a_failing_webhook_shows_every_attempt_and_can_be_redelivered(
    page: Page, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    assert http.put(f"/_mock/accounts/{DEMO_KEY}", json={"webhookUrl": refused_url()}).status_code == 200
    open_page(page, server.base_url, "webhooks")
    apply(http)
    page.get_by_role("button", name="Until settled").click()  # applied at 43 s: attempt 1 is refused
    delivery = page.locator(".delivery").first
    expect(delivery).to_have_attribute("data-state", "pending")
    page.get_by_role("button", name="+1 min").click()  # the retries 10 s and 20 s later
    expect(delivery).to_have_attribute("data-state", "failed")
    delivery.locator("summary").click()
    attempts = delivery.locator("tr.attempt")
    expect(attempts).to_have_count(3)
    expect(attempts.nth(0)).to_contain_text("00:00:43.000")
    expect(attempts.nth(1)).to_contain_text("00:00:53.000")
    expect(attempts.nth(2)).to_contain_text("00:01:13.000")
    for i in range(3):
        expect(attempts.nth(i)).to_contain_text("no response")
        expect(attempts.nth(i)).to_contain_text("connection failed: connection refused")
    expect(delivery.locator(".state-label")).to_have_text("failed")
    shoot(page, screenshot_dir, "webhooks")
    delivery.get_by_role("button", name="Redeliver now").click()
    expect(page.locator("#toast")).to_have_text("Redelivered: failed after attempt 4")
    expect(delivery.locator("tr.attempt")).to_have_count(4)  # still open after the live refresh


# ── scenarios ────────────────────────────────────────────────────────────


def test_a_bad_scenario_shows_its_line_and_a_good_one_loads(
    page: Page, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    open_page(page, server.base_url, "scenarios")
    editor = page.get_by_label("Scenario document (YAML or JSON)")
    editor.fill("name: broken\nrules:\n  - match: {operationId: applyTo}\n    respond: {status: 402}\n")
    page.get_by_role("button", name="Load scenario").click()
    error = page.get_by_role("alert")
    expect(error).to_contain_text("Line 3: rules[0].match.operationId")
    expect(error).to_contain_text("3 |   - match: {operationId: applyTo}")
    expect(editor).to_have_attribute("aria-invalid", "true")
    expect(editor).to_be_focused()  # the caret is put on the offending line
    assert (
        page.evaluate("() => document.activeElement.value.slice(0, document.activeElement.selectionStart)").count("\n")
        == 2
    )
    shoot(page, screenshot_dir, "scenarios-error")

    editor.fill("name: fixed\nrules:\n  - match: {operationId: applyToJob}\n    respond: {status: 402}\n")
    page.get_by_role("button", name="Load scenario").click()
    loaded = page.locator('.scenario[data-name="fixed"]')
    expect(loaded).to_be_visible()
    expect(error).to_be_empty()
    assert http.post(APPLY, headers=DEMO, json={"jobId": JOB, "coverLetter": "Hi"}).status_code == 402
    expect(loaded.locator('tr[data-rule="fixed/0"] td').nth(2)).to_have_text("1")  # hit count, live

    page.get_by_role("button", name="Load out-of-connects.yaml").click()
    expect(page.locator('.scenario[data-name="out-of-connects"]')).to_be_visible()
    shoot(page, screenshot_dir, "scenarios")
    page.get_by_role("button", name="Clear all").click()
    expect(page.locator(".scenario")).to_have_count(0)
    assert http.get("/_mock/scenarios").json() == {"scenarios": []}


# ── a narrow window ──────────────────────────────────────────────────────


def test_the_page_fits_a_narrow_window(
    browser: Any, mock: tuple[MockServer, httpx.Client], screenshot_dir: Path
) -> None:
    server, http = mock
    apply(http)
    apply(http, OTHER_JOB)
    context = browser.new_context(viewport={"width": 390, "height": 800})
    try:
        page = open_page(context.new_page(), server.base_url)
        expect(page.locator(".bar")).to_have_count(3)
        for name in ("Timeline", "Accounts", "Journal", "Webhooks", "Scenarios"):
            expect(page.get_by_role("tab", name=name)).to_be_in_viewport()
        # nothing wider than the window but the scrollable timeline and tables
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Until settled").click()
        expect(page.locator('.bar[data-terminal="false"]')).to_have_count(0)
        page.screenshot(path=str(screenshot_dir / "dashboard-narrow.png"))
        page.get_by_role("tab", name="Accounts").click()
        expect(metric(page, DEMO_KEY, "credits.spent")).to_have_attribute("data-value", "3")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
