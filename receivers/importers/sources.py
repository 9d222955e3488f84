"""What the user pointed at, as a flat list of byte streams to sniff and read.

Files, directories (walked in name order: an OwnTracks Recorder store is a tree),
``.zip`` archives (a whole Google Takeout: each member is streamed, never extracted; a zip
inside it is opened too, one level deep) and gzip (decompressed on the fly, at any level).
Every stream counts the bytes it pulls from below, so progress is measured against sizes
known before reading, and every decompressing layer charges the uploaded file's budget
(``expansion``): a bomb stops with a specific error however it is nested.
"""
from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable

from . import expansion
from .detect import GZIP_MAGIC, ZIP_MAGIC
from .expansion import Budget

BUFFER = 256 * 1024


class Counting(io.RawIOBase):
    """A raw stream over a file-like object that counts what it reads and fills each read."""

    def __init__(self, inner, budget: Budget | None = None):
        self.inner = inner
        self.count = 0
        self.budget = budget      # charged with what a decompressing layer gives
        self._error = None
        # read1 returns what one underlying read gives: a truncated gzip then yields all
        # it decompressed before failing, where read(n) would drop it with the error.
        self._read = getattr(inner, "read1", inner.read)

    def readable(self):
        return True

    # Seekable when what it reads is (a file, a zip member, gzip): a JSON reader that
    # meets a suspicious item reads the stream again from the start on its bounded path.
    def seekable(self):
        return _seekable(self.inner)

    def seek(self, offset, whence=io.SEEK_SET):
        self._error = None
        return self.inner.seek(offset, whence)

    def tell(self):
        return self.inner.tell()

    def readinto(self, buffer) -> int:
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        view = memoryview(buffer)
        filled = 0
        while filled < len(view):
            try:
                chunk = self._read(min(len(view) - filled, BUFFER))
            except (EOFError, OSError, zlib.error) as exc:
                if not filled:
                    raise
                # Hand over what came before a truncation; the error comes with the next read.
                self._error = exc
                break
            if not chunk:
                break
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
        self.count += filled
        if self.budget is not None:
            self.budget.charge(filled)
        return filled

    def close(self):
        try:
            self.inner.close()
        finally:
            super().close()


@dataclass
class Source:
    """One stream to import: ``name`` for the report, ``size`` for progress."""

    name: str
    size: int
    opener: Callable
    container: str = ""          # the zip or directory it came from, "" for a plain file
    device_hint: str | None = None
    budget: Budget | None = None  # the decompression budget it shares (a zip's members)
    compressed: bool = False      # the opener itself decompresses (a deflated zip member)

    def open(self):
        """A buffered binary stream (gzip already undone) and the counter to watch."""
        counter = Counting(self.opener(), self.budget if self.compressed else None)
        stream = io.BufferedReader(counter, BUFFER)
        if stream.peek(2)[:2] == GZIP_MAGIC:
            budget = self.budget or Budget(self.name, self.size)
            stream = io.BufferedReader(Counting(gzip.GzipFile(fileobj=stream), budget), BUFFER)
        return stream, counter


def _seekable(stream) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError, OSError):
        return False


def refused(name: str, error: Exception, container: str = "") -> Source:
    """A source that cannot be read: opening it raises ``error``, which the report shows."""
    def opener():
        raise error
    return Source(name, 0, opener, container)


def rec_device(path: PurePosixPath) -> str | None:
    """The device of a Recorder store file ``rec/<user>/<device>/YYYY-MM.rec``."""
    parts = path.parts
    if len(parts) >= 4 and parts[-4] == "rec" and parts[-1].endswith(".rec"):
        return parts[-2]
    return None


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) in ZIP_MAGIC


