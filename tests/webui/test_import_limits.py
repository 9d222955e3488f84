"""An import cannot take the service with it: each upload is imported by a child process
held to the box's limits, imports at once are bounded, and a job that a limit ended says
so in plain words, with what was imported before kept. Real HTTP, real child processes."""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import time
from pathlib import Path

import aiohttp

from gateway.service import Gateway
from harness import PASSWORD, base_url
from helpers import basic, count_fixes, location, wait_for
from webui.app import make_app

ALICE, BOB = basic("alice", PASSWORD), basic("bob", PASSWORD)
T0 = 1714636800


def geojson_with_a_huge_line(path: Path, good: int, pairs: int) -> Path:
    """``good`` timed points, then one LineString of ``pairs`` vertices: within the reader's
    per-feature cap, about 50 MB more than the importer's baseline to hold while it reads."""
    with open(path, "w") as f:
        f.write('{"type": "FeatureCollection", "features": [')
        for i in range(good):
            f.write(json.dumps({"type": "Feature", "properties": {"time": T0 + 60 * i},
                                "geometry": {"type": "Point",
                                             "coordinates": [-1.15 + i / 1e5, 46.16]}}) + ", ")
        f.write('{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", '
                '"coordinates": [')
        f.write(", ".join(f"[{-1.15 + i / 1e6:.6f}, 46.{i:06d}]" for i in range(pairs)))
        f.write("]}}]}")
    return path


def records(path: Path, n: int) -> Path:
    with open(path, "w") as f:
        f.write('{"locations": [')
        f.write(", ".join(json.dumps({"latitudeE7": 461600000 + i, "longitudeE7": -11500000,
                                      "accuracy": 10, "timestamp": time.strftime(
                                          "%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 30 * i))})
                          for i in range(n)))
        f.write("]}")
    return path


async def started(household, **imports):
    for key, value in imports.items():
        setattr(household.config.imports, key, value)
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    gw.household = household
    return gw


async def finished(session, gw, job_id, auth=ALICE, timeout=120):
    url = f"{base_url(gw)}/api/1/imports/{job_id}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = await (await session.get(url, headers=auth)).json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"import still running: {job}")


async def upload(session, gw, path_or_bytes, auth=ALICE):
    data = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
    return await session.post(base_url(gw) + "/api/1/imports", data=data, headers=auth)


async def phone_post(session, gw, tst) -> int:
    secret = gw.household.secrets["alice/phone"]
    r = await session.post(base_url(gw) + "/pub", json=location(tst),
                           headers=basic("alice/phone", secret))
    return r.status


async def test_a_file_needing_more_memory_than_allowed_stops_its_child_only(household,
                                                                            tmp_path):
    """The child is held to 70 MB of address space (the importer itself needs ~45); the
    line needs ~90 MB. The service keeps answering phones; the 5,000 points committed
    before the line are kept and the job says why it stopped."""
    path = geojson_with_a_huge_line(tmp_path / "track.geojson", good=6000, pairs=450_000)
    gw = await started(household, memory_mb=70)
    try:
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, path)
            assert r.status == 202
            job = await finished(s, gw, (await r.json())["id"])
            assert await phone_post(s, gw, T0 - 60) == 200
        assert job["status"] == "stopped"
        assert job["note"].startswith("stopped: the file needed more memory than the box "
                                      "allows (70 MB for an import). What was imported before "
                                      "is kept")
        kept = count_fixes(gw.config.db_path, "member_id = 1 AND source = 'import:geojson'")
        assert 5000 <= kept < 6000 and job["fixes"] <= kept
        assert count_fixes(gw.config.db_path, "source = 'owntracks-http'") == 1
        assert not list((gw.config.data_dir / "uploads").iterdir())
        assert gw.imports.running() == 0
    finally:
        await gw.stop()


async def test_the_same_file_imports_under_the_default_limit(household, tmp_path):
    path = geojson_with_a_huge_line(tmp_path / "track.geojson", good=6000, pairs=450_000)
    gw = await started(household)
    try:
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, path)
            job = await finished(s, gw, (await r.json())["id"])
        assert job["status"] == "done" and job["fixes"] == 6000 and job["note"] is None
        assert job["peak_memory_mb"] and job["peak_memory_mb"] < 150
    finally:
        await gw.stop()


async def test_processor_time_limit(household, tmp_path):
    path = records(tmp_path / "Records.json", 150_000)
    gw = await started(household, cpu_seconds=1)
    try:
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, path)
            job = await finished(s, gw, (await r.json())["id"])
            assert await phone_post(s, gw, T0 - 60) == 200
        assert job["status"] == "stopped"
        assert job["note"].startswith("stopped: the import used more than 1 seconds of "
                                      "processor time. What was imported before is kept")
        assert count_fixes(gw.config.db_path, "source = 'import:google-records'") < 150_000
    finally:
        await gw.stop()


