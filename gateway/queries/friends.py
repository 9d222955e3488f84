"""Read-side queries over fixes and devices (what pages and APIs show)."""
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


def friends_reply(conn, member_id: int) -> list[dict]:
    """What an OwnTracks phone in HTTP mode gets back: cards and last locations of the
    devices its member may see, its own included (or the app hides its own marker)."""
    out = []
    for item in last_fix_per_device(conn, accounts.visible_member_ids(conn, member_id)):
        d, fix = item["device"], item["fix"]
        topic = f"owntracks/{d['member']}/{d['name']}"
        name = d["card_name"] or d["display_name"] or d["member"]
        card = {"_type": "card", "tid": d["tid"], "name": name}
        if d["card_face"]:
            card["face"] = d["card_face"]
        out.append(card)
        if fix is None:
            continue
        loc = {"_type": "location", "tid": d["tid"], "lat": fix["lat"], "lon": fix["lon"],
               "tst": int(fix["ts"]), "topic": topic}
        for key, value in (("acc", fix["acc"]), ("alt", fix["alt"]), ("cog", fix["cog"]),
                           ("batt", fix["batt"])):
            if value is not None:
                loc[key] = int(round(value))
        if fix["vel"] is not None:
            loc["vel"] = int(round(fix["vel"] * 3.6))  # OwnTracks speaks km/h
        out.append(loc)
    return out
