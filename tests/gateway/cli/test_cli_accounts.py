"""The `selfdata` command line as scripts use it: passwords on stdin, --json output."""
from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from gateway import accounts
from gateway.store import Store

PASSWORD = "a long enough password"


def selfdata(data_dir, *args, stdin: str | None = None, check: bool = True):
    result = subprocess.run([sys.executable, "-m", "selfdata", *args, "--data-dir", str(data_dir)],
                            input=stdin, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"selfdata {' '.join(args)} failed: {result.stderr}")
    return result


def test_members_from_a_script(tmp_path):
    selfdata(tmp_path, "member", "add", "alice", "--display-name", "Alice", "--admin",
             stdin=PASSWORD + "\n")
    selfdata(tmp_path, "member", "add", "bob", stdin=PASSWORD + "\n")
    listed = json.loads(selfdata(tmp_path, "member", "list", "--json").stdout)
    assert listed == [{"name": "alice", "display_name": "Alice", "admin": True},
                      {"name": "bob", "display_name": None, "admin": False}]
    store = Store(tmp_path / "selfdata.db").open()
    assert accounts.check_login(store.conn, "alice", PASSWORD).name == "alice"
    assert accounts.check_login(store.conn, "alice", "wrong password") is None
    stored = store.conn.execute("SELECT password_hash FROM members WHERE name='alice'").fetchone()
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    store.close()

    selfdata(tmp_path, "member", "passwd", "alice", stdin="another password\n")
    store = Store(tmp_path / "selfdata.db").open()
    assert accounts.check_login(store.conn, "alice", "another password") is not None
    store.close()

    again = selfdata(tmp_path, "member", "add", "alice", stdin=PASSWORD + "\n", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    short = selfdata(tmp_path, "member", "add", "carol", stdin="short\n", check=False)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr
    bad = selfdata(tmp_path, "member", "add", "Eve Smith", stdin=PASSWORD + "\n", check=False)
    assert bad.returncode == 1 and "not allowed" in bad.stderr

    selfdata(tmp_path, "member", "remove", "bob")
    assert [m["name"] for m in json.loads(
        selfdata(tmp_path, "member", "list", "--json").stdout)] == ["alice"]


def test_device_add_prints_everything_a_phone_needs(tmp_path):
    selfdata(tmp_path, "member", "add", "alice", stdin=PASSWORD + "\n")
    out = json.loads(selfdata(tmp_path, "device", "add", "alice", "phone",
                              "--encryption-key", "s3cr1t", "--json").stdout)
    c = out["connection"]
    assert c["username"] == "alice/phone" and c["topic"] == "owntracks/alice/phone"
    assert c["mqtt_host"] == "selfdata.local" and c["mqtt_port"] == 1883
    assert c["http_url"] == "http://selfdata.local:8080/pub"
    conf = out["owntracks"]
    assert conf["_type"] == "configuration" and conf["mode"] == 0
    assert conf["username"] == "alice/phone" and conf["password"] == c["password"]
    assert conf["deviceId"] == "phone" and conf["encryptionKey"] == "s3cr1t"
    assert conf["pubTopicBase"] == "owntracks/alice/phone"
    link = out["owntracks_link"]
    assert link.startswith("owntracks:///config?inline=")
    inline = json.loads(base64.b64decode(link.split("inline=", 1)[1] + "=="))
    assert inline == conf

    # The secret works for the device and is stored only hashed, also in the broker file.
    store = Store(tmp_path / "selfdata.db").open()
    auth = accounts.DeviceAuth(lambda: store.conn)
    assert auth.check("alice/phone", c["password"]).name == "phone"
    assert auth.check("alice/phone", "guess") is None
    store.close()
    passwd = (tmp_path / "mosquitto" / "passwd").read_text()
    assert "alice/phone:$7$" in passwd and c["password"] not in passwd

    http = json.loads(selfdata(tmp_path, "device", "add", "alice", "tablet", "--mode", "http",
                               "--json").stdout)
    assert http["owntracks"]["mode"] == 3 and http["owntracks"]["url"].endswith("/pub")
    listed = json.loads(selfdata(tmp_path, "device", "list", "--json").stdout)
    assert [(d["username"], d["encrypted"]) for d in listed] == [
        ("alice/phone", True), ("alice/tablet", False)]
    assert len({d["tid"] for d in listed}) == 2

    selfdata(tmp_path, "device", "remove", "alice", "tablet")
    assert "alice/tablet" not in (tmp_path / "mosquitto" / "passwd").read_text()


def test_device_add_human_output_and_bad_key(tmp_path):
    selfdata(tmp_path, "member", "add", "alice", stdin=PASSWORD + "\n")
    text = selfdata(tmp_path, "device", "add", "alice", "phone").stdout
    assert "alice/phone" in text and "owntracks:///config?inline=" in text
    long_key = selfdata(tmp_path, "device", "add", "alice", "watch", "--encryption-key",
                        "x" * 40, check=False)
    assert long_key.returncode == 1 and "at most 32 characters" in long_key.stdout
    missing = selfdata(tmp_path, "device", "add", "nobody", "phone", check=False)
    assert missing.returncode == 1 and "no member named 'nobody'" in missing.stderr


def test_stats_counts_what_is_stored(tmp_path):
    selfdata(tmp_path, "member", "add", "alice", stdin=PASSWORD + "\n")
    selfdata(tmp_path, "device", "add", "alice", "phone")
    stats = json.loads(selfdata(tmp_path, "stats", "--json").stdout)
    assert stats["members"] == 1 and stats["devices"] == 1 and stats["fixes"] == 0
    assert stats["devices_seen"] == [{"device": "alice/phone", "last_seen_ts": None}]


@pytest.mark.parametrize("args", [["--help"], ["member", "--help"], ["device", "add", "--help"]])
def test_help_works(tmp_path, args):
    result = subprocess.run([sys.executable, "-m", "selfdata", *args], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "usage: selfdata" in result.stdout
