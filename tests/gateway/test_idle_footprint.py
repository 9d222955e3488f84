"""What an idle box holds: a running `selfdata serve` loads the libraries of features nobody
uses yet only when they are first used (the city link's Ed25519 code, the pages' templates,
Babel, zeroconf when the announcement is off), so a Pi Zero 2 W that only receives positions
keeps its memory for mosquitto and the rest. The figures are bench/ingest.py's; this checks
the behaviour behind them, on a real process's memory map, and that the first request of
each lazily loaded part still works in that fresh process."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent / "ingest"))

from gateway import accounts  # noqa: E402
from gateway.store import Store  # noqa: E402
from gateway_process import GatewayProcess  # noqa: E402
from harness import PASSWORD, free_port  # noqa: E402

# A shared object each library maps when it is imported.
CITY_LINK = "/cryptography/"       # the outbox's Ed25519 keys (cryptography's Rust bindings)
TEMPLATES = "/markupsafe/"         # jinja2's escaping, loaded with it
BABEL = "/_decimal."               # Babel's numbers need decimal (its C module): only Babel loads it
ZEROCONF = "/zeroconf/"            # zeroconf's compiled modules

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def _mapped(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def _box(tmp_path) -> GatewayProcess:
    data = tmp_path / "data"
    data.mkdir()
    box = GatewayProcess(data, free_port())    # zeroconf = false, as the test config says
    store = Store(data / "selfdata.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", PASSWORD, display_name="Alice")
    store.close()
    return box


async def _get(session, url: str) -> tuple[int, str]:
    async with session.get(url, allow_redirects=False) as r:
        return r.status, await r.text()


async def test_an_idle_box_loads_each_feature_on_its_first_use(tmp_path):
    box = _box(tmp_path).start()
    try:
        maps = _mapped(box.pid)
        for library in (CITY_LINK, TEMPLATES, BABEL, ZEROCONF):
            assert library not in maps, f"{library} loaded by an idle box"
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            status, page = await _get(http, box.url + "/login")
            assert status == 200 and "<form" in page
            maps = _mapped(box.pid)
            assert TEMPLATES in maps and BABEL in maps     # the first page brought them
            async with http.post(box.url + "/login", allow_redirects=False, data={
                    "name": "alice", "password": PASSWORD, "next": "/"}) as r:
                assert r.status == 302
            # Each area of the household page is imported by its first request (the city
            # link's page is left out: showing it loads the link's code, as it should).
            for path, says in (("/day", "<h1"), ("/trends", "<h1"), ("/data", "<h1"),
                               ("/settings", "<h1"), ("/devices", "<h1")):
                status, page = await _get(http, box.url + path)
                assert status == 200 and says in page, (path, page[:300])
            token = CSRF.search(page).group(1)
            async with http.post(box.url + "/devices", allow_redirects=False,
                                 headers={"X-CSRF-Token": token, "Origin": box.url},
                                 data={"name": "phone", "kind": "phone", "mode": "http"}) as r:
                page = await r.text()
                assert r.status == 200 and "<svg" in page, page[:300]   # segno's QR code
        maps = _mapped(box.pid)
        assert CITY_LINK not in maps                       # the link is still off
        assert ZEROCONF not in maps                        # the announcement too
    finally:
        box.stop()
