"""Migration m0007 (the Recorder objects computed at ingest): a box that already holds
fixes gets the columns at once and the values filled in by the running gateway, in short
batches, while the API answers the same all along."""
from __future__ import annotations

import json
import sqlite3

import aiohttp

from gateway import accounts
from gateway.service import Gateway
from gateway.store import Store, migrations
from harness import PASSWORD, Household, base_url, make_config
from helpers import wait_for
from webui.app import make_app

T0 = 1_700_000_000
N = 4500  # more than two of the gateway's batches


def _unfilled(db) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM fixes WHERE ghash IS NULL").fetchone()[0]
    finally:
        conn.close()


async def test_fixes_stored_before_m0007_are_filled_in_by_the_running_gateway(tmp_path,
                                                                              monkeypatch):
    everything = migrations.available()
    monkeypatch.setattr(migrations, "available",
                        lambda: [m for m in everything if m[1] != "m0007_readside"])
    household = Household(make_config(tmp_path / "data"))   # a box from before m0007
    store = Store(household.config.db_path).open()
    device = accounts.get_device(store.conn, "alice", "phone")
    raw = '{"_type":"location","lat":46.1,"lon":-1.1,"tst":%d,"acc":10,"tid":"ph","SSID":"x"}'
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO fixes (device_id, member_id, ts, lat, lon, acc, source, received_ts, "
            "raw) VALUES (?, ?, ?, 46.1, -1.1, 10.0, 'owntracks-http', 0, ?)",
            [(device.id, device.member_id, T0 + k, raw % (T0 + k)) for k in range(N)])
    store.close()
    monkeypatch.setattr(migrations, "available", lambda: everything)

    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    try:
        await wait_for(lambda: _unfilled(household.config.db_path) == 0, timeout=60)
        url = base_url(gw) + "/api/0/locations"
        params = {"user": "alice", "device": "phone", "from": "2023-11-01", "to": "2023-12-01"}
        auth = {"Authorization": aiohttp.encode_basic_auth("alice", PASSWORD)}
        async with aiohttp.ClientSession() as http:
            async with http.get(url, params=params, headers=auth) as r:
                body = json.loads(await r.text())
    finally:
        await gw.stop()
    assert body["count"] == N
    first = body["data"][0]
    assert (first["tst"], first["SSID"], first["ghash"], first["isolocal"]) == (
        T0, "x", "gbpnqbp", "2023-11-14T23:13:20+0100")
