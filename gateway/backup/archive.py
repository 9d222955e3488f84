"""One backup file: the database (SQLite's online backup), the configuration, the members'
keys, the broker's account files and the box's certificates, in one ``.tar.gz`` with a
manifest of every member's size and SHA-256.

Layout inside the archive::

    manifest.json          format, when, which gateway and schema, and every file below
    db/selfdata.db         a consistent copy, taken while the service runs
    data/<path>            the data directory's other files (keys/, mosquitto/, tls/, ...)
    config/gateway.toml    the configuration file the box ran with, when it had one

The database copy is SQLite's backup API on a read transaction: in WAL mode the writer goes
on committing phones' fixes meanwhile, and the copy is the database as of one commit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..config import Config
from .retention import PREFIX, SUFFIX, prune

FORMAT = "selfdata-backup"
FORMAT_VERSION = 1
DB_NAME = "selfdata.db"
# What the data directory holds that a backup leaves out: the database (copied on its own),
# its WAL and shared memory, the backups themselves, the broker's queue (its persistence
# file: stale on another day, and refilled by phones), temporary and lock files, and import
# uploads in progress.
SKIP_NAMES = {DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal",
              "mosquitto.db", "mosquitto.db.new", "mosquitto.pid", "gateway.lock",
              "gateway-process.log"}
SKIP_DIRS = {"backups", "uploads", "__pycache__"}
SKIP_SUFFIXES = (".tmp", ".partial", ".lock")


class BackupError(Exception):
    """A backup that cannot be made, or a file that is not a usable backup: says which and why."""


@dataclass
class Made:
    path: Path
    size: int
    files: int
    fixes: int
    schema: int
    seconds: float
    deleted: list


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_database(db_path: Path, dest: Path) -> tuple[int, int]:
    """SQLite's online backup of the live database into ``dest``; (schema, fixes) of the copy.

    Checked before it is kept: ``PRAGMA integrity_check`` on the copy must say ``ok``."""
    if not db_path.exists():
        raise BackupError(f"{db_path}: no database to back up (has the gateway ever started?)")
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        src.execute("PRAGMA busy_timeout = 30000")
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)       # one step: one read transaction, one consistent copy
            dst.execute("PRAGMA journal_mode = DELETE")   # a single self-contained file
            problems = [r[0] for r in dst.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise BackupError(f"{db_path}: the copy fails integrity_check: {problems[:3]}")
            schema = dst.execute("PRAGMA user_version").fetchone()[0]
            fixes = dst.execute("SELECT count(*) FROM fixes").fetchone()[0]
        finally:
            dst.close()
    finally:
        src.close()
    return schema, fixes


def _data_files(config: Config) -> list[tuple[str, Path]]:
    """(name in the archive, file) for every file of the data directory a backup keeps."""
    root = config.data_dir
    skip_dirs = {root / d for d in SKIP_DIRS} | {config.backup_dir}
    out = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if here / d not in skip_dirs
                         and d not in SKIP_DIRS)
        for name in sorted(files):
            path = here / name
            if name in SKIP_NAMES or name.endswith(SKIP_SUFFIXES) or not path.is_file():
                continue
            out.append(("data/" + path.relative_to(root).as_posix(), path))
    return out


def backup_name(config: Config, when: float) -> str:
    stamp = dt.datetime.fromtimestamp(when, dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{PREFIX}{config.gateway.hostname}-{stamp}{SUFFIX}"


def _target(config: Config, to: str | os.PathLike | None, when: float) -> tuple[Path, bool]:
    """Where the backup goes, and whether that is a folder of backups (retention applies)."""
    if to is None:
        return config.backup_dir / backup_name(config, when), True
    to = Path(to)
    if to.is_dir() or not to.name.endswith((".tar.gz", ".tgz")):
        return to / backup_name(config, when), True
    return to, False


def create(config: Config, to: str | os.PathLike | None = None, *,
           keep_days: int | None = None) -> Made:
    """Write one backup file (into ``to``: a folder or a ``.tar.gz`` path; default the
    configured folder), then apply the retention to that folder. Atomic: a ``.partial`` file
    fsynced and renamed, so a backup cut short never looks like a backup."""
    started = time.monotonic()
    when = time.time()
    target, is_folder = _target(config, to, when)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise BackupError(f"{target.parent}: cannot create the backup folder: {exc}") from None
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as tmp:
        db_copy = Path(tmp) / DB_NAME
        schema, fixes = copy_database(config.db_path, db_copy)
        members = [("db/" + DB_NAME, db_copy)] + _data_files(config)
        if config.source not in ("defaults", "") and Path(config.source).is_file():
            members.append(("config/gateway.toml", Path(config.source)))
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "created": dt.datetime.fromtimestamp(when, dt.timezone.utc).isoformat(),
            "gateway_version": __version__, "schema": schema, "fixes": fixes,
            "hostname": config.gateway.hostname, "data_dir": str(config.data_dir),
            "files": [{"name": name, "size": path.stat().st_size, "sha256": _sha256(path),
                       "mode": path.stat().st_mode & 0o7777} for name, path in members],
        }
        try:
            _write(partial, manifest, members)
            os.replace(partial, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise BackupError(f"{target}: cannot write the backup: {exc}") from None
    keep = config.backup.keep_days if keep_days is None else keep_days
    deleted = prune(target.parent, keep, keep_also=target) if is_folder else []
    return Made(target, target.stat().st_size, len(members), fixes, schema,
                time.monotonic() - started, deleted)


def _write(partial: Path, manifest: dict, members: list[tuple[str, Path]]) -> None:
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            body = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode, info.mtime = len(body), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(body))
            for name, path in members:
                info = tar.gettarinfo(str(path), arcname=name)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with open(path, "rb") as f:
                    tar.addfile(info, f)
        raw.flush()
        os.fsync(raw.fileno())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
