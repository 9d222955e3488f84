"""`selfdata upgrade WHEEL` with real wheels built from this tree, into a real venv, with a
supervised `selfdata serve` (what systemd does on the box): 0.1.0 is upgraded to 0.1.1 (a
new migration), which answers; then to 0.1.2, deliberately broken (its migration runs, then
the service cannot start): the upgrade rolls back to 0.1.1 and the database as it was before
(0.1.1 would refuse 0.1.2's schema), and the box answers again with its fixes."""
from __future__ import annotations

import json
import re
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from harness import PASSWORD, Household, free_port, make_config
from helpers import basic, location
from gateway_process import write_config

REPO = Path(__file__).resolve().parents[3]
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist",
                              "node_modules", "out", ".pytest_cache")
MIGRATION = '''"""Test migration of the upgrade test ({version})."""
def up(conn):
    conn.execute("CREATE TABLE upgrade_test_{number} (id INTEGER PRIMARY KEY)")
'''


def _tree_version() -> str:
    return re.search(r'^__version__ = "(.*)"$', (REPO / "gateway/__init__.py").read_text(),
                     re.M).group(1)


def build_wheel(tmp: Path, version: str, *, migration: int | None = None,
                broken: bool = False) -> Path:
    tree = tmp / f"tree-{version}"
    shutil.copytree(REPO, tree, ignore=SKIP, symlinks=True)
    init = tree / "gateway" / "__init__.py"   # the one place (pyproject.toml reads it there)
    text = init.read_text()
    init.write_text(re.sub(r'^__version__ = ".*"$', f'__version__ = "{version}"', text,
                           count=1, flags=re.M))
    assert init.read_text() != text or version == _tree_version(), "__version__ not found"
    if migration:
        (tree / "gateway/store/migrations" / f"m{migration:04d}_upgrade_test.py").write_text(
            MIGRATION.format(version=version, number=migration))
    if broken:   # migrates, then cannot serve: what a bad release looks like
        service = tree / "gateway" / "service.py"
        text = service.read_text()
        broken_text = re.sub(r"(\n    async def start\(self[^\n]*\n)",
                             r"\1        raise RuntimeError('deliberately broken build')\n", text,
                             count=1)
        assert broken_text != text, "Gateway.start not found: the broken build would not be"
        service.write_text(broken_text)
    out = tmp / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(tree)], check=True, capture_output=True, timeout=600)
    (wheel,) = out.glob(f"selfdata_gateway-{version}-*.whl")
    return wheel


def make_venv(path: Path, wheel: Path) -> Path:
    """A venv like the box's, with this machine's installed dependencies linked in (no
    network) and the gateway from ``wheel``."""
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=300)
    site = Path(sysconfig.get_paths()["purelib"])
    target = next(path.glob("lib/python3*/site-packages"))
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("selfdata", "__editable__", "_selfdata", "pip", "setuptools",
                            "_distutils", "distutils-precedence")) or name.endswith(".pth"):
            continue
        if not (target / entry.name).exists():
            (target / entry.name).symlink_to(entry)
    subprocess.run([str(path / "bin/python"), "-m", "pip", "install", "-q", "--no-index",
                    "--no-deps", str(wheel)], check=True, timeout=300)
    return path


