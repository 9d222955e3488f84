"""Where a WAL's bytes go: the frames of each commit still in a SQLite WAL, by b-tree.

    .venv/bin/python bench/wal_frames.py DB [WAL]

Reads the WAL file's frames (those of its current generation: salts equal to the header's),
groups them into commits (a commit's last frame carries the database size), and names the
b-tree each page belongs to (table or index, from SQLite's `dbstat` on a copy of the
database with that WAL). A page written twice before a checkpoint is a frame each time:
that is what goes to the card. bench/wear.py calls it with `--explain`.
"""
from __future__ import annotations

import shutil
import sqlite3
import struct
import sys
import tempfile
from collections import Counter
from pathlib import Path

WAL_HEADER, FRAME_HEADER = 32, 24


def frames(wal: Path) -> tuple[int, list[tuple[int, int]]]:
    """(page size, [(page number, database size or 0), ...]) of the WAL's valid frames."""
    data = wal.read_bytes()
    if len(data) < WAL_HEADER:
        return 0, []
    _magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">6I", data[:24])
    out, at = [], WAL_HEADER
    while at + FRAME_HEADER + page_size <= len(data):
        page, size, s1, s2 = struct.unpack(">4I", data[at:at + 16])
        if (s1, s2) != (salt1, salt2):
            break
        out.append((page, size))
        at += FRAME_HEADER + page_size
    return page_size, out


def commits(frame_list) -> list[list[int]]:
    """The pages of each complete commit, in order (a trailing incomplete one is left out)."""
    out, current = [], []
    for page, size in frame_list:
        current.append(page)
        if size:
            out.append(current)
            current = []
    return out


def page_owners(db: Path, wal: Path | None) -> dict[int, str]:
    """Page number -> the b-tree it belongs to, read on a copy (the WAL applied)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copy(db, copy)
        if wal is not None and wal.exists():
            shutil.copy(wal, Path(tmp) / "copy.db-wal")
        conn = sqlite3.connect(copy)
        try:
            return {p: name for name, p in conn.execute("SELECT name, pageno FROM dbstat")}
        except sqlite3.OperationalError:  # SQLite built without dbstat
            return {}
        finally:
            conn.close()


def explain(db: Path, wal: Path | None = None) -> str:
    wal = wal or Path(str(db) + "-wal")
    page_size, frame_list = frames(wal)
    batches = commits(frame_list)
    if not batches:
        return "the WAL holds no complete commit (checkpointed and reset?)"
    owners = page_owners(db, wal)
    per_tree, shapes = Counter(), Counter()
    for pages in batches:
        names = tuple(sorted(owners.get(p, "page 1" if p == 1 else "free/other") for p in pages))
        shapes[names] += 1
        per_tree.update(names)
    total = sum(len(p) for p in batches)
    lines = [f"{len(batches)} commits in the WAL, {total} frames of {page_size} B: "
             f"{total / len(batches):.2f} pages per commit, "
             f"{total * (page_size + FRAME_HEADER) / len(batches) / 1e3:.1f} kB per commit"]
    lines.append("frames per b-tree (share of all frames):")
    for name, n in per_tree.most_common():
        lines.append(f"  {name:<32} {n:>6}  {n / total:6.1%}  {n / len(batches):.2f}/commit")
    lines.append("commonest commits (pages written):")
    for names, n in shapes.most_common(8):
        lines.append(f"  {n:>5} x  {', '.join(names)}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(explain(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None))
