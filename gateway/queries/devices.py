"""Devices as pages and commands show them: with their fix counts and newest fix."""
from __future__ import annotations

from .. import accounts


def last_fix_per_device(conn, member_ids: list[int]) -> list[dict]:
    """Each visible device with its newest fix by `ts` (not by arrival: queues arrive late)."""
    if not member_ids:
        return []
    marks = ",".join("?" * len(member_ids))
    devices = conn.execute(
        "SELECT d.id, d.name, d.tid, d.card_name, d.card_face, d.member_id, m.name AS member, "
        "m.display_name FROM devices d JOIN members m ON m.id = d.member_id "
        f"WHERE d.member_id IN ({marks}) ORDER BY m.name, d.name", member_ids).fetchall()
    out = []
    for d in devices:
        fix = conn.execute("SELECT * FROM fixes WHERE device_id = ? ORDER BY ts DESC LIMIT 1",
                           (d["id"],)).fetchone()
        out.append({"device": dict(d), "fix": dict(fix) if fix else None})
    return out


def member_devices(conn, member_id: int) -> list[dict]:
    """The member's own devices for their page: name, tid, last seen, how many fixes."""
    return [dict(r) for r in conn.execute(
        "SELECT d.name, d.tid, d.last_seen_ts, (SELECT count(*) FROM fixes f "
        "WHERE f.device_id = d.id) AS fixes FROM devices d WHERE d.member_id = ? "
        "ORDER BY d.name", (member_id,))]


def device_list(conn, member: str | None = None) -> list[dict]:
    """Every device (or one member's), as `selfdata device list` prints them."""
    devices = accounts.list_devices(conn, member)
    rows = conn.execute(
        "SELECT d.id, d.last_seen_ts, (SELECT count(*) FROM fixes f WHERE f.device_id = d.id) "
        "AS n FROM devices d").fetchall()
    info = {r["id"]: (r["last_seen_ts"], r["n"]) for r in rows}
    return [{"member": d.member, "device": d.name, "tid": d.tid, "username": d.username,
             "encrypted": bool(d.encryption_key), "fixes": info[d.id][1],
             "last_seen_ts": info[d.id][0]} for d in devices]
