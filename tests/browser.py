"""Real headless Chromium for tests: Debian's `chromium` driven by Playwright.

`playwright install` cannot download browsers here, so Playwright is pointed at the
Debian binary (`./dev` installs both). Use it as a context manager or through the
`chromium` fixture (tests/conftest.py):

    async with chromium() as browser:
        page = await browser.new_page()
        console = watch_console(page)      # every console message, for CSP violations
        await page.goto(base_url(gw) + "/login")

Each launch gets a fresh temporary profile (Playwright's own user-data dir, deleted on
close): no cookie or cache survives a test.
"""
from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
AXE = sorted((Path(__file__).parent / "webui" / "vendor").glob("axe-core-*.min.js"))
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


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


async def block_outside(context) -> None:
    """No request leaves the loopback: map tiles from the internet fail as they would on a
    box with no internet (the track must still draw)."""
    async def route(r):
        host = r.request.url.split("/")[2].split(":")[0]
        if host in ("127.0.0.1", "localhost"):
            await r.continue_()
        else:
            await r.abort()
    await context.route("**/*", route)


async def login(page, base: str, name: str, password: str) -> None:
    await page.goto(base + "/login")
    await page.fill("#name", name)
    await page.fill("#password", password)
    await page.click("button[type=submit]")
    await page.wait_for_load_state()


async def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """axe-core (vendored from npm by scripts/vendor_js.py) run on the page as it is;
    the violations of these impacts, each with its rule, help and first targets."""
    if not AXE:
        pytest.fail("axe-core is not vendored: run ./dev vendor")
    await page.add_script_tag(content=AXE[-1].read_text())
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in impacts]
