"""A member uploads a location history in the browser and follows the import."""
from __future__ import annotations

import asyncio

import aiohttp

from harness import PASSWORD, base_url
from helpers import basic

GPX = b"""<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>
<trkpt lat="46.1600" lon="-1.1500"><time>2026-03-02T08:00:00Z</time></trkpt>
<trkpt lat="46.1610" lon="-1.1490"><time>2026-03-02T08:01:00Z</time></trkpt>
<trkpt lat="46.1620" lon="-1.1480"><time>2026-03-02T08:02:00Z</time></trkpt>
</trkseg></trk></gpx>"""


async def _until_finished(session, url, auth):
    for _ in range(200):
        job = await (await session.get(url, headers=auth)).json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"import still running: {job}")


async def test_upload_is_imported_and_its_progress_can_be_followed(gateway):
    gw = gateway
    alice = basic("alice", PASSWORD)
    async with aiohttp.ClientSession() as s:
        form = aiohttp.FormData()
        form.add_field("file", GPX, filename="Run in the morning.gpx",
                       content_type="application/gpx+xml")
        r = await s.post(base_url(gw) + "/api/1/imports?device=watch", data=form, headers=alice)
        assert r.status == 202
        job = await r.json()
        url = base_url(gw) + r.headers["Location"]
        done = await _until_finished(s, url, alice)
        assert done["status"] == "done" and done["fixes"] == 3
        (report,) = done["report"]["files"]
        assert report["format"] == "gpx" and report["fixes_imported"] == 3
        assert report["device"] == "watch"
        # Bob cannot see Alice's job, nobody without a login can.
        r = await s.get(url, headers=basic("bob", PASSWORD))
        assert r.status == 404
        assert (await s.get(url)).status == 401
        listed = await (await s.get(base_url(gw) + "/api/1/imports", headers=alice)).json()
        assert [j["id"] for j in listed] == [job["id"]]
    rows = gw.store.conn.execute("SELECT f.source, d.name FROM fixes f JOIN devices d "
                                 "ON d.id = f.device_id").fetchall()
    assert [tuple(r) for r in rows] == [("import:gpx", "watch")] * 3
    assert not list((gw.config.data_dir / "uploads").iterdir())  # the upload is not kept


async def test_a_file_that_is_no_location_history_is_refused_in_the_report(gateway):
    gw = gateway
    alice = basic("alice", PASSWORD)
    async with aiohttp.ClientSession() as s:
        r = await s.post(base_url(gw) + "/api/1/imports", data=b'{"contacts": []}',
                         headers=alice)
        assert r.status == 202
        done = await _until_finished(s, base_url(gw) + r.headers["Location"], alice)
    assert done["fixes"] == 0
    assert "contacts" in done["report"]["files"][0]["refused"]


async def test_uploads_left_by_a_crash_are_removed_at_start(household):
    from gateway.service import Gateway
    from webui.app import make_app
    uploads = household.config.data_dir / "uploads"
    uploads.mkdir(parents=True)
    (uploads / "0123-Records.json").write_text('{"locations": []}')
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    try:
        assert not list(uploads.iterdir())
    finally:
        await gw.stop()
