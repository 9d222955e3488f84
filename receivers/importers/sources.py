"""What the user pointed at, as a flat list of byte streams to sniff and read.

Files, directories (walked in name order: an OwnTracks Recorder store is a tree),
``.zip`` archives (a whole Google Takeout: each member is streamed, never extracted) and
gzip (decompressed on the fly, at any level). Every stream counts the bytes it pulls from
below, so progress is measured against sizes known before reading.
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

from .detect import GZIP_MAGIC, ZIP_MAGIC

BUFFER = 256 * 1024


class Counting(io.RawIOBase):
    """A raw stream over a file-like object that counts what it reads and fills each read."""

    def __init__(self, inner):
        self.inner = inner
        self.count = 0
        self._error = None
        # read1 returns what one underlying read gives: a truncated gzip then yields all
        # it decompressed before failing, where read(n) would drop it with the error.
        self._read = getattr(inner, "read1", inner.read)

    def readable(self):
        return True

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

    def open(self):
        """A buffered binary stream (gzip already undone) and the counter to watch."""
        counter = Counting(self.opener())
        stream = io.BufferedReader(counter, BUFFER)
        if stream.peek(2)[:2] == GZIP_MAGIC:
            stream = io.BufferedReader(Counting(gzip.GzipFile(fileobj=stream)), BUFFER)
        return stream, counter


def rec_device(path: PurePosixPath) -> str | None:
    """The device of a Recorder store file ``rec/<user>/<device>/YYYY-MM.rec``."""
    parts = path.parts
    if len(parts) >= 4 and parts[-4] == "rec" and parts[-1].endswith(".rec"):
        return parts[-2]
    return None


def _is_zip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) in ZIP_MAGIC


def _zip_sources(path: Path) -> list[Source]:
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
    out = []
    for info in infos:
        def opener(info=info):
            # Each member gets its own ZipFile handle: it is closed with the member stream.
            zf = zipfile.ZipFile(path)
            member = zf.open(info)
            member._owner = zf  # keep the archive alive as long as the member is read
            return member
        out.append(Source(f"{path.name}:{info.filename}", info.file_size, opener,
                          container=str(path),
                          device_hint=rec_device(PurePosixPath(info.filename))))
    return out


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
