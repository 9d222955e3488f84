"""Reading back a member's full archive written by ``selfdata export --format archive``.

The archive is a zip: ``manifest.json`` (format, version, per-file sha256 and row counts),
``member.json``, ``devices.json``, and one JSON-lines file per table. This module only
reads and checks it; ``gateway.portability.importing`` writes it into the store.

An uploaded archive is as hostile as any upload: its directory is checked before zipfile
reads it, its small JSON files are read only up to ``MAX_JSON`` and its rows only up to
``MAX_ROW`` bytes a line, and JSON nesting stops at the interpreter's recursion limit.
"""
from __future__ import annotations

import hashlib
import json
import zipfile

from . import expansion
from .base import NotLocationHistory, lines

FORMAT = "selfdata-archive"
VERSION = 1
# manifest.json, member.json and devices.json are a few kilobytes (a checksum per file,
# a device per line): 4 MiB is far beyond any real one and small enough to hold.
MAX_JSON = 4 << 20
# The longest row we write is a fix with the phone's raw message (at most 512 KiB, the
# live receivers' cap, quoted once more in JSON).
MAX_ROW = 2 << 20


def _load(zf: zipfile.ZipFile, name: str):
    info = zf.getinfo(name)
    if info.file_size > MAX_JSON:
        raise NotLocationHistory(f"{name} is {expansion.mb(info.file_size)}, more than a "
                                 f"selfdata archive's {expansion.mb(MAX_JSON)}: not restored")
    with zf.open(info) as f:
        data = f.read(MAX_JSON + 1)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise NotLocationHistory(f"{name} is not valid JSON: {str(exc)[:80]}") from None


def is_archive(path) -> bool:
    try:
        with expansion.open_zip(path) as zf:
            if "manifest.json" not in zf.namelist():
                return False
            manifest = _load(zf, "manifest.json")
            return isinstance(manifest, dict) and manifest.get("format") == FORMAT
    except (zipfile.BadZipFile, OSError, NotLocationHistory, KeyError):
        return False


class Archive:
    def __init__(self, path):
        self.zf = expansion.open_zip(path)
        budget = expansion.Budget(str(path), sum(i.compress_size for i in self.zf.infolist()))
        try:
            for info in self.zf.infolist():
                expansion.check_member(info, budget)
                budget.charge(info.file_size)    # what verify() will read, declared
        except expansion.Refused as exc:
            self.zf.close()
            raise NotLocationHistory(str(exc)) from None
        self.manifest = self.json("manifest.json", {})
        if not isinstance(self.manifest, dict):
            raise NotLocationHistory("manifest.json is not an object: not a selfdata archive")
        if self.manifest.get("format_version", 0) > VERSION:
            raise NotLocationHistory(
                f"this archive is format version {self.manifest['format_version']}, newer "
                f"than this gateway reads ({VERSION}): update the gateway first")

    def close(self):
        self.zf.close()

    def verify(self) -> None:
        """Every listed file is there with its checksum; raise before anything is written."""
        for entry in self.manifest.get("files", []):
            digest = hashlib.sha256()
            try:
                with self.zf.open(entry["name"]) as f:
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        digest.update(chunk)
            except KeyError:
                raise NotLocationHistory(f"the archive lacks {entry['name']}") from None
            if digest.hexdigest() != entry["sha256"]:
                raise NotLocationHistory(f"{entry['name']} does not match its checksum in "
                                         "manifest.json: the archive is damaged")

    def json(self, name: str, default=None):
        if name not in self.zf.namelist():
            return default
        return _load(self.zf, name)

    def rows(self, name: str):
        """The rows of a JSON-lines member, one at a time."""
        if name not in self.zf.namelist():
            return
        with self.zf.open(name) as raw:
            for number, line in lines(raw, MAX_ROW):
                if line is None:
                    raise NotLocationHistory(f"{name} line {number:,} is longer than "
                                             f"{expansion.mb(MAX_ROW)}: not a selfdata archive")
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except (ValueError, RecursionError) as exc:
                    raise NotLocationHistory(f"{name} line {number:,} is not valid JSON: "
                                             f"{str(exc)[:80]}") from None

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.zf.namelist() if n.startswith(prefix) and n.endswith(".jsonl"))
