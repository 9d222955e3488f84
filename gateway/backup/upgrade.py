"""`selfdata upgrade WHEEL`: a newer gateway into the running venv, with a way back.

1. a backup (the database as it was, with everything else), and the installed version
   packed back into a wheel from pip's own record of its files (the way back needs no
   network and no copy of the old wheel);
2. the service stopped; ``pip install`` of the new wheel into this interpreter's venv,
   offline (its dependencies from the wheel's folder, or already installed);
3. the migrations, run by the new version on the stopped database;
4. the service started; its ``/healthz`` must answer with the new version within the
   timeout. If it does not (or any step above fails): the service stopped, the old wheel
   installed again, the pre-upgrade database restored, the service started and checked.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import logging
import shlex
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from ..config import Config
from . import archive
from .restore import restore

log = logging.getLogger(__name__)
DIST = "selfdata-gateway"


class UpgradeError(Exception):
    """The upgrade could not be done; says whether the box was rolled back."""


@dataclass
class Service:
    """How the gateway is stopped and started: systemd on the box, anything in tests."""
    stop: str = "systemctl stop selfdata-gateway"
    start: str = "systemctl start selfdata-gateway"
    health_url: str = ""
    timeout_s: float = 90.0

    def run(self, which: str) -> None:
        command = self.stop if which == "stop" else self.start
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise UpgradeError(f"`{command}` failed ({done.returncode}): {done.stderr.strip()}")

    def answers(self, version: str) -> str | None:
        """None when /healthz says ok with this version within the timeout; else what it said."""
        deadline = time.monotonic() + self.timeout_s
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.health_url, timeout=2) as r:
                    body = json.load(r)
                if body.get("status") == "ok" and body.get("version") == version:
                    return None
                last = f"answered {body}"
            except (OSError, ValueError) as exc:
                last = f"no answer ({exc})"
            time.sleep(0.5)
        return last


@dataclass
class Upgraded:
    old_version: str
    new_version: str
    backup: Path
    rolled_back: bool = False
    reason: str = ""
    steps: list = field(default_factory=list)


def wheel_version(wheel: Path) -> str:
    parts = wheel.name.split("-")
    if wheel.suffix != ".whl" or len(parts) < 5 or parts[0].replace("_", "-").lower() != DIST:
        raise UpgradeError(f"{wheel}: not a {DIST} wheel (expected "
                           "selfdata_gateway-<version>-py3-none-any.whl)")
    if not wheel.is_file():
        raise UpgradeError(f"{wheel}: no such file")
    return parts[1]


def pack_installed(dest_dir: Path) -> Path:
    """The installed distribution as a wheel again, from its RECORD (scripts are made anew
    from its entry points by pip)."""
    dist = metadata.distribution(DIST)
    files = [f for f in dist.files or [] if not str(f).startswith("..")
             and "__pycache__" not in str(f)]
    dest_dir.mkdir(parents=True, exist_ok=True)
    wheel = dest_dir / f"selfdata_gateway-{dist.version}-py3-none-any.whl"
    record_name = next(str(f) for f in files if str(f).endswith(".dist-info/RECORD"))
    rows = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            name = str(f)
            if name == record_name or name.endswith(".dist-info/INSTALLER") or \
                    name.endswith(".dist-info/direct_url.json"):
                continue
            data = Path(f.locate()).read_bytes()
            z.writestr(name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            rows.append((name, f"sha256={digest.decode()}", str(len(data))))
        rows.append((record_name, "", ""))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        z.writestr(record_name, out.getvalue())
    return wheel


def _pip_install(wheel: Path, *, again: bool = False) -> None:
    """Offline: dependencies from the wheel's folder or already installed. ``again``: the
    old version back, over whatever the failed one left, its dependencies as they are."""
    command = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links",
               str(wheel.parent), *(["--force-reinstall", "--no-deps"] if again else []),
               str(wheel)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise UpgradeError(f"pip could not install {wheel.name}: {done.stderr.strip()[-800:]}")
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    if check.returncode != 0:
        raise UpgradeError(f"{wheel.name} needs what this venv lacks: {check.stdout.strip()}")


def _migrate(config: Config) -> str:
    """The installed (new) code migrates the stopped database, in a process of its own."""
    code = ("import sys; from gateway.store import Store; s = Store(sys.argv[1]).open(); "
            "print(s.schema_version())")
    done = subprocess.run([sys.executable, "-c", code, str(config.db_path)], capture_output=True,
                          text=True, timeout=600, cwd="/")
    if done.returncode != 0:
        raise UpgradeError(f"the migrations failed: {done.stderr.strip()[-800:]}")
    return done.stdout.strip()


def upgrade(config: Config, wheel: str | Path, service: Service) -> Upgraded:
    wheel = Path(wheel).resolve()
    new = wheel_version(wheel)
    old = metadata.version(DIST)
    rollback_dir = config.backup_dir / "rollback"
    previous = pack_installed(rollback_dir)
    made = archive.create(config, keep_days=0)
    result = Upgraded(old, new, made.path, steps=[f"backup {made.path}", f"kept {previous}"])
    service.run("stop")
    result.steps.append("stopped")
    try:
        _pip_install(wheel)
        result.steps.append(f"installed {wheel.name}")
        result.steps.append(f"migrated to schema {_migrate(config)}")
        service.run("start")
        result.steps.append("started")
        problem = service.answers(new)
    except UpgradeError as exc:
        problem = str(exc)
    if problem is None:
        result.steps.append(f"healthy: {new}")
        return result
    result.rolled_back, result.reason = True, problem
    log.error("upgrade to %s failed (%s): rolling back to %s", new, problem, old)
    service.run("stop")
    _pip_install(previous, again=True)
    restore(config, made.path, save_current=False)
    result.steps.append(f"rolled back to {old} and the database of {made.path.name}")
    service.run("start")
    again = service.answers(old)
    if again is not None:
        raise UpgradeError(f"the upgrade to {new} failed ({problem}) and, rolled back, {old} "
                           f"does not answer either ({again}): see journalctl -u selfdata-gateway")
    result.steps.append(f"healthy again: {old}")
    return result
