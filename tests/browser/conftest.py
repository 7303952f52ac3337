"""Real-browser tests: Debian's Chromium driven by Playwright (no downloaded browser build).

``make test`` installs the ``chromium`` Debian package when it is missing; here the browser is
required, not optional: a missing Chromium fails the run instead of skipping silently.
Screenshots go to ``$UPHUNT_MOCK_SCREENSHOTS`` (default ``build/screenshots``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("Chromium not found: install Debian's `chromium` package (make test does it) or set CHROMIUM")


# Module scope, not session: while Playwright's sync driver runs, the main thread counts as inside
# an event loop, so every later test calling asyncio.run() would fail with "cannot be called from a
# running event loop". Stopping it after each browser module keeps the rest of the suite unaffected.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("UPHUNT_MOCK_SCREENSHOTS", "build/screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path
