"""Import jobs as the upload page follows them: progress while running, the report after."""
from __future__ import annotations

import json

_JOB_KEYS = ("id", "status", "started_ts", "finished_ts", "bytes_total", "bytes_done", "current",
             "fixes", "duplicates", "rejected")


def import_job(conn, member_id: int, job_id: int) -> dict | None:
    """One of the member's jobs; None for someone else's (answered like one that does not
    exist) or an unknown id."""
    row = conn.execute("SELECT * FROM import_jobs WHERE id = ? AND member_id = ?",
                       (job_id, member_id)).fetchone()
    if row is None:
        return None
    job = {k: row[k] for k in _JOB_KEYS}
    job["report"] = json.loads(row["report"]) if row["report"] else None
    return job


def import_jobs(conn, member_id: int, limit: int = 50) -> list[dict]:
    """The member's latest jobs, newest first."""
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM import_jobs WHERE member_id = ? ORDER BY id DESC LIMIT ?",
        (member_id, limit))]
    return [import_job(conn, member_id, i) for i in ids]
