"""Reading back a member's full archive written by ``selfdata export --format archive``.

The archive is a zip: ``manifest.json`` (format, version, per-file sha256 and row counts),
``member.json``, ``devices.json``, and one JSON-lines file per table. This module only
reads and checks it; ``gateway.portability.importing`` writes it into the store.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile

from .base import NotLocationHistory

FORMAT = "selfdata-archive"
VERSION = 1


def is_archive(path) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            if "manifest.json" not in zf.namelist():
                return False
            return json.loads(zf.read("manifest.json")).get("format") == FORMAT
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


class Archive:
    def __init__(self, path):
        self.zf = zipfile.ZipFile(path)
        self.manifest = json.loads(self.zf.read("manifest.json"))
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
        return json.loads(self.zf.read(name))

    def rows(self, name: str):
        """The rows of a JSON-lines member, one at a time."""
        if name not in self.zf.namelist():
            return
        with self.zf.open(name) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8"):
                if line.strip():
                    yield json.loads(line)

    def names(self, prefix: str) -> list[str]:
        return sorted(n for n in self.zf.namelist() if n.startswith(prefix) and n.endswith(".jsonl"))
