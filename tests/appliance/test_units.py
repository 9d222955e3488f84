"""The image's systemd units: `systemd-analyze verify` passes for every one, and the network
daemons' sandbox rates "OK" or better in `systemd-analyze security`.

Units name binaries that exist only on the Pi (/opt/selfdata/venv/bin/selfdata, ...), and
`verify` checks that every command is executable, so they are verified inside a small
fake root: this machine's own systemd units (targets and the like), stand-ins for the
Debian units ours depend on, and stand-in executables at the paths ours run.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEMD = REPO / "systemd"
UNITS = sorted(p for p in SYSTEMD.iterdir() if p.suffix in (".service", ".timer", ".path", ".socket"))
# Units of Debian packages that ours Require or Want (installed on the image, maybe not here).
DEBIAN_UNITS = ("mosquitto.service", "NetworkManager.service", "gpsd.socket",
                "avahi-daemon.service", "ssh.service")
# systemd-analyze security bands (systemd 252, src/analyze/analyze-security.c): the exposure
# is on 0-10, and "OK" is the band below 5.0.
OK_BAND = 5.0
# A daemon that listens on the network.
DAEMONS = ("selfdata-gateway.service",)


def analyze() -> str:
    path = shutil.which("systemd-analyze")
    assert path, "systemd-analyze is part of systemd, on every Debian machine"
    return path


def exec_paths(unit: Path) -> list[str]:
    out = []
    for line in unit.read_text().splitlines():
        match = re.match(r"Exec\w+=[-@:+!]*(\S+)", line)
        if match:
            out.append(match.group(1))
    return out


@pytest.fixture(scope="module")
def fake_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("root")
    unit_dir = root / "usr/lib/systemd/system"
    host_units = Path("/lib/systemd/system")
    shutil.copytree(host_units, unit_dir, symlinks=True)
    for name in DEBIAN_UNITS:
        if not (unit_dir / name).exists():
            kind = name.rsplit(".", 1)[1]
            body = "[Socket]\nListenStream=127.0.0.1:2947\n" if kind == "socket" else \
                "[Service]\nExecStart=/bin/true\n"
            (unit_dir / name).write_text(f"[Unit]\nDescription=stand-in for Debian's {name}\n\n{body}")
    for unit in UNITS:
        shutil.copy(unit, unit_dir / unit.name)
    dropin = root / "etc/systemd/system/mosquitto.service.d/selfdata.conf"
    dropin.parent.mkdir(parents=True)
    shutil.copy(SYSTEMD / "mosquitto-restart.conf", dropin)
    for unit in list(UNITS) + [unit_dir / name for name in DEBIAN_UNITS]:
        for command in exec_paths(unit):
            stand_in = root / command.lstrip("/")
            if stand_in.exists() or stand_in.is_symlink():
                continue
            stand_in.parent.mkdir(parents=True, exist_ok=True)
            stand_in.write_text("#!/bin/sh\nexit 0\n")
            stand_in.chmod(0o755)
    (root / "bin").mkdir(exist_ok=True)
    for name in ("true",):
        if not (root / "bin" / name).exists():
            (root / "bin" / name).write_text("#!/bin/sh\nexit 0\n")
            (root / "bin" / name).chmod(0o755)
    return root


def verify(root: Path, name: str) -> subprocess.CompletedProcess:
    return subprocess.run([analyze(), "verify", f"--root={root}", name],
                          capture_output=True, text=True, timeout=120)


def test_there_are_units_to_check():
    names = {u.name for u in UNITS}
    assert {"selfdata-gateway.service", "selfdata-backup.timer", "selfdata-backup.service",
            "selfdata-firstboot.service", "selfdata-broker-reload.path"} <= names


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_unit_verifies(fake_root, unit):
    result = verify(fake_root, unit.name)
    assert result.returncode == 0, result.stderr
    # verify also prints warnings without failing (an unknown key, a bad value): none.
    assert result.stderr.strip() == "", result.stderr


def test_mosquitto_with_our_restart_dropin_verifies(fake_root):
    result = verify(fake_root, "mosquitto.service")
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    shown = subprocess.run([analyze(), "cat-config", f"--root={fake_root}",
                            "systemd/system/mosquitto.service.d/selfdata.conf"],
                           capture_output=True, text=True)
    assert "Restart=on-failure" in shown.stdout, shown.stderr


def test_verify_catches_a_broken_unit(fake_root):
    """The check above can fail: a misspelt directive and a missing binary are reported."""
    unit_dir = fake_root / "usr/lib/systemd/system"
    broken = (SYSTEMD / "selfdata-gateway.service").read_text()
    broken = broken.replace("ProtectHome=yes", "ProtectHomes=yes").replace(
        "/opt/selfdata/venv/bin/selfdata", "/opt/selfdata/venv/bin/no-such-program")
    (unit_dir / "broken-test.service").write_text(broken)
    try:
        result = verify(fake_root, "broken-test.service")
    finally:
        (unit_dir / "broken-test.service").unlink()
    assert "ProtectHomes" in result.stderr
    assert result.returncode != 0 and "no-such-program" in result.stderr


def exposure(unit: Path) -> tuple[float, str, str]:
    result = subprocess.run([analyze(), "security", "--offline=true", str(unit)],
                            capture_output=True, text=True, timeout=120)
    match = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1)), match.group(2), result.stdout


@pytest.mark.parametrize("name", DAEMONS + ("selfdata-backup.service",))
def test_sandbox_rates_ok_or_better(name):
    score, band, report = exposure(SYSTEMD / name)
    print(f"{name}: exposure {score} {band}")
    assert score < OK_BAND and band in ("OK", "SAFE", "PERFECT"), report


def test_gateway_keeps_only_the_low_port_capability():
    unit = (SYSTEMD / "selfdata-gateway.service").read_text()
    assert "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n" in unit
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE\n" in unit
    assert "User=selfdata\n" in unit and "NoNewPrivileges=yes\n" in unit
    assert "ExecStart=/opt/selfdata/venv/bin/selfdata serve --config /etc/selfdata/gateway.toml" in unit


def test_security_score_reflects_the_sandbox(tmp_path):
    """The rating is earned by the sandbox: the same unit without it is rated far worse."""
    bare = "\n".join(line for line in (SYSTEMD / "selfdata-gateway.service").read_text().splitlines()
                     if not re.match(r"(Protect|Private|Restrict|SystemCall|Capability|"
                                     r"NoNewPrivileges|LockPersonality|MemoryDeny|ProcSubset|"
                                     r"DevicePolicy|RemoveIPC|UMask)", line))
    (tmp_path / "selfdata-gateway.service").write_text(bare)
    hardened, _, _ = exposure(SYSTEMD / "selfdata-gateway.service")
    unhardened, band, _ = exposure(tmp_path / "selfdata-gateway.service")
    assert unhardened >= 7.5 and band in ("EXPOSED", "UNSAFE", "DANGEROUS")
    assert hardened < unhardened - 5
