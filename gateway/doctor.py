"""`selfdata doctor`: what is wrong with this box, in words a household can act on.

Each check returns a ``Check`` (ok, warn or fail, a one-line summary and, when something
is wrong, what to do). Checks never raise: a check that cannot run says so.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.request
from dataclasses import dataclass

from . import tls
from .accounts import broker, first_run
from .backup.retention import backups, taken_at
from .config import Config
from .store import connect, migrations
from .store import pages

OK, WARN, FAIL = "ok", "warn", "fail"
# A Pi without a real-time clock boots in 1970 or at the image's build date until NTP.
CLOCK_FLOOR = 1767225600  # 2026-01-01
MIN_FREE_BYTES = 200 * 1024 * 1024
# The timer backs up every night (03:30): older than this, at least one night was missed.
BACKUP_MAX_AGE_S = 2 * 86400


@dataclass
class Check:
    name: str
    status: str
    summary: str
    advice: str = ""


def run_checks(config: Config) -> list[Check]:
    checks = [check_config(config), check_clock(), check_disk(config)]
    db = check_database(config)
    checks.append(db)
    if db.status != FAIL:
        checks.append(check_setup(config))
    if db.status != FAIL and config.db_path.exists():  # no database yet: nothing to read
        checks.append(check_rejections(config))
        checks.append(check_city_link(config))
        checks.append(check_backup(config))
        if config.mqtt.enabled:
            checks.append(check_acl(config))
    if config.mqtt.enabled:
        checks.append(check_broker(config))
    if config.gpsd.enabled:
        checks.append(check_gpsd(config))
    if config.tls_wanted:
        checks.append(check_tls(config))
    checks.append(check_service(config))
    return checks


def check_config(config: Config) -> Check:
    return Check("config", OK, f"configuration from {config.source}; data in {config.data_dir}")


def check_clock(now: float | None = None) -> Check:
    now = time.time() if now is None else now
    if now < CLOCK_FLOOR:
        return Check("clock", FAIL, f"the clock says {time.strftime('%Y-%m-%d', time.gmtime(now))}",
                     "the box has no network time yet: connect it to the Internet once, or "
                     "set the date (`sudo date -s ...`); positions are checked against it")
    synced = _ntp_synchronized()
    if synced is False:
        return Check("clock", WARN, "the clock is plausible but not synchronised by NTP",
                     "check the network; phones' positions more than a day in the future "
                     "are refused")
    return Check("clock", OK, "clock set" + (" (NTP synchronised)" if synced else ""))


def _ntp_synchronized() -> bool | None:
    if shutil.which("timedatectl") is None:
        return None
    try:
        out = subprocess.run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                             capture_output=True, text=True, timeout=3).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"yes": True, "no": False}.get(out)


def check_disk(config: Config) -> Check:
    path = config.data_dir if config.data_dir.exists() else config.data_dir.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError as exc:
        return Check("disk", FAIL, f"cannot read the disk of {path}: {exc}")
    free_mb = usage.free // (1024 * 1024)
    if usage.free < MIN_FREE_BYTES or usage.free / usage.total < 0.03:
        return Check("disk", FAIL, f"only {free_mb} MB free on the disk of {path}",
                     "delete old exports or set a retention (`selfdata retention`); when the "
                     "disk is full new positions cannot be stored")
    return Check("disk", OK, f"{free_mb} MB free")


def check_database(config: Config) -> Check:
    if not config.db_path.exists():
        return Check("database", WARN, f"no database yet at {config.db_path}",
                     "it is created by `selfdata serve` or the first `selfdata member add`")
    try:
        conn = connect(config.db_path, readonly=True)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        ok = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        fixes = conn.execute("SELECT count(*) FROM fixes").fetchone()[0]
        page = pages.page_size(conn)
        conn.close()
    except sqlite3.Error as exc:
        return Check("database", FAIL, f"{config.db_path}: {exc}",
                     "restore the last backup, or move the file aside and re-import exports")
    if ok != "ok":
        return Check("database", FAIL, f"integrity check failed: {ok}",
                     "stop the gateway and restore a backup (`sqlite3 .recover` may save data)")
    if version < migrations.latest():
        return Check("database", WARN, f"schema {version}, this gateway brings "
                     f"{migrations.latest()}", "it is migrated when `selfdata serve` starts")
    size = config.db_path.stat().st_size // (1024 * 1024)
    if page != pages.PAGE_SIZE:
        return Check("database", WARN, f"schema {version}, {fixes} fixes, {size} MB, in pages "
                     f"of {page} bytes: the SD card gets about 60% more per stored position "
                     f"than with {pages.PAGE_SIZE}-byte pages",
                     "stop the gateway and run `selfdata compact` (it needs about "
                     f"{int(size * pages.ROOM) + 1} MB free), then start it again")
    return Check("database", OK, f"schema {version}, {fixes} fixes, {size} MB")


def check_setup(config: Config) -> Check:
    """Until the first member exists, the box waits for its owner's first-run setup."""
    if not config.db_path.exists():
        return Check("setup", WARN, "not set up yet", "run `selfdata serve` and open /setup")
    conn = connect(config.db_path, readonly=True)
    try:
        members = conn.execute("SELECT count(*) FROM members").fetchone()[0]
    finally:
        conn.close()
    if members:
        return Check("setup", OK, f"set up: {members} member{'s' * (members != 1)}")
    code = first_run.read_setup_code(config)
    where = (f"enter the code {first_run.display(code)}" if code else
             "start `selfdata serve` (it makes the first-run code), then enter its code")
    return Check("setup", WARN, "no member yet: the box waits for its first-run setup",
                 f"open {config.public_url}/setup and {where}")


