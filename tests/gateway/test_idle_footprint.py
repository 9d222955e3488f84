"""What an idle box holds: a running `selfdata serve` loads the libraries of features nobody
uses yet only when they are first used (the city link's Ed25519 code, the pages' templates),
so a Pi Zero 2 W that only receives positions keeps its memory for mosquitto and the rest.
The figures are bench/ingest.py's; this checks the behaviour behind them, on a real
process's memory map."""
from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "ingest"))

from gateway_process import GatewayProcess  # noqa: E402
from harness import free_port  # noqa: E402

# A shared object each library maps when it is imported.
CITY_LINK = "/cryptography/"       # the outbox's Ed25519 keys (cryptography's Rust bindings)
TEMPLATES = "/markupsafe/"         # jinja2's escaping, loaded with it


def _mapped(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def test_an_idle_box_loads_the_city_link_and_the_templates_only_when_used(tmp_path):
    (tmp_path / "data").mkdir()
    box = GatewayProcess(tmp_path / "data", free_port()).start()
    try:
        maps = _mapped(box.pid)
        assert CITY_LINK not in maps and TEMPLATES not in maps
        with urllib.request.urlopen(box.url + "/login", timeout=30) as resp:
            assert resp.status == 200 and b"<form" in resp.read()
        assert TEMPLATES in _mapped(box.pid)          # the first page brought jinja2
        assert CITY_LINK not in _mapped(box.pid)      # the link is still off
    finally:
        box.stop()
