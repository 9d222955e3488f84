"""The import_jobs table: one row per import, whoever runs it (the service's child process
for an upload, or `selfdata import`), that the upload page polls.

A job is ``running`` until its importer says ``done`` or ``failed``; the service says
``stopped`` when a limit ended its child and ``interrupted`` when the child or the service
died. The ``note`` says what happened in plain words.
"""
from __future__ import annotations

import json
import os
import time

INTERRUPTED = ("interrupted before the end: what was imported is kept, and running the same "
               "import again is safe (nothing is imported twice)")
CRASHED = ("interrupted: the service stopped during this import (a crash, a power cut or a "
           "restart). What was imported is kept; running the same import again is safe "
           "(nothing is imported twice)")


def create(conn, member_id: int, paths: list[str], bytes_total: int, *, runner: str,
           pid: int | None = None) -> int:
    cur = conn.execute("INSERT INTO import_jobs (member_id, started_ts, paths, bytes_total, "
                       "runner, pid) VALUES (?, ?, ?, ?, ?, ?)",
                       (member_id, time.time(), json.dumps(paths), bytes_total, runner, pid))
    return cur.lastrowid


def set_pid(conn, job_id: int, pid: int) -> None:
    conn.execute("UPDATE import_jobs SET pid = ? WHERE id = ?", (pid, job_id))


def progress(conn, job_id: int, bytes_done: int, current: str, totals: dict) -> None:
    conn.execute("UPDATE import_jobs SET bytes_done = ?, current = ?, fixes = ?, "
                 "duplicates = ?, rejected = ? WHERE id = ?",
                 (bytes_done, current, totals["fixes_imported"], totals["duplicates_skipped"],
                  totals["rejected"], job_id))


def finish(conn, job_id: int, status: str, report: dict, note: str | None = None) -> None:
    """The importer's own end: only a job still running (the service may have ended it)."""
    conn.execute("UPDATE import_jobs SET status = ?, finished_ts = ?, report = ?, note = ? "
                 "WHERE id = ? AND status = 'running'",
                 (status, time.time(), json.dumps(report), note, job_id))


def keep_report(conn, job_id: int, report: dict) -> None:
    """What an import child read before it failed, its job left running: the service
    ends it once the child has gone, saying how (a page never sees two endings)."""
    conn.execute("UPDATE import_jobs SET report = ? WHERE id = ? AND status = 'running'",
                 (json.dumps(report), job_id))


def end(conn, job_id: int, status: str, note: str | None, peak_kb: int | None) -> bool:
    """The service's word on a job once its child has gone; False when the child had ended
    it already."""
    cur = conn.execute("UPDATE import_jobs SET status = ?, note = ?, finished_ts = ? "
                       "WHERE id = ? AND status = 'running'", (status, note, time.time(), job_id))
    record_peak(conn, job_id, peak_kb)
    return cur.rowcount > 0


def record_peak(conn, job_id: int, peak_kb: int | None) -> None:
    """The import child's peak resident memory: its own word at its end, or what the
    service sampled (whichever is higher)."""
    if peak_kb:
        conn.execute("UPDATE import_jobs SET peak_kb = max(coalesce(peak_kb, 0), ?) "
                     "WHERE id = ?", (peak_kb, job_id))


def status(conn, job_id: int) -> str | None:
    row = conn.execute("SELECT status FROM import_jobs WHERE id = ?", (job_id,)).fetchone()
    return row[0] if row else None


def mark_interrupted(conn) -> list[int]:
    """At the service's start: its own jobs still running died with it (their children die
    with the service), and so did a command's whose process is gone. Returns their ids."""
    now = time.time()
    ids = []
    for row in conn.execute("SELECT id, runner, pid FROM import_jobs WHERE status = 'running'"):
        if row["runner"] == "service" or not _alive(row["pid"]):
            ids.append(row["id"])
    for job_id in ids:
        conn.execute("UPDATE import_jobs SET status = 'interrupted', finished_ts = ?, note = ? "
                     "WHERE id = ?", (now, CRASHED, job_id))
    return ids


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True                # someone else's process: alive
    return True