class HeldUpload:
    """An upload whose body stays open until ``release()``: its slot is taken meanwhile."""

    def __init__(self, session, gw, auth):
        self.gate = asyncio.Event()

        async def body():
            yield b'{"locations": ['
            await self.gate.wait()
            yield json.dumps({"latitudeE7": 461600000, "longitudeE7": -11500000,
                              "timestamp": "2024-05-02T08:00:00Z"}).encode() + b"]}"
        self.task = asyncio.create_task(session.post(base_url(gw) + "/api/1/imports",
                                                     data=body(), headers=auth))

    async def release(self):
        self.gate.set()
        return await self.task


def uploads_in_progress(gw) -> int:
    folder = gw.config.data_dir / "uploads"
    return len(list(folder.iterdir())) if folder.is_dir() else 0


async def test_one_import_per_member_and_two_per_box(household):
    gw = await started(household, per_box=1)
    try:
        async with aiohttp.ClientSession() as s:
            held = HeldUpload(s, gw, ALICE)
            await wait_for(lambda: uploads_in_progress(gw) == 1)
            r = await upload(s, gw, b'{"locations": []}')
            assert r.status == 409
            assert (await r.text()).startswith("an import of yours is already being received "
                                               "or running: wait until it has finished")
            r = await upload(s, gw, b'{"locations": []}', auth=BOB)
            assert r.status == 429 and r.headers["Retry-After"] == "60"
            assert (await r.text()).startswith("the box is already importing 1 files, the "
                                               "most it runs at once")
            done = await finished(s, gw, (await (await held.release()).json())["id"])
            assert done["status"] == "done" and done["fixes"] == 1
            await wait_for(lambda: gw.imports.running() == 0)
            r = await upload(s, gw, b'{"locations": []}', auth=BOB)
            assert r.status == 202
            await finished(s, gw, (await r.json())["id"], auth=BOB)
    finally:
        await gw.stop()


async def test_a_client_gone_mid_upload_leaves_no_file_and_no_slot(household):
    gw = await started(household)
    try:
        async with aiohttp.ClientSession() as s:
            held = HeldUpload(s, gw, ALICE)
            await wait_for(lambda: uploads_in_progress(gw) == 1)
            held.task.cancel()
            await asyncio.gather(held.task, return_exceptions=True)
        await wait_for(lambda: uploads_in_progress(gw) == 0)
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, b'{"locations": []}')
            assert r.status == 202
            await finished(s, gw, (await r.json())["id"])
    finally:
        await gw.stop()


async def test_a_declared_length_over_the_cap_is_refused_before_reading(household):
    gw = await started(household, max_upload_mb=1)
    try:
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, b" " * (2 << 20))
            assert r.status == 413
            assert (await r.text()).startswith("the file is larger than the 1.0 MB an upload "
                                               "may be")
        assert uploads_in_progress(gw) == 0
    finally:
        await gw.stop()


