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
import re
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


_HEX64 = re.compile(r"[0-9a-f]{64}")


class Archive:
    """One archive, opened once: its manifest read, its directory checked against the
    expansion limits. ``verify`` reads it through before anything is written."""

    def __init__(self, path):
        self.zf = expansion.open_zip(path)
        budget = expansion.Budget(str(path), sum(i.compress_size for i in self.zf.infolist()))
        try:
            for info in self.zf.infolist():
                expansion.check_member(info, budget)
                # verify() reads every member once and the restore the rows again.
                budget.charge(2 * info.file_size)
        except expansion.Refused as exc:
            self.zf.close()
            raise NotLocationHistory(str(exc)) from None
        self.manifest = self.json("manifest.json", {})
        if not isinstance(self.manifest, dict):
            raise NotLocationHistory("manifest.json is not an object: not a selfdata archive")
        version = self.manifest.get("format_version", 0)
        if not isinstance(version, int) or isinstance(version, bool):
            raise NotLocationHistory("manifest.json: format_version is not a number")
        if version > VERSION:
            raise NotLocationHistory(
                f"this archive is format version {version}, newer than this gateway reads "
                f"({VERSION}): update the gateway first")

    def close(self):
        self.zf.close()

    def verify(self, check=None) -> dict[str, int]:
        """Every file of the zip is listed once in the manifest with its size and checksum,
        and every listed file is there; each ``.jsonl`` has as many rows as the manifest
        says, and each row goes through ``check(name, line_number, row)`` (which raises to
        refuse). Raises ``NotLocationHistory`` before anything is written; returns the rows
        per ``.jsonl`` file."""
        listed = self._listing()
        # Folders a zip tool may add (re-zipping an unpacked archive) hold nothing.
        names = [i.filename for i in self.zf.infolist()
                 if not (i.filename.endswith("/") and i.file_size == 0)]
        for name in names:
            if names.count(name) > 1:
                raise NotLocationHistory(f"the archive holds {name!r} twice: refused")
            if name != "manifest.json" and name not in listed:
                raise NotLocationHistory(f"{name!r} is in the zip but not in manifest.json: "
                                         "not written by a gateway, refused")
        rows = {}
        for name, entry in listed.items():
            if name not in names:
                raise NotLocationHistory(f"the archive lacks {name}")
            digest, size, count = self._read_through(name, check)
            if size != entry["bytes"] or digest != entry["sha256"]:
                raise NotLocationHistory(f"{name} does not match its size and checksum in "
                                         "manifest.json: the archive is damaged")
            if name.endswith(".jsonl"):
                if count != entry["rows"]:
                    raise NotLocationHistory(f"{name} holds {count:,} rows, manifest.json "
                                             f"says {entry['rows']:,}: refused")
                rows[name] = count
        return rows

    def _listing(self) -> dict[str, dict]:
        """manifest.json's ``files``, each entry checked for shape."""
        files = self.manifest.get("files")
        if not isinstance(files, list):
            raise NotLocationHistory("manifest.json lists no files: not a selfdata archive")
        listed = {}
        for entry in files:
            if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)
                    and isinstance(entry.get("sha256"), str)
                    and _HEX64.fullmatch(entry["sha256"])
                    and all(isinstance(entry.get(k), int) and not isinstance(entry[k], bool)
                            for k in ("bytes", "rows"))):
                raise NotLocationHistory(f"manifest.json: a file entry is not a name, a "
                                         f"sha256, bytes and rows: {str(entry)[:120]}")
            if entry["name"] in listed or entry["name"] == "manifest.json":
                raise NotLocationHistory(f"manifest.json lists {entry['name']!r} twice")
            listed[entry["name"]] = entry
        return listed

    def _read_through(self, name: str, check) -> tuple[str, int, int]:
        """(sha256, bytes, rows) of one member; its rows checked when it is JSON lines."""
        digest, size, count = hashlib.sha256(), 0, 0
        with self.zf.open(name) as raw:
            if not name.endswith(".jsonl"):
                for chunk in iter(lambda: raw.read(1 << 20), b""):
                    digest.update(chunk)
                    size += len(chunk)
                return digest.hexdigest(), size, 0
            for number, line in lines(raw, MAX_ROW):
                row = self._row(name, number, line)
                digest.update(line)
                size += len(line)
                if row is not None:
                    count += 1
                    if check is not None:
                        check(name, number, row)
        return digest.hexdigest(), size, count

    def json(self, name: str, default=None):
        if name not in self.zf.namelist():
            return default
        return _load(self.zf, name)

    def rows(self, name: str):
        """``(line number, row)`` of a JSON-lines member, one at a time."""
        if name not in self.zf.namelist():
            return
        with self.zf.open(name) as raw:
            for number, line in lines(raw, MAX_ROW):
                row = self._row(name, number, line)
                if row is not None:
                    yield number, row

    @staticmethod
    def _row(name: str, number: int, line: bytes | None):
        if line is None:
            raise NotLocationHistory(f"{name} line {number:,} is longer than "
                                     f"{expansion.mb(MAX_ROW)}: not a selfdata archive")
        if not line.strip():
            return None
        try:
            return json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise NotLocationHistory(f"{name} line {number:,} is not valid JSON: "
                                     f"{str(exc)[:80]}") from None

    def names(self) -> list[str]:
        return [i.filename for i in self.zf.infolist()]
