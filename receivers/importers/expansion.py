"""How far a compressed upload may expand: zip directories checked before they are read,
members refused on what they declare, and a decompression budget for what they really give.

Readers hold bounded memory whatever they read, so a bomb costs time, not memory; these
limits keep that time proportional to the size of what was uploaded.
"""
from __future__ import annotations

import os
import struct
import zipfile

# Real location data compresses 5-15x (a Takeout Records.json 11x); 100x leaves room for
# very repetitive files, and deflate's own maximum is ~1,000x.
MAX_RATIO = 100
# Below this, expansion is never a bomb: the review's 57 KiB item of 30 million numbers
# (60 MB) still reaches the reader, which refuses that item and keeps the ones beside it.
SLACK = 64 << 20
# The most one upload may expand to, whatever its size: a decade of Records.json at a fix
# a minute is ~2 GB, and 16 GiB takes a Pi ~10 minutes to read through.
MAX_EXPANDED = 16 << 30
# A Location History Takeout holds a few hundred files; 10,000 leaves room for other
# products' files. zipfile builds an object per member (~500 bytes) before anything is read.
MAX_MEMBERS = 10_000
# The central directory zipfile reads whole: a real entry is under 300 bytes.
MAX_DIRECTORY = 32 << 20
READABLE = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}

_EOCD = struct.Struct("<4s4H2LH")
_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


class Refused(OSError):
    """A compressed input refused for what it would expand to (an OSError: the importer
    reports it as a file that cannot be opened, or where reading stopped)."""


def mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB" if n >= 10e6 else f"{n / 1e6:,.1f} MB" if n >= 1e5 else f"{n:,} bytes"


def directory(path) -> tuple[int, int]:
    """(entries, central directory bytes) from the zip's end record, read without zipfile
    (which would build every entry first). ``path`` may be a seekable binary file.
    Raises ``zipfile.BadZipFile``."""
    if hasattr(path, "seek"):
        return _directory(path)
    with open(path, "rb") as f:
        return _directory(f)


def _directory(f) -> tuple[int, int]:
    size = f.seek(0, os.SEEK_END)
    tail_len = min(size, _EOCD.size + 0xFFFF + _LOCATOR.size)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise zipfile.BadZipFile("not a zip file (no end of central directory)")
    _, _, _, _, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
    if entries == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset):
        locator = tail[at - _LOCATOR.size:at] if at >= _LOCATOR.size else b""
        if locator[:4] == b"PK\x06\x07":
            f.seek(_LOCATOR.unpack(locator)[2])
            record = f.read(_EOCD64.size)
            if len(record) == _EOCD64.size and record[:4] == b"PK\x06\x06":
                fields = _EOCD64.unpack(record)
                entries, cd_size = fields[7], fields[8]
    return entries, cd_size


def open_zip(path, name: str | None = None, members: int = MAX_MEMBERS) -> zipfile.ZipFile:
    """The zip (a path or a seekable binary file), once its directory is known to be of a
    size we read: at most ``members`` entries. Raises ``Refused`` or ``zipfile.BadZipFile``."""
    entries, cd_size = directory(path)
    name = name or os.path.basename(str(path))
    if entries > members:
        raise Refused(f"{name} holds {entries:,} files, more than the {MAX_MEMBERS:,} read from "
                      "one zip: export only Location History (Timeline) from Takeout, or "
                      "unzip it and import the folder")
    if cd_size > MAX_DIRECTORY:
        raise Refused(f"{name}'s directory is {mb(cd_size)}, more than the {mb(MAX_DIRECTORY)} "
                      "read from one zip")
    if hasattr(path, "seek"):
        path.seek(0)
    return zipfile.ZipFile(path)


def check_member(info: zipfile.ZipInfo, budget: "Budget") -> None:
    """Refuse a member on what it declares: encrypted, unknown compression, or a bomb."""
    if info.flag_bits & 0x1:
        raise Refused(f"{info.filename} is encrypted: unzip it with its password first")
    if info.compress_type not in READABLE:
        raise Refused(f"{info.filename} uses a compression method ({info.compress_type}) "
                      "this gateway does not read")
    if info.file_size > SLACK and info.file_size > MAX_RATIO * info.compress_size:
        raise Refused(f"{info.filename} declares {mb(info.file_size)} from "
                      f"{mb(info.compress_size)} compressed, more than {MAX_RATIO} times: "
                      "a zip bomb, not read")
    if info.file_size > budget.limit:
        raise Refused(f"{info.filename} declares {mb(info.file_size)}, more than the "
                      f"{mb(budget.limit)} its zip may expand to")


class Budget:
    """What all the decompressed streams of one uploaded file may give together:
    ``MAX_RATIO`` times its size (at least ``SLACK``, at most ``MAX_EXPANDED``)."""

    def __init__(self, name: str, size: int):
        self.name, self.size = name, size
        self.limit = min(MAX_EXPANDED, max(SLACK, MAX_RATIO * size))
        self.used = 0

    def charge(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            why = (f"more than {MAX_RATIO} times its {mb(self.size)}" if self.limit < MAX_EXPANDED
                   else "the most one upload may give")
            raise Refused(f"{self.name} expands past {mb(self.limit)} ({why}): a compression "
                          "bomb, reading stopped")