async def test_a_child_killed_from_outside_is_reported(household, tmp_path):
    """The kernel's out-of-memory killer sends SIGKILL: the job says memory, not 'running'."""
    path = records(tmp_path / "Records.json", 300_000)
    gw = await started(household)
    try:
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, path)
            job_id = (await r.json())["id"]
            pid = await wait_for(lambda: _job_row(gw, job_id)["pid"])
            await wait_for(lambda: _job_row(gw, job_id)["fixes"] > 0, timeout=60)
            os.kill(pid, 9)
            job = await finished(s, gw, job_id)
        assert job["status"] == "stopped" and "more memory than the box allows" in job["note"]
        assert job["fixes"] <= count_fixes(gw.config.db_path, "source = 'import:google-records'")
    finally:
        await gw.stop()


def _job_row(gw, job_id):
    conn = sqlite3.connect(gw.config.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM import_jobs WHERE id = ?", (job_id,)).fetchone())
    finally:
        conn.close()


async def test_an_uploaded_crafted_archive_writes_nothing(household, tmp_path):
    """The review's archive through the upload path: refused in the job's report."""
    import hashlib
    import zipfile
    rows = b'{"owner_id": 2, "viewer_id": 1}\n'
    files = {"member.json": b"{}", "devices.json": b"[]", "tables/shares.jsonl": rows}
    manifest = {"format": "selfdata-archive", "format_version": 1, "counts": {"shares": 1},
                "files": [{"name": n, "sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d),
                           "rows": d.count(b"\n")} for n, d in files.items()]}
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in files.items():
            zf.writestr(name, data)
    gw = await started(household)
    try:
        async with aiohttp.ClientSession() as s:
            r = await upload(s, gw, path)
            job = await finished(s, gw, (await r.json())["id"])
        (f,) = job["report"]["files"]
        assert f["refused"].startswith("archive refused, nothing restored: tables/shares.jsonl")
        conn = sqlite3.connect(gw.config.db_path)
        assert conn.execute("SELECT count(*) FROM visibility").fetchone()[0] == 0
        conn.close()
    finally:
        await gw.stop()


async def test_a_body_that_stops_coming_gives_its_slot_back(household, monkeypatch):
    """An upload that sends a few bytes and then nothing would hold the member's slot (and
    one of the box's) for ever: it ends after the idle time, its partial file removed."""
    import webui.imports_api
    monkeypatch.setattr(webui.imports_api, "IDLE_S", 0.5)
    gw = await started(household)
    try:
        async with aiohttp.ClientSession() as s:
            held = HeldUpload(s, gw, ALICE)
            r = await held.task                # the gate is never opened
            assert r.status == 408
            assert (await r.text()).startswith("nothing received for 0.5 seconds")
            assert uploads_in_progress(gw) == 0
            r = await upload(s, gw, b'{"locations": []}')
            assert r.status == 202
            await finished(s, gw, (await r.json())["id"])
    finally:
        await gw.stop()


async def test_an_uploads_own_name_is_neither_code_nor_an_option(household, tmp_path):
    """The child runs in the upload's folder and is given the file's own name (so that its
    report names the member's file, not a path of the box): a file called ``json.py`` is
    never imported as Python, a name shaped like an option is never read as one."""
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('the upload ran as code')\n".encode()
    gw = await started(household)
    try:
        async with aiohttp.ClientSession() as s:
            for name, body in (("json.py", code), ("--memory-mb", b'{"locations": []}')):
                form = aiohttp.FormData()
                form.add_field("file", body, filename=name)
                r = await s.post(base_url(gw) + "/api/1/imports", data=form, headers=ALICE)
                assert r.status == 202, await r.text()
                job = await finished(s, gw, (await r.json())["id"])
                assert job["status"] == "done", job["note"]
                (f,) = job["report"]["files"]
                assert f["file"].endswith(name) and str(gw.config.data_dir) not in f["file"]
                await wait_for(lambda: gw.imports.running() == 0)
            assert f["refused"] is None and f["fixes_imported"] == 0
        assert not marker.exists()
    finally:
        await gw.stop()
