"""Real headless Chromium for tests: Debian's `chromium` driven by Playwright.

`playwright install` cannot download browsers here, so Playwright is pointed at the
Debian binary (`./dev` installs both). Use it as a context manager or through the
`chromium` fixture (tests/conftest.py):

    async with chromium() as browser:
        page = await browser.new_page()
        console = watch_console(page)      # every console message, for CSP violations
        await page.goto(base_url(gw) + "/login")

Each test gets its own browser and profile (no cookie survives a test).
"""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_chromium() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (./dev test installs it)")
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("Debian's chromium is not installed (./dev test installs it)")


@contextlib.asynccontextmanager
async def chromium():
    require_chromium()
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


def watch_console(page) -> list[str]:
    """The page's console messages and uncaught errors as they come (CSP violations are
    reported there: "Refused to ... because it violates ... Content Security Policy")."""
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: seen.append(f"pageerror: {exc}"))
    return seen
