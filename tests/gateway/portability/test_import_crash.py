"""An import interrupted by a crash of the service: a real `selfdata serve` is SIGKILLed while
its child imports an upload. The child dies with it, the job reads "interrupted" (never
"running" forever) once the service is back, with a note that running it again is safe,
and running it again completes the import with nothing twice."""
from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "gateway" / "ingest"))
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from gateway_process import GatewayProcess, write_config  # noqa: E402

from harness import PASSWORD, Household, free_port, make_config  # noqa: E402
from helpers import basic  # noqa: E402

POINTS = 200_000
ALICE = basic("alice", PASSWORD)


def records(path: Path, n: int) -> Path:
    with open(path, "w") as f:
        f.write('{"locations": [')
        f.write(", ".join(json.dumps({"latitudeE7": 461600000 + i % 5000,
                                      "longitudeE7": -11500000, "accuracy": 10,
                                      "timestampMs": str((1_500_000_000 + 30 * i) * 1000)})
                          for i in range(n)))
        f.write("]}")
    return path


def api(gw, path, data=None):
    req = urllib.request.Request(gw.url + path, data=data, headers=ALICE,
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.load(r)


def job_row(db, job_id):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM import_jobs WHERE id = ?", (job_id,)).fetchone())
    finally:
        conn.close()


def wait(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) is gone as far as the import goes.
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"


def test_sigkill_during_an_import(tmp_path):
    config = make_config(tmp_path / "data")
    Household(config)
    gw = GatewayProcess(config.data_dir, free_port())
    write_config(gw.config_path, {
        "gateway": {"data_dir": str(config.data_dir), "zeroconf": False},
        "web": {"host": "127.0.0.1", "port": gw.web_port},
        "mqtt": {"enabled": False},
        # Small transactions: many commits, so the kill lands between two of them.
        "imports": {"transaction_ms": 20.0},
    })
    path = records(tmp_path / "Records.json", POINTS)
    body = path.read_bytes()
    try:
        gw.start()
        status, job = api(gw, "/api/1/imports", body)
        assert status == 202 and job["status"] == "running"
        child = wait(lambda: job_row(config.db_path, job["id"])["pid"])
        wait(lambda: job_row(config.db_path, job["id"])["fixes"] > 0)
        gw.kill()
        # The child dies with the service: nothing writes behind the next start's back.
        wait(lambda: not alive(child), timeout=10)
        kept = job_row(config.db_path, job["id"])["fixes"]
        assert job_row(config.db_path, job["id"])["status"] == "running"   # as the crash left it

        gw.start()
        _, listed = api(gw, "/api/1/imports")
        assert listed[0]["id"] == job["id"] and listed[0]["status"] == "interrupted"
        assert listed[0]["note"].startswith("interrupted: the service stopped during this "
                                            "import")
        assert "running the same import again is safe" in listed[0]["note"]
        assert list((config.data_dir / "uploads").iterdir()) == []

        _, again = api(gw, "/api/1/imports", body)
        done = wait(lambda: (lambda j: j if j["status"] != "running" else None)(
            api(gw, f"/api/1/imports/{again['id']}")[1]), timeout=300)
        assert done["status"] == "done", done
        assert done["fixes"] + done["duplicates"] == POINTS
        assert done["duplicates"] >= kept
    finally:
        gw.stop()
    conn = sqlite3.connect(config.db_path)
    assert conn.execute("SELECT count(*), count(DISTINCT ts) FROM fixes").fetchone() == (
        POINTS, POINTS)
    conn.close()
