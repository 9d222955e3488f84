"""The review's hostile uploads, sent as it sent them: POSTed to a real service over loopback
while a phone keeps posting its position. Each one ends with a specific error in the job's
report (the good records beside it imported), the import child stays under the 150 MB an
import may use on a Pi Zero 2 W, and every phone post is answered and stored meanwhile."""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import pytest

from harness import base_url
from helpers import basic, count_fixes, location, wait_for
from test_import_limits import ALICE, finished, started, upload

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import bombs  # noqa: E402  (bench/bombs.py: the same files bench/upload.py uploads)

PEAK_MB = 150


def _one(report: dict) -> dict:
    assert len(report["files"]) == 1, report["files"]
    return report["files"][0]


def deep(report):
    f = _one(report)
    assert f["refused"] == ("JSON nested deeper than 10,000 levels before anything could be "
                            "read: not a location history")


def numbers(report):
    f = _one(report)
    assert f["rejected_examples"] == {"holds more than 100,000 values": ["locations[1]"]}
    assert f["fixes_imported"] == 2


def desc(report):
    f = _one(report)      # the description dropped as it streams, the three points kept
    assert (f["format"], f["fixes_imported"], f["rejected"], f["stopped"]) == ("gpx", 3, {}, None)


def rec_line(report):
    f = _one(report)
    assert f["rejected_examples"] == {"line longer than 8,192 bytes": ["line 2"]}
    assert f["fixes_imported"] == 2


def takeout(report):
    assert len(report["files"]) == 4000
    assert report["fixes_imported"] == 20 and report["labelled_segments"] == 10


def zip_bomb(report):
    files = {f["file"].rsplit(":", 1)[1]: f for f in report["files"]}
    assert files["Takeout/Records.json"]["fixes_imported"] == 1
    assert "more than 100 times: a zip bomb, not read" in files["Takeout/bomb.json"]["refused"]


def gzip_bomb(report):
    f = _one(report)
    assert f["fixes_imported"] == 2
    assert f["stopped"].startswith("stopped near byte ")
    assert "upload expands past 108 MB (more than 100 times its 1.1 MB): a compression bomb" \
        in f["stopped"]


CASES = {
    "nested-2000000": ("Records.json.gz", lambda p: bombs.deep_json(p, 2_000_000), deep),
    "30M-numbers": ("Records.json.gz", bombs.many_numbers, numbers),
    "gpx-300MiB-desc": ("ride.gpx.gz", lambda p: bombs.gpx_desc(p, mib=300), desc),
    "rec-300MiB-line": ("2024-05.rec.gz", lambda p: bombs.rec_line(p, mib=300), rec_line),
    "takeout-4000-files": ("takeout.zip",
                           lambda p: bombs.many_members(p, 4000, location_every=400), takeout),
    "zip-bomb": ("takeout.zip", lambda p: bombs.zip_bomb(p, mib=256), zip_bomb),
    "gzip-bomb": ("Records.json.gz", lambda p: bombs.gzip_bomb(p, mib=1024), gzip_bomb),
}


@pytest.mark.parametrize("case", CASES)
async def test_an_upload_bomb_is_refused_while_phones_are_served(household, tmp_path, case):
    name, build, check = CASES[case]
    path = build(tmp_path / name)
    gw = await started(household)
    secret = household.secrets["alice/phone"]
    answers: list[int] = []
    importing = asyncio.Event()

    async def phone(session):
        tst = bombs.T0 - 86400
        while not importing.is_set() or len(answers) < 3:
            r = await session.post(base_url(gw) + "/pub", json=location(tst),
                                   headers=basic("alice/phone", secret))
            answers.append(r.status)
            tst += 10
            await asyncio.sleep(0.1)
    try:
        async with aiohttp.ClientSession() as s:
            poster = asyncio.create_task(phone(s))
            r = await upload(s, gw, path)
            assert r.status == 202
            job = await finished(s, gw, (await r.json())["id"], auth=ALICE, timeout=600)
            importing.set()
            await poster
        await wait_for(lambda: gw.imports.running() == 0)     # the child has exited
        assert job["status"] == "done", job["note"]
        check(job["report"])
        assert job["peak_memory_mb"] and job["peak_memory_mb"] < PEAK_MB, job["peak_memory_mb"]
        assert set(answers) == {200}
        assert count_fixes(gw.config.db_path, "source = 'owntracks-http'") == len(answers)
        assert not list((gw.config.data_dir / "uploads").iterdir())
        # What the member reads names their file, never a path of the box.
        assert str(gw.config.data_dir) not in json.dumps(job)
    finally:
        await gw.stop()
