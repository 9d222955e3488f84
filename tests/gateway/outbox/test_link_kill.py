"""A gateway killed (SIGKILL) in the middle of sending: the city had stored the summary but the
box never saw the receipt. After the restart the box sends the very same bytes again, the city
answers with the receipt it gave the first time, and the ledger ends with exactly one row per
month and member. The members enrol, join and preview with the `selfdata link` commands; the
`selfdata serve` process sends by itself."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

from carbon import summary_wire as wire
from gateway.outbox.keys import receipt_problem

from link_boxes import Member, make_box

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from gateway_process import SELFDATA, GatewayProcess, write_config  # noqa: E402

from link_city import free_port  # noqa: E402

MONTHS = ["2026-03", "2026-04"]
LINK = {"send_interval_s": 0.2, "jitter_s": 0.0, "backoff_min_s": 1.0, "backoff_max_s": 2.0,
        "timeout_s": 10.0}


async def selfdata(config: Path, *args) -> str:
    """One `selfdata` command, without blocking the event loop the city runs on."""
    proc = await asyncio.create_subprocess_exec(
        str(SELFDATA), *args, "--config", str(config), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, f"selfdata {' '.join(args)}: {err.decode()}"
    return out.decode()


def _rows(db: Path, sql: str, *args) -> list:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _ledger(db: Path) -> list:
    return _rows(db, "SELECT l.member_id, l.month, l.revision, l.message, l.receipt, k.aggregator_key, "
                     "l.outbox_id FROM ledger l JOIN links k ON k.id = l.link_id ORDER BY l.id")


async def _until(predicate, timeout=90.0):
    for _ in range(int(timeout / 0.2)):
        if predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("not reached in time")


async def test_a_gateway_killed_mid_send_resends_the_same_bytes(tmp_path, city, proxy):
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice"), Member("bob", "bob")])
    gateway = GatewayProcess(box.data_dir, free_port())
    config = write_config(gateway.config_path, {
        "gateway": {"data_dir": str(box.data_dir), "zeroconf": False, "hostname": "maison-dupont"},
        "web": {"host": "127.0.0.1", "port": gateway.web_port},
        "mqtt": {"enabled": False}, "link": LINK})
    for name, token in zip(("alice", "bob"), await city.tokens(2)):
        await selfdata(config, "link", "enrol", proxy.url, token, "--member", name)
        await selfdata(config, "link", "join", "--member", name, "--commune", "--from", "2026-03")
    previews = {name: json.loads(await selfdata(config, "link", "preview", "--member", name,
                                                "--month", "2026-03", "--json"))
                for name in ("alice", "bob")}

    proxy.hold, proxy.forwarded = asyncio.Event(), asyncio.Event()   # the city answers; the box never hears
    await asyncio.to_thread(gateway.start, wait_mqtt=False)
    try:
        await asyncio.wait_for(proxy.forwarded.wait(), 60)
        gateway.kill()
        (first,) = proxy.posts("/summaries")
        assert first.status == 200                               # stored at the city
        assert _ledger(box.config.db_path) == []                 # the box has no receipt
        proxy.hold.set()

        await asyncio.to_thread(gateway.start, wait_mqtt=False)
        await _until(lambda: len(_ledger(box.config.db_path)) == 4)
        assert gateway.terminate() == 0
    finally:
        gateway.stop()

    posts = proxy.posts("/summaries")
    again = [c for c in posts[1:] if c.body == first.body]
    assert len(again) == 1 and again[0].status == 409           # the same bytes; a replay...
    assert json.loads(again[0].answer)["receipt"] == json.loads(first.answer)["receipt"]
    assert city.counters()["rejected"] == {"replay": 1}          # ...answered with its receipt
    assert sum(1 for c in posts if c.status == 200) == 4

    rows = _ledger(box.config.db_path)
    assert sorted((m, month) for m, month, *_ in rows) == sorted(
        (box.ids[n], month) for n in ("alice", "bob") for month in MONTHS)
    assert len({r[6] for r in rows}) == 4                        # one outbox message each
    for member, month, revision, message, receipt, aggregator_key, _ in rows:
        assert revision == 1
        assert receipt_problem(json.loads(receipt), json.loads(message), aggregator_key) is None
    assert _rows(box.config.db_path, "SELECT count(*) FROM outbox WHERE state != 'sent'") == [(0,)]
    for name, preview in previews.items():                       # the preview is what went
        (item,) = preview["studies"]
        assert item["wire"].encode() in {c.body for c in posts}
        pseudonym = item["message"]["pseudonym"]
        stored = await city.store.stored_figures(pseudonym)
        assert [(r[1], r[2]) for r in stored] == [(m, 1) for m in MONTHS]
