"""Repeated log lines are collapsed: 22,000 junk messages once wrote 3.6 MiB of log."""
from __future__ import annotations

import asyncio
import io
import logging
import sys
from pathlib import Path

import aiohttp

from gateway.logs import RepeatFilter, setup
from harness import Household, free_port, make_config
from helpers import basic

sys.path.insert(0, str(Path(__file__).parent / "ingest"))
from gateway_process import GatewayProcess  # noqa: E402


def _logger(interval=60.0, burst=5):
    now = [0.0]
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    repeats = RepeatFilter(interval_s=interval, burst=burst, clock=lambda: now[0])
    handler.addFilter(repeats)
    log = logging.getLogger(f"test.repeats.{id(out)}")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.INFO)
    return log, out, repeats, now


def test_repeats_of_one_template_are_counted_not_written():
    log, out, repeats, now = _logger()
    for i in range(22_000):
        log.warning("rejected source=%s device=%s reason=%s", "mqtt", f"d{i % 7}", "not JSON")
    log.info("something else entirely")       # another template is not held back
    lines = out.getvalue().splitlines()
    assert len(lines) == 6 and lines[-1] == "INFO something else entirely"
    now[0] = 61.0
    repeats.flush()
    summary = out.getvalue().splitlines()[-1]
    assert summary.startswith("WARNING ... 'rejected source=%s device=%s reason=%s' repeated "
                              "21995 more times in 60 s")
    assert "(last: rejected source=mqtt device=d5 reason=not JSON)" in summary
    assert len(out.getvalue()) < 2_000


def test_a_new_interval_lets_the_first_few_through_again():
    log, out, repeats, now = _logger(interval=10, burst=2)
    for _ in range(5):
        log.error("broker down")
    now[0] = 11
    for _ in range(5):
        log.error("broker down")
    lines = out.getvalue().splitlines()
    assert lines == ["ERROR broker down"] * 2 + [
        "ERROR ... 'broker down' repeated 3 more times in 10 s (last: broker down)"] + [
        "ERROR broker down"] * 2


def test_a_single_message_is_never_summed_up():
    log, out, repeats, now = _logger()
    log.warning("once")
    now[0] = 120
    repeats.flush()
    assert out.getvalue() == "WARNING once\n"


def test_setup_installs_it_on_the_root_handler():
    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        assert setup("INFO", stream=out) is None      # pytest's handlers are left alone
        assert setup("INFO", stream=out, force=True) is not None
        for _ in range(100):
            logging.getLogger("gateway.test").warning("same %d", 1)
        assert out.getvalue().count("same 1") == 5
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


async def test_a_flood_of_junk_from_a_phone_writes_a_few_lines_to_the_real_log(tmp_path):
    """`selfdata serve` as on the box: 3,000 unusable payloads are all counted as
    rejections, and the log says so in a few lines."""
    household = Household(make_config(tmp_path / "data"))
    gateway = GatewayProcess(household.config.data_dir, free_port()).start()
    try:
        headers = basic("alice/phone", household.secrets["alice/phone"])
        async with aiohttp.ClientSession() as phone:
            async def junk(i):
                async with phone.post(gateway.url + "/pub", data=f"not json {i}",
                                      headers=headers) as r:
                    assert r.status == 200 and "X-Selfdata-Rejected" in r.headers
            for start in range(0, 3000, 20):   # 20 at once: under the per-address cap
                await asyncio.gather(*(junk(i) for i in range(start, start + 20)))
    finally:
        gateway.stop()
    text = gateway.log_path.read_text()
    assert text.count("rejected source=owntracks-http") <= 6, text[-2000:]
    assert len(text) < 20_000
    import sqlite3
    conn = sqlite3.connect(household.config.db_path)
    assert conn.execute("SELECT count(*) FROM rejections").fetchone()[0] == 3000
    conn.close()
