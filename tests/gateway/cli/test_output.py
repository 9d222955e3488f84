"""What the `selfdata` command prints, read by a person or piped into another tool."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib

import pytest

from carbon.fix import Fix
from gateway import accounts
from gateway.config import load
from gateway.store import Store, insert_fixes


def _box(tmp_path, n: int = 0):
    store = Store(tmp_path / "selfdata.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", "a long enough password")
        device, _ = accounts.add_device(conn, "alice", "phone")
        insert_fixes(conn, device, [Fix(ts=1_700_000_000 + 10 * k, lat=46.1 + k * 1e-5,
                                        lon=-1.1) for k in range(n)], "import:test")
    store.close()


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """`selfdata export --format gpx | head`: no traceback, the exit status of a tool
    killed by SIGPIPE, as `yes | head` gives."""
    _box(tmp_path, n=5000)     # more GPX than a pipe holds
    proc = subprocess.Popen([sys.executable, "-m", "selfdata", "export", "--member", "alice",
                             "--format", "gpx", "--data-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b"<?xml")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.parametrize("command", [
    ("trips", "--member", "alice"),
    ("trips", "--member", "alice", "--json"),
    ("stats", "--json"),
    ("stats",),
    ("export", "--member", "alice", "--format", "csv"),
    ("member", "list", "--json"),
    ("device", "list"),
])
def test_every_command_stops_quietly_when_nobody_reads(tmp_path, command):
    """The reader is gone before the first byte (`| head -0`, a closed terminal): whatever
    the command prints, it ends with SIGPIPE's status and nothing on stderr."""
    _box(tmp_path, n=20)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "selfdata", *command, "--data-dir",
                               str(tmp_path)], stdout=write_end, stderr=subprocess.PIPE,
                              timeout=120)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "Error" not in err


def test_export_to_a_file_says_what_it_wrote_in_a_sentence(tmp_path):
    _box(tmp_path, n=30)
    out = tmp_path / "alice.gpx"
    done = subprocess.run([sys.executable, "-m", "selfdata", "export", "--member", "alice",
                           "--format", "gpx", "--out", str(out), "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.strip() == f"{out}: gpx written: 30 fixes"
    assert out.read_text().count("<trkpt") == 30
    as_json = subprocess.run([sys.executable, "-m", "selfdata", "export", "--member", "alice",
                              "--format", "csv", "--out", str(tmp_path / "a.csv"), "--json",
                              "--data-dir", str(tmp_path)],
                             capture_output=True, text=True, timeout=120)
    assert json.loads(as_json.stdout) == {"format": "csv", "path": str(tmp_path / "a.csv"),
                                          "rows": 30}


def test_config_prints_toml_that_reads_back(tmp_path):
    out = subprocess.run([sys.executable, "-m", "selfdata", "config", "--data-dir",
                          str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert out.startswith("# the effective configuration, from ")
    settings = tomllib.loads(out)
    assert settings["gateway"]["data_dir"] == str(tmp_path)
    assert settings["web"]["port"] == load(env={}).web.port


def test_a_data_dir_with_its_own_configuration_is_read_with_it(tmp_path):
    (tmp_path / "gateway.toml").write_text("[web]\nport = 18555\n[mqtt]\nport = 18556\n")
    config = load(env={}, data_dir=tmp_path)
    assert (config.web.port, config.mqtt.port) == (18555, 18556)
    assert config.source == str(tmp_path / "gateway.toml")
    assert load(tmp_path / "gateway.toml", env={}, data_dir="/elsewhere").web.port == 18555
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    assert load(env={}, data_dir=elsewhere).web.port == 8080   # no file there: defaults
