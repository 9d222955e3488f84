"""A whole box back from one backup file: the database, keys, broker accounts, certificates
(and, when asked, the configuration file). An administrator's command, never a page.

Nothing on the box changes until the whole file has been read and checked: the manifest
says what it must hold, every member is compared with its size and SHA-256, the database
copy must pass ``integrity_check`` and is migrated forward (an older backup) in a staging
folder. The box as it was is first saved as a backup of its own. The gateway must be stopped
(the data directory's lock says whether it runs).
"""
from __future__ import annotations

import grp
import hashlib
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..config import Config
from ..store import Store, migrations
from .archive import (DB_NAME, FORMAT, FORMAT_VERSION, SKIP_DIRS, SKIP_NAMES, BackupError,
                      create)
from .lock import Busy, DataDirLock


class GatewayRunning(BackupError):
    """The data directory is in use: the gateway must be stopped for a restore."""


@dataclass
class Restored:
    manifest: dict
    migrated: list = field(default_factory=list)
    saved_as: Path | None = None
    config_written: Path | None = None


def read_manifest(tar: tarfile.TarFile, path: Path) -> dict:
    try:
        first = tar.next()
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BackupError(f"{path}: not a selfdata backup: not a readable .tar.gz ({exc})") from None
    if first is None or first.name != "manifest.json":
        raise BackupError(f"{path}: not a selfdata backup: manifest.json is not its first file")
    try:
        manifest = json.loads(tar.extractfile(first).read())
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path}: corrupted: manifest.json cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a selfdata backup: manifest format is "
                          f"{manifest.get('format') if isinstance(manifest, dict) else manifest!r}")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise BackupError(f"{path}: written by a newer gateway (backup format "
                          f"{manifest['format_version']}, this one reads {FORMAT_VERSION}): "
                          "upgrade the gateway first")
    if manifest.get("schema", 0) > migrations.latest():
        raise BackupError(f"{path}: its database is at schema {manifest['schema']}, newer than this "
                          f"gateway knows ({migrations.latest()}): upgrade the gateway first "
                          f"(the backup came from selfdata {manifest.get('gateway_version')})")
    return manifest


def _safe_name(name: str, path: Path) -> PurePosixPath:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or p.parts[0] not in ("db", "data", "config"):
        raise BackupError(f"{path}: corrupted: unexpected member {name!r}")
    return p


def unpack(path: Path, staging: Path) -> dict:
    """Every member into ``staging``, each checked against the manifest; the manifest."""
    try:
        tar = tarfile.open(path, mode="r:gz")
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except (tarfile.TarError, OSError, zlib.error) as exc:
        raise BackupError(f"{path}: not a selfdata backup: not a readable .tar.gz ({exc})") from None
    with tar:
        manifest = read_manifest(tar, path)
        expected = {f["name"]: f for f in manifest.get("files", [])}
        seen = set()
        try:
            for member in tar:
                if member.name == "manifest.json":
                    continue
                name = _safe_name(member.name, path)
                want = expected.get(member.name)
                if want is None or not member.isfile():
                    raise BackupError(f"{path}: corrupted: {member.name} is not in its manifest")
                dest = staging / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                size = 0
                with tar.extractfile(member) as src, open(dest, "wb") as out:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        h.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                if size != want["size"] or h.hexdigest() != want["sha256"]:
                    raise BackupError(f"{path}: corrupted: {member.name} does not match its "
                                      f"checksum (size {size}, manifest {want['size']})")
                os.chmod(dest, want.get("mode", 0o600) & 0o777)
                seen.add(member.name)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise BackupError(f"{path}: corrupted: the archive is cut short or damaged "
                              f"({type(exc).__name__}: {exc})") from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"{path}: corrupted: missing {', '.join(missing[:5])}")
    if f"db/{DB_NAME}" not in seen:
        raise BackupError(f"{path}: not a box backup: it has no database")
    return manifest


def check_and_migrate(db: Path, path: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: corrupted: its database cannot be read ({exc})") from None
    finally:
        conn.close()
    if problems != ["ok"]:
        raise BackupError(f"{path}: corrupted: its database fails integrity_check: {problems[:3]}")
    store = Store(db)
    try:
        applied = migrations.migrate(store.conn)
    except Exception as exc:   # a migration that fails on this data: nothing was replaced
        raise BackupError(f"{path}: its database cannot be migrated to this gateway: {exc}") from None
    finally:
        store.close()
    return applied


def restore(config: Config, path: str | os.PathLike, *, with_config: bool = False,
            save_current: bool = True) -> Restored:
    path = Path(path)
    data_dir = config.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        lock = DataDirLock(data_dir, "selfdata restore").acquire()
    except Busy as exc:
        raise GatewayRunning(f"{exc}: stop the gateway first "
                             "(sudo systemctl stop selfdata-gateway), then restore") from None
    try:
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=data_dir) as tmp:
            staging = Path(tmp)
            manifest = unpack(path, staging)
            applied = check_and_migrate(staging / "db" / DB_NAME, path)
            result = Restored(manifest, applied)
            if save_current and config.db_path.exists():
                result.saved_as = create(config, keep_days=0).path
            _replace(data_dir, staging)
            if with_config and (staging / "config" / "gateway.toml").exists():
                result.config_written = _install_config(config, staging / "config" / "gateway.toml")
        return result
    finally:
        lock.release()


def _replace(data_dir: Path, staging: Path) -> None:
    """The data directory's contents become the backup's: what a backup leaves out (the
    backups folder, the broker's queue, the lock) stays; everything else goes."""
    for entry in data_dir.iterdir():
        if entry.name in SKIP_NAMES or entry.name in SKIP_DIRS or entry.name.startswith("."):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    # The old database's WAL and shared memory must go with it: SQLite would replay a stale
    # WAL of the replaced database onto the restored one.
    for suffix in ("-wal", "-shm", "-journal"):
        (data_dir / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
    owner = data_dir.stat()
    moves = [(staging / "db" / DB_NAME, data_dir / DB_NAME)]
    data = staging / "data"
    if data.is_dir():
        moves += [(p, data_dir / p.relative_to(data)) for p in sorted(data.rglob("*"))
                  if p.is_file()]
    for src, dest in moves:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        if os.geteuid() == 0:     # restored by root: the files are the service user's again
            _chown_like(dest, data_dir, owner)
    # The database copy was written without WAL; the gateway turns it back on at start.
    fd = os.open(data_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chown_like(dest: Path, data_dir: Path, owner: os.stat_result) -> None:
    gid = owner.st_gid
    rel = dest.relative_to(data_dir)
    if rel.parts[0] == "mosquitto":     # the broker reads its accounts as group mosquitto
        try:
            gid = grp.getgrnam("mosquitto").gr_gid
        except KeyError:
            pass
    for p in [dest, *[data_dir / Path(*rel.parts[:i]) for i in range(1, len(rel.parts))]]:
        os.chown(p, owner.st_uid, gid)


def _install_config(config: Config, staged: Path) -> Path:
    target = Path(config.source) if config.source not in ("defaults", "") else \
        Path("/etc/selfdata/gateway.toml")
    if target.exists():
        shutil.copy2(target, target.with_name(target.name + ".before-restore"))
    shutil.copyfile(staged, target)
    return target
