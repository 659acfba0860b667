"""Browser tests: Playwright driving Debian's Chromium (no browser download), against the live server."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from billing.catalog import ensure_catalog

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# What Chromium writes on the console when the Content-Security-Policy refuses something.
CSP_VIOLATION_TEXTS = ("Content Security Policy", "Content-Security-Policy")

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make
# (factories, assertions) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is needed at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # live_server tests flush the database after each test, the data migration's plan catalog included.
    ensure_catalog()
    # Reduced motion, as many users ask for: no transition is half-way when a test reads a style (a focus ring).
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    # The Content-Security-Policy is on: Chromium reports what it refuses (an inline script or style, an eval)
    # on the console. Any such report fails the test, so every page the tests visit is known to work under it.
    violations = []
    page.on("console", lambda message: _record_violation(violations, message.text))
    page.on("pageerror", lambda error: violations.append(f"uncaught: {error}"))
    yield page
    context.close()
    assert violations == []


def _record_violation(violations: list[str], text: str) -> None:
    if any(marker in text for marker in CSP_VIOLATION_TEXTS):
        violations.append(text)


@pytest.fixture
def screenshot(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
