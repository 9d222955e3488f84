"""File writers and store readers shared by the portability tests.

Every input file is written by the tests themselves, in the shapes documented in
shared/reference/peers.md section 2 (checked against the Takeout JSON schemas where one
exists).
"""
from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from gateway.portability.importing import Importer

SCHEMAS = Path("/work/shared/fixtures/google-takeout-schemas")
_here = Path(__file__).resolve()
for candidate in (_here.parents[4] / "shared", Path("/work/shared")):
    if (candidate / "fixtures" / "google-takeout-schemas").exists():
        SCHEMAS = candidate / "fixtures" / "google-takeout-schemas"
        break


def run_import(store, *paths, member="alice", **kw):
    kw.setdefault("run_pipeline", False)
    return Importer(store, member, **kw).run([str(p) for p in paths])


def fixes_of(store, member="alice", columns="ts, lat, lon, acc, alt, vel, cog, batt, activity"):
    return [tuple(r) for r in store.conn.execute(
        f"SELECT {columns} FROM fixes f JOIN members m ON m.id = f.member_id "
        "WHERE m.name = ? ORDER BY ts", (member,))]


def write(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, (dict, list)):
        content = json.dumps(content, indent=2, ensure_ascii=False)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def gz(content: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb") as f:
        f.write(content)
    return buf.getvalue()


def schema_properties(schema_file: str, definition: str) -> set:
    schema = json.loads((SCHEMAS / schema_file).read_text())
    return set(schema["$defs"][definition]["properties"])