class SupervisedServe(threading.Thread):
    """`selfdata serve` kept running (Restart=always), unless the PAUSE file says stopped:
    what `systemctl stop` / `start` do, driven by the upgrade's --stop/--start-command."""

    def __init__(self, venv: Path, config: Path, folder: Path):
        super().__init__(daemon=True)
        self.venv, self.config, self.folder = venv, config, folder
        self.pause, self.pidfile = folder / "PAUSE", folder / "serve.pid"
        self.log = folder / "serve.log"
        self.proc = None
        self.halt = threading.Event()

    def run(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SELFDATA_", "PYTHON"))}
        while not self.halt.is_set():
            if (self.proc is None or self.proc.poll() is not None) and not self.pause.exists():
                with open(self.log, "ab") as log:
                    self.proc = subprocess.Popen(
                        [str(self.venv / "bin/selfdata"), "serve", "--config", str(self.config)],
                        cwd=self.folder, env=env, stdout=log, stderr=subprocess.STDOUT)
                self.pidfile.write_text(str(self.proc.pid))
                time.sleep(0.5)       # RestartSec=
            time.sleep(0.05)

    def stop_command(self) -> str:
        return (f"sh -c 'touch {self.pause}; p=$(cat {self.pidfile}); kill $p; "
                f"while kill -0 $p 2>/dev/null; do sleep 0.1; done'")

    def start_command(self) -> str:
        return f"rm -f {self.pause}"

    def finish(self):
        self.halt.set()
        self.join(10)
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


def wait_health(port: int, version: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        h = health(port)
        if h and h.get("version") == version:
            return h
        time.sleep(0.2)
    raise AssertionError(f"no healthy {version} on {port}: {health(port)}")


def post(port: int, user: str, secret: str, tst: int) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/pub", method="POST",
                                 data=json.dumps(location(tst)).encode(),
                                 headers={**basic(user, secret),
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status


def test_upgrade_then_a_broken_upgrade_rolled_back(tmp_path):
    wheels = {v: build_wheel(tmp_path, v, **kw) for v, kw in (
        ("0.1.0", {}), ("0.1.1", {"migration": 998}),
        ("0.1.2", {"migration": 999, "broken": True}))}
    venv = make_venv(tmp_path / "venv", wheels["0.1.0"])
    box = tmp_path / "box"
    household = Household(make_config(box / "data"))
    user, secret = next(iter(household.secrets.items()))
    port = free_port()
    config = write_config(box / "gateway.toml", {
        "gateway": {"data_dir": str(box / "data"), "zeroconf": False},
        "web": {"host": "127.0.0.1", "port": port}, "mqtt": {"enabled": False}})
    serve = SupervisedServe(venv, config, box)
    serve.start()
    selfdata = str(venv / "bin/selfdata")

    def upgrade(wheel):
        return subprocess.run([selfdata, "upgrade", str(wheel), "--config", str(config),
                               "--stop-command", serve.stop_command(),
                               "--start-command", serve.start_command(), "--timeout", "30"],
                              capture_output=True, text=True, timeout=600,
                              env={k: v for k, v in os.environ.items()
                                   if not k.startswith(("SELFDATA_", "PYTHON"))})

    try:
        # the tree's own latest migration (0.1.0 is the tree as it is)
        from gateway.store import migrations
        assert wait_health(port, "0.1.0")["schema"] == migrations.latest()
        assert post(port, user, secret, 1_780_000_000) == 200

        done = upgrade(wheels["0.1.1"])
        assert done.returncode == 0, done.stdout + done.stderr
        assert "upgraded 0.1.0 -> 0.1.1" in done.stdout
        assert wait_health(port, "0.1.1")["schema"] == 998
        assert post(port, user, secret, 1_780_000_100) == 200

        done = upgrade(wheels["0.1.2"])
        assert done.returncode == 3, done.stdout + done.stderr
        assert "rolled back to 0.1.1" in done.stderr
        h = wait_health(port, "0.1.1")
        assert h["schema"] == 998                       # the pre-upgrade database
        assert post(port, user, secret, 1_780_000_200) == 200
        version = subprocess.run([selfdata, "--version"], capture_output=True, text=True)
        assert version.stdout.strip() == "selfdata 0.1.1"
    finally:
        serve.finish()
    conn = sqlite3.connect(box / "data" / "selfdata.db")
    try:
        assert conn.execute("SELECT ts FROM fixes ORDER BY ts").fetchall() == [
            (1_780_000_000,), (1_780_000_100,), (1_780_000_200,)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "upgrade_test_998" in tables and "upgrade_test_999" not in tables
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert "deliberately broken build" in (box / "serve.log").read_text()