def check_rejections(config: Config) -> Check:
    conn = connect(config.db_path, readonly=True)
    since = time.time() - 86400
    rows = conn.execute(
        "SELECT reason, count(*) AS n FROM rejections WHERE received_ts > ? GROUP BY reason "
        "ORDER BY n DESC LIMIT 3", (since,)).fetchall()
    conn.close()
    total = sum(r["n"] for r in rows)
    if not rows:
        return Check("rejections", OK, "nothing refused in the last 24 hours")
    top = "; ".join(f"{r['n']}× {r['reason']}" for r in rows)
    return Check("rejections", WARN, f"{total}+ messages refused in the last 24 hours: {top}",
                 "`selfdata stats` and each member's page list them; a wrong encryption key "
                 "or a phone with a wrong clock are the usual causes")


def check_backup(config: Config, now: float | None = None) -> Check:
    """The newest backup in the backup folder: there, and from the last night or so."""
    now = time.time() if now is None else now
    folder = config.backup_dir
    how = (f"run one now: `selfdata backup` (it goes to {folder}; `--to /media/usb` for a "
           "stick); the nightly one is `selfdata-backup.timer` (`systemctl status "
           "selfdata-backup.timer`, `journalctl -u selfdata-backup`)")
    if folder.is_dir() and not os.access(folder, os.R_OK | os.X_OK):
        return Check("backup", WARN, f"cannot read the backups' folder {folder}",
                     "run the doctor as the gateway's user or root (`sudo selfdata doctor`)")
    try:
        found = backups(folder)
        newest = found[-1] if found else None
        when = taken_at(newest) if newest else None
        size = newest.stat().st_size if newest else 0
    except (OSError, ValueError) as exc:
        return Check("backup", WARN, f"cannot read the backups in {folder}: {exc}",
                     "the backups' folder must be readable by the gateway's user; " + how)
    if newest is None:
        return Check("backup", WARN, f"no backup yet in {folder}",
                     "without one, a dead SD card loses every position, trip and phone "
                     "pairing; " + how)
    age = now - when
    taken = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))
    what = f"{newest.name}, {size / 1e6:.1f} MB"
    if age > BACKUP_MAX_AGE_S:
        return Check("backup", WARN, f"the last backup is {age / 86400:.0f} days old "
                     f"(taken {taken}: {what})",
                     "a backup should be made every night; check why it stopped: " + how)
    if age < -3600:
        return Check("backup", WARN, f"the last backup ({what}) is dated {taken}, after "
                     "the box's clock", "the clock is probably wrong (see the clock check)")
    return Check("backup", OK, f"last backup {_ago(age)} ago ({what}) in {folder}")


