"""A member's decisions per study: joining (with the terms they saw), leaving; each one
logged with what the member was shown."""
from __future__ import annotations

import json

from .links import log_decision


def set_joined(conn, link: dict, study_id: str, agreed: dict, commune: bool, from_month: str,
               now: int, shown: dict) -> None:
    conn.execute(
        "INSERT INTO consents (link_id, member_id, study_id, joined, agreed, commune, from_month, "
        "changed_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT (link_id, study_id) DO UPDATE SET "
        "joined = 1, agreed = excluded.agreed, commune = excluded.commune, "
        "from_month = excluded.from_month, changed_at = excluded.changed_at",
        (link["id"], link["member_id"], study_id, json.dumps(agreed), int(commune), from_month, now))
    log_decision(conn, link["id"], link["member_id"], study_id, "join", now,
                 {**agreed, "commune": commune, "from_month": from_month, "previewed": shown})


def set_left(conn, link: dict, study_id: str, now: int) -> None:
    conn.execute("UPDATE consents SET joined = 0, changed_at = ? WHERE link_id = ? AND study_id = ?",
                 (now, link["id"], study_id))
    log_decision(conn, link["id"], link["member_id"], study_id, "leave", now, {})


def previewed(item: dict) -> dict:
    """What of a preview goes into the log: the exact bytes and the words, or why nothing."""
    if not item.get("sent"):
        return {"month": item["month"], "nothing_sent": item.get("why")}
    return {"month": item["month"], "wire": item["wire"], "words": item["words"]}
