"""Screenshots of each main page at phone (390x844) and desktop (1280x800) sizes, into
docs/screenshots/ (`./dev screenshots`). A gateway is started on loopback over the
simulated household (tests/pagebox.py), with no internet: the maps draw on their plain
background, as on a box offline."""
from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "gateway" / "outbox")]

import pagebox  # noqa: E402
from browser import DESKTOP, PHONE, block_outside, chromium, login  # noqa: E402
from gateway.queries import days as dq  # noqa: E402
from gateway.service import Gateway  # noqa: E402
from harness import PASSWORD, base_url  # noqa: E402
from webui.app import make_app  # noqa: E402
from link_city import City  # noqa: E402  (the real aggregator, on loopback)

OUT = REPO / "docs" / "screenshots"


def pages(gw) -> list[tuple[str, str]]:
    alice = pagebox.member_id(gw.store, "alice")
    trip = dq.day(gw.store.conn, alice, pagebox.WORKDAY, pagebox.TZ)["trips"][0]["id"]
    return [("day", f"/day/{pagebox.WORKDAY.isoformat()}"), ("trip", f"/trips/{trip}"),
            ("trends", f"/trends?period=week&at={pagebox.LAST_DAY.isoformat()}"),
            ("places", "/places"), ("bike-days", "/bike-days?year=2026"),
            ("devices", "/devices"), ("data", "/data"), ("settings", "/settings")]


async def shoot(gw, size: str, viewport: dict) -> list[Path]:
    written = []
    async with chromium() as browser:
        context = await browser.new_context(viewport=viewport, device_scale_factor=1,
                                            locale="en-GB")
        await block_outside(context)
        page = await context.new_page()
        await page.goto(base_url(gw) + "/login")
        written.append(await _save(page, "login", size))
        await login(page, base_url(gw), "alice", PASSWORD)
        for name, path in pages(gw):
            await page.goto(base_url(gw) + path)
            if await page.locator("#map").count():
                await page.wait_for_selector("#map[data-ready]")
                await page.wait_for_timeout(400)
            written.append(await _save(page, name, size))
        await page.goto(base_url(gw) + "/devices/new")
        await page.fill("#name", "pixel" if size == "phone" else "iphone")
        await page.click("form:has(#name) button[type=submit]")
        await page.wait_for_selector("#qr svg")
        written.append(await _save(page, "add-a-phone", size))
        for name, path in CITY_PAGES:
            await page.goto(base_url(gw) + path.format(city=gw.city_url))
            written.append(await _save(page, name, size))
    return written


MARCH = "2026-03"
CITY_PAGES = (("city-link", "/link"),
              ("city-link-preview", "/link/preview?aggregator={city}&month=" + MARCH),
              ("city-link-ledger", "/link/ledger"))


async def link_alice(gw, city) -> None:
    """alice enrols with the city on loopback, joins the monthly summary from March (with
    her commune) and the box sends it: the city link's pages then have something to show."""
    alice = pagebox.member_id(gw.store, "alice")
    (token,) = await city.tokens(1)
    await gw.outbox.enrol(alice, city.url, token)
    await gw.outbox.join(alice, commune=True, from_month=MARCH)
    await gw.outbox.send_due(at_once=True)
    gw.city_url = city.url


async def _save(page, name: str, size: str) -> Path:
    path = OUT / f"{name}-{size}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = pagebox.build(Path(tmp))
        gw = Gateway(pagebox.config_with(db, Path(tmp) / "box"), web_app=make_app)
        await gw.start()
        city = await City(Path(tmp) / "city").start()
        try:
            await link_alice(gw, city)
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                for path in await shoot(gw, size, viewport):
                    print(f"{path.relative_to(REPO)} ({path.stat().st_size // 1024} KB)")
        finally:
            await gw.stop()
            await city.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