class _Archive:
    """One zip, opened once for all its members (zipfile reads the whole directory on each
    open: reopening it per member made a 4,000-member Takeout take a minute). Closed once
    every member was read (then ``done`` is called); reopened if one is read again."""

    def __init__(self, zf: zipfile.ZipFile, reopen: Callable, members: int,
                 done: Callable = lambda: None):
        self.zf, self.reopen, self.left, self.done = zf, reopen, members, done

    def open(self, info: zipfile.ZipInfo):
        return _Member(self, self.raw(info))

    def raw(self, info: zipfile.ZipInfo):
        if self.zf is None:
            self.zf = self.reopen()
        return self.zf.open(info)

    def member_closed(self) -> None:
        self.left = max(0, self.left - 1)
        if self.left == 0 and self.zf is not None:
            self.zf.close()
            self.zf = None
            self.done()


class _Member:
    """A zip member's stream that tells its archive when it is closed."""

    def __init__(self, archive: _Archive, inner):
        self.archive, self.inner, self.closed = archive, inner, False
        self.read, self.read1 = inner.read, inner.read1
        self.seekable, self.seek, self.tell = inner.seekable, inner.seek, inner.tell

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.inner.close()
            finally:
                self.archive.member_closed()


def _zip_sources(path: Path) -> list[Source]:
    try:
        zf = expansion.open_zip(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [refused(str(path), exc)]
    budget = expansion.Budget(path.name, path.stat().st_size)
    return _members(zf, lambda: zipfile.ZipFile(path), path.name, str(path), budget, depth=0)


def _members(zf: zipfile.ZipFile, reopen: Callable, label: str, container: str,
             budget: Budget, depth: int, done: Callable = lambda: None) -> list[Source]:
    """The sources of a zip's members; a member that is itself a zip is opened in turn when
    ``depth`` is 0 (one level: a zip of Takeout zips), never deeper."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if depth:   # read in file order: the member is only read forward
        infos.sort(key=lambda i: i.header_offset)
    archive = _Archive(zf, reopen, len(infos), done)
    if not infos:
        zf.close()
        done()
    out: list[Source] = []
    for info in infos:
        name = f"{label}:{info.filename}"
        try:
            expansion.check_member(info, budget)
            if depth == 0 and _starts_as_zip(zf, info):
                out.extend(_nested(archive, info, name, container, budget,
                                   expansion.MAX_MEMBERS - len(infos)))
                continue
        except (expansion.Refused, zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
            archive.member_closed()
            out.append(refused(name, exc, container))
            continue
        out.append(Source(name, info.file_size, lambda info=info: archive.open(info),
                          container=container,
                          device_hint=rec_device(PurePosixPath(info.filename)), budget=budget,
                          compressed=info.compress_type != zipfile.ZIP_STORED))
    return out


def _starts_as_zip(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    with zf.open(info) as f:
        return f.read(4) in ZIP_MAGIC


def _nested(outer: _Archive, info: zipfile.ZipInfo, name: str, container: str,
            budget: Budget, members: int) -> list[Source]:
    """The members of a zip inside the zip, read through the outer member's stream."""
    streams = [outer.raw(info)]

    def reopen():
        streams.append(outer.raw(info))
        return zipfile.ZipFile(streams[-1])

    def done():          # zipfile leaves a stream it was given open
        while streams:
            streams.pop().close()
        outer.member_closed()
    try:
        inner = expansion.open_zip(streams[0], name=name, members=members)
    except BaseException:
        streams[0].close()
        raise
    return _members(inner, reopen, name, container, budget, depth=1, done=done)


def _file_source(path: Path, container: str = "") -> Source:
    return Source(str(path), path.stat().st_size, lambda: open(path, "rb"), container,
                  rec_device(PurePosixPath(path.as_posix())))


def expand(paths) -> list[Source]:
    """Every stream under the given paths, in a stable order. Missing paths raise."""
    out = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        out.extend(_one(Path(root) / name, container=str(path)))
        elif path.is_file():
            out.extend(_one(path))
        else:
            raise FileNotFoundError(f"{raw}: no such file or directory")
    return out


def _one(path: Path, container: str = "") -> list[Source]:
    if _is_zip(path):
        return _zip_sources(path)
    return [_file_source(path, container)]
