"""Labelled segments (Google's visits and activities) written beside the fixes: evidence for
the trip engine and labelled data to measure it against."""
from __future__ import annotations

from receivers.importers.base import Segment


def segment_row(member_id: int, seg: Segment, source: str) -> tuple:
    return (member_id, seg.kind, seg.start_ts, seg.end_ts, seg.lat, seg.lon, seg.end_lat,
            seg.end_lon, seg.label or "", seg.mode, seg.confidence, seg.distance_m,
            seg.place_name, seg.semantic_type, source)


SEGMENT_COLUMNS = ("member_id", "kind", "start_ts", "end_ts", "lat", "lon", "end_lat",
                   "end_lon", "label", "mode", "confidence", "distance_m", "place_name",
                   "semantic_type", "source")
_INSERT_SEGMENT = (f"INSERT OR IGNORE INTO labelled_segments ({', '.join(SEGMENT_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(SEGMENT_COLUMNS))})")


def insert_segment_rows(conn, rows) -> int:
    before = conn.total_changes
    conn.executemany(_INSERT_SEGMENT, rows)
    return conn.total_changes - before