def _ago(seconds: float) -> str:
    hours = max(0, int(seconds // 3600))
    if hours < 1:
        return f"{max(0, int(seconds // 60))} min"
    return f"{hours} h" if hours < 48 else f"{hours // 24} days"


def check_city_link(config: Config, now: float | None = None) -> Check:
    """Members' messages to the city: keys present, nothing stuck, nothing refused."""
    now = time.time() if now is None else now
    conn = connect(config.db_path, readonly=True)
    try:
        links = conn.execute("SELECT l.key_file, m.name FROM links l JOIN members m ON "
                             "m.id = l.member_id WHERE l.state != 'revoked'").fetchall()
        stuck = conn.execute("SELECT count(*), min(created_at), max(last_error) FROM outbox "
                             "WHERE state = 'pending' AND attempts > 0 AND created_at < ?",
                             (now - 2 * 86400,)).fetchone()
        refused = conn.execute("SELECT count(*), max(last_error) FROM outbox WHERE state = "
                               "'refused' AND done_at > ?", (now - 30 * 86400,)).fetchone()
    except sqlite3.Error:          # an older schema: `selfdata serve` migrates it
        return Check("city link", OK, "not set up on this database yet")
    finally:
        conn.close()
    if not links:
        return Check("city link", OK, "no member sends anything to the city")
    missing = sorted(name for key, name in links if not (config.data_dir / "keys" / key).exists())
    if missing:
        return Check("city link", FAIL, f"the key of {', '.join(missing)} is missing from "
                     f"{config.data_dir / 'keys'}", "restore the keys folder from the backup "
                     "it came with, or `selfdata link revoke` and enrol again with a new token")
    if stuck[0]:
        return Check("city link", WARN, f"{stuck[0]} messages have waited for the city since "
                     f"{time.strftime('%Y-%m-%d', time.localtime(stuck[1]))}: {stuck[2]}",
                     "nothing is lost, the box keeps trying; check the Internet connection and "
                     "the aggregator's address (`selfdata link status`)")
    if refused[0]:
        return Check("city link", WARN, f"the city refused {refused[0]} messages in 30 days: "
                     f"{refused[1]}", "`selfdata link status` lists them with the city's reason")
    return Check("city link", OK, f"{len(links)} members linked; nothing waiting too long")


def check_acl(config: Config) -> Check:
    conn = connect(config.db_path, readonly=True)
    try:
        in_sync = broker.acl_in_sync(config, conn)
    finally:
        conn.close()
    if in_sync:
        return Check("broker files", OK, f"password file and ACL in {config.broker_dir} match "
                     "the devices")
    return Check("broker files", FAIL, "the broker's password file or ACL is out of date",
                 "the running gateway rewrites them within 10 s; otherwise run "
                 "`selfdata serve` or check the permissions of " + str(config.broker_dir))


def check_broker(config: Config) -> Check:
    host, port = config.mqtt.host, config.mqtt.port
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as exc:
        return Check("broker", FAIL, f"no MQTT broker at {host}:{port} ({exc.strerror or exc})",
                     "start mosquitto (`sudo systemctl start mosquitto`) or set "
                     "[mqtt] run_broker = true; phones in HTTP mode still work meanwhile")
    code = _mqtt_login(config)
    if code == 0:
        return Check("broker", OK, f"mosquitto at {host}:{port} accepts the logins the gateway "
                     "generates")
    if code in (4, 5):
        return Check("broker", FAIL, f"mosquitto at {host}:{port} refuses the logins the gateway "
                     "generates",
                     "the broker has not read the generated password file: check that it "
                     f"includes {config.broker_dir}/passwd, then reload it")
    return Check("broker", WARN, f"mosquitto at {host}:{port} answered oddly ({code})")


def _mqtt_login(config: Config) -> int | str:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    result: dict = {}
    # Its own account, never the gateway's: the broker binds sessions to logins, so logging
    # in as the gateway would throw the running gateway off (and a clean login wipe its queue).
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=broker.DOCTOR_USERNAME)
    client.username_pw_set(broker.DOCTOR_USERNAME, broker.doctor_password(config))
    client.on_connect = lambda c, u, f, rc, p: result.setdefault("rc", rc)
    try:
        client.connect(config.mqtt.host, config.mqtt.port, keepalive=10)
        deadline = time.monotonic() + 3
        while "rc" not in result and time.monotonic() < deadline:
            client.loop(0.1)
        client.disconnect()
    except OSError as exc:
        return str(exc)
    rc = result.get("rc")
    if rc is None:
        return "no answer"
    return 0 if not rc.is_failure else (5 if rc.value in (134, 135, 4, 5) else rc.value)


def check_tls(config: Config, *, addresses: list[str] | None = None, now=None) -> Check:
    """The certificate phones and browsers get: its expiry, and whether it names the box
    as it is reached now (hostname, selfdata.local, the current LAN addresses)."""
    names = tls.box_names(config, addresses)
    findings = tls.check(config.tls_dir, names, now=now)
    worst = FAIL if any(f.level == "error" for f in findings) else (
        WARN if any(f.level == "warning" for f in findings) else OK)
    problems = [f.message for f in findings if f.level != "ok"]
    unsignable = tls.unsignable_names(config)
    if unsignable:
        problems.append(f"phones are told {', '.join(unsignable)}, which the box's certificate "
                        "cannot name (only .local names and home network addresses): they "
                        "will refuse it; tell them <hostname>.local or the box's address")
        worst = FAIL
    if worst == OK:
        return Check("tls", OK, findings[0].message)
    return Check("tls", worst, problems[0], "; ".join(problems[1:]) or
                 "restart the gateway (`sudo systemctl restart selfdata-gateway`): it renews "
                 "the certificate at start")


def check_gpsd(config: Config) -> Check:
    import asyncio

    from receivers.gpsd import probe
    g = config.gpsd
    try:
        info = asyncio.run(probe(g.host, g.port, timeout=3.0))
    except Exception as exc:
        return Check("gpsd", FAIL, f"cannot ask gpsd at {g.host}:{g.port}: {exc}")
    if not info.get("reachable"):
        return Check("gpsd", FAIL, f"gpsd is not answering at {g.host}:{g.port}",
                     "`sudo systemctl start gpsd`; check the dongle with `gpsmon`")
    devices = info.get("devices") or []
    if not devices:
        return Check("gpsd", FAIL, "gpsd runs but sees no GPS receiver",
                     "plug the dongle in, or list it in DEVICES= in /etc/default/gpsd")
    if not info.get("fix"):
        return Check("gpsd", WARN, f"gpsd sees {len(devices)} receiver(s) but no fix yet",
                     "put the antenna where it sees the sky; a first fix can take minutes")
    return Check("gpsd", OK, f"gpsd has a fix from {devices[0].get('path', 'a receiver')}")


def check_service(config: Config) -> Check:
    port = config.web.port
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
            body = json.loads(resp.read())
    except (OSError, ValueError):
        return Check("service", WARN, f"the gateway is not answering on port {port}",
                     "start it: `selfdata serve` (or `sudo systemctl start selfdata`)")
    if body.get("mqtt_connected") is False:
        return Check("service", WARN, "the gateway runs but is not connected to the broker",
                     "see the broker check above")
    return Check("service", OK, f"the gateway answers on port {port}")
