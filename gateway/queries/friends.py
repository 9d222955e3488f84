"""Friends: what an OwnTracks phone in HTTP mode is told about the members its member sees
(their cards and last locations), and a cache of it the service keeps between reports."""
from __future__ import annotations

from .. import accounts
from .devices import last_fix_per_device


def friends_reply(conn, member_id: int, max_face_bytes: int = 64 * 1024) -> list[dict]:
    """What an OwnTracks phone in HTTP mode gets back: cards and last locations of the
    devices its member may see, its own included (or the app hides its own marker). A face
    stored before faces were capped at ingest is left out past ``max_face_bytes``: it would
    go out in every reply to every phone that sees the member."""
    out = []
    for item in last_fix_per_device(conn, accounts.visible_member_ids(conn, member_id)):
        d, fix = item["device"], item["fix"]
        topic = f"owntracks/{d['member']}/{d['name']}"
        name = d["card_name"] or d["display_name"] or d["member"]
        card = {"_type": "card", "tid": d["tid"], "name": name}
        if d["card_face"] and len(d["card_face"]) <= max_face_bytes:
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


class FriendsCache:
    """Each viewer's reply, kept until one of the members it shows reports a new position
    or card (the ingest's commit listener calls ``on_commit``) or the household changes
    (devices, names, visibility: ``accounts.ChangeWatch``)."""

    def __init__(self, conn_factory, *, max_face_bytes: int = 64 * 1024):
        self._conn = conn_factory
        self.max_face_bytes = max_face_bytes
        self._replies: dict[int, tuple[set, list]] = {}
        self._watch = accounts.ChangeWatch()  # devices or visibility changed, anywhere

    def reply(self, member_id: int) -> list[dict]:
        conn = self._conn()
        if self._watch.changed(conn):
            self._replies.clear()
        cached = self._replies.get(member_id)
        if cached is None:
            visible = set(accounts.visible_member_ids(conn, member_id))
            reply = friends_reply(conn, member_id, self.max_face_bytes)
            cached = self._replies[member_id] = (visible, reply)
        return cached[1]

    def on_commit(self, committed) -> None:
        changed = {d.member_id for d, _ in committed.fixes}
        changed |= {d.member_id for d, e in committed.events if e.type == "card"}
        if changed:
            for viewer in [v for v, (seen, _) in self._replies.items() if seen & changed]:
                del self._replies[viewer]

    def clear(self) -> None:
        self._replies.clear()
