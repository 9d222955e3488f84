"""Devices as pages and commands show them: with their fix counts and newest fix.

A device's fixes are found by its member too: the one index of fixes is
(member_id, ts, device_id) (migration m0011)."""
from __future__ import annotations

from .. import accounts

# A device that reports live: not one that only holds imported history (kind 'import':
# made by an import, or found so by accounts.classify_import_devices at start-up).
LIVE = "d.kind != 'import'"


def last_fix_per_device(conn, member_ids: list[int], *, live_only: bool = False) -> list[dict]:
    """Each visible device with its newest fix by `ts` (not by arrival: queues arrive late);
    ``live_only``: phones and dongles, not devices holding imported history."""
    if not member_ids:
        return []
    marks = ",".join("?" * len(member_ids))
    live = f" AND {LIVE}" if live_only else ""
    devices = conn.execute(
        "SELECT d.id, d.name, d.tid, d.card_name, d.card_face, d.member_id, m.name AS member, "
        "m.display_name FROM devices d JOIN members m ON m.id = d.member_id "
        f"WHERE d.member_id IN ({marks}){live} ORDER BY m.name, d.name", member_ids).fetchall()
    out = []
    for d in devices:
        fix = conn.execute("SELECT * FROM fixes WHERE member_id = ? AND device_id = ? "
                           "ORDER BY ts DESC LIMIT 1", (d["member_id"], d["id"])).fetchone()
        out.append({"device": dict(d), "fix": dict(fix) if fix else None})
    return out


def member_devices(conn, member_id: int) -> list[dict]:
    """The member's own devices for their page: name, tid, last seen, how many fixes."""
    return [dict(r) for r in conn.execute(
        "SELECT d.name, d.tid, d.last_seen_ts, (SELECT count(*) FROM fixes f "
        "WHERE f.member_id = d.member_id AND f.device_id = d.id) AS fixes FROM devices d WHERE d.member_id = ? "
        "ORDER BY d.name", (member_id,))]


def device_list(conn, member: str | None = None) -> list[dict]:
    """Every device (or one member's), as `selfdata device list` prints them."""
    devices = accounts.list_devices(conn, member)
    rows = conn.execute(
        "SELECT d.id, d.last_seen_ts, (SELECT count(*) FROM fixes f "
        "WHERE f.member_id = d.member_id AND f.device_id = d.id) "
        "AS n FROM devices d").fetchall()
    info = {r["id"]: (r["last_seen_ts"], r["n"]) for r in rows}
    return [{"member": d.member, "device": d.name, "tid": d.tid, "username": d.username,
             "encrypted": bool(d.encryption_key), "fixes": info[d.id][1],
             "last_seen_ts": info[d.id][0]} for d in devices]


def devices_page(conn, member_id: int, rejections_per_device: int = 5) -> list[dict]:
    """The member's devices as their devices page shows them: kind, last contact, the
    battery of the newest fix, how many fixes, and the latest messages refused."""
    out = []
    for d in conn.execute(
            "SELECT d.id, d.name, d.tid, d.kind, d.last_seen_ts, d.card_name, d.created_ts, "
            f"d.encryption_key IS NOT NULL AS encrypted, ({LIVE}) AS live FROM devices d "
            "WHERE d.member_id = ? ORDER BY d.name", (member_id,)).fetchall():
        newest = conn.execute("SELECT ts, batt FROM fixes WHERE member_id = ? AND device_id = ? "
                              "ORDER BY ts DESC LIMIT 1", (member_id, d["id"])).fetchone()
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM fixes WHERE member_id = ? AND device_id = ?), "
            "(SELECT count(*) FROM rejections WHERE device_id = ?)",
            (member_id, d["id"], d["id"])).fetchone()
        refused = [dict(r) for r in conn.execute(
            "SELECT received_ts, source, reason, payload_head FROM rejections WHERE device_id = ? "
            "ORDER BY id DESC LIMIT ?", (d["id"], rejections_per_device))]
        out.append({**dict(d), "live": bool(d["live"]), "encrypted": bool(d["encrypted"]),
                    "newest_ts": newest["ts"] if newest else None,
                    "battery": newest["batt"] if newest else None,
                    "fixes": counts[0], "refused_count": counts[1], "refused": refused})
    return out


def owns_device(conn, member_id: int, name: str) -> bool:
    return conn.execute("SELECT 1 FROM devices WHERE member_id = ? AND name = ?",
                        (member_id, name)).fetchone() is not None


def live_device_ids(conn, device_ids: list[int]) -> set[int]:
    """Of these devices, the ones that report live (not imported history): the only ones
    shown as a live marker."""
    if not device_ids:
        return set()
    marks = ",".join("?" * len(device_ids))
    return {r[0] for r in conn.execute(
        f"SELECT d.id FROM devices d WHERE d.id IN ({marks}) AND {LIVE}", device_ids)}
