"""`selfdata doctor` says what is wrong, against real files, a real broker and real ports."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time

from gateway import accounts, doctor
from gateway.store import Store
from harness import Household, Mosquitto, free_port, make_config, require


def _by_name(checks):
    return {c.name: c for c in checks}


def test_a_healthy_box_with_its_broker(tmp_path):
    require("mosquitto")
    port = free_port()
    h = Household(make_config(tmp_path / "data", mqtt_port=port))
    broker = Mosquitto(h.config, port).start()
    try:
        checks = _by_name(doctor.run_checks(h.config))
    finally:
        broker.stop()
    assert checks["broker"].status == "ok", checks["broker"]
    assert checks["broker files"].status == "ok"
    assert checks["database"].status == "ok" and "schema" in checks["database"].summary
    assert checks["disk"].status == "ok"
    assert checks["rejections"].status == "ok"
    # No gateway answers on the configured web port here: said, with what to do.
    assert checks["service"].status == "warn" and "selfdata serve" in checks["service"].advice


def test_an_absent_broker_and_stale_accounts_are_explained(tmp_path):
    h = Household(make_config(tmp_path / "data", mqtt_port=free_port()))
    store = Store(h.config.db_path).open()
    with store.transaction() as conn:  # a device added while nothing rewrote the files
        accounts.add_device(conn, "alice", "watch")
    store.close()
    checks = _by_name(doctor.run_checks(h.config))
    assert checks["broker"].status == "fail"
    assert "no MQTT broker" in checks["broker"].summary and "mosquitto" in checks["broker"].advice
    assert checks["broker files"].status == "fail"


def test_a_broker_that_has_not_read_the_generated_accounts_refuses_them(tmp_path):
    require("mosquitto")
    port = free_port()
    h = Household(make_config(tmp_path / "data", mqtt_port=port))
    broker = Mosquitto(h.config, port).start()
    try:
        (h.config.broker_dir / "doctor.secret").write_text("another password\n")
        check = doctor.check_broker(h.config)
    finally:
        broker.stop()
    assert check.status == "fail" and "refuses the logins" in check.summary


def test_clock_disk_and_refused_messages(tmp_path):
    assert doctor.check_clock(now=3600).status == "fail"
    assert "1970-01-01" in doctor.check_clock(now=3600).summary
    assert doctor.check_clock(now=time.time()).status in ("ok", "warn")
    h = Household(make_config(tmp_path / "data"))
    store = Store(h.config.db_path).open()
    store.conn.execute("INSERT INTO rejections (received_ts, source, reason, payload_head) "
                       "VALUES (?, 'owntracks-http', 'location without lat', '{}')",
                       (time.time(),))
    store.close()
    check = doctor.check_rejections(h.config)
    assert check.status == "warn" and "location without lat" in check.summary


def test_a_missing_or_damaged_database(tmp_path):
    cfg = make_config(tmp_path / "nothing-here")
    assert doctor.check_database(cfg).status == "warn"
    cfg = make_config(tmp_path / "broken")
    cfg.db_path.parent.mkdir(parents=True)
    cfg.db_path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    check = doctor.check_database(cfg)
    assert check.status == "fail" and "restore" in check.advice


def test_cli_exit_code_and_json(tmp_path):
    h = Household(make_config(tmp_path / "data", mqtt_port=free_port()))
    result = subprocess.run([sys.executable, "-m", "selfdata", "doctor", "--json", "--data-dir",
                             str(h.config.data_dir)], capture_output=True, text=True, timeout=60,
                            env={"SELFDATA_MQTT_PORT": str(h.config.mqtt.port),
                                 "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1  # the broker is not there
    checks = {c["name"]: c for c in json.loads(result.stdout)}
    assert checks["broker"]["status"] == "fail" and checks["config"]["status"] == "ok"


def test_tls_expiry_and_names_in_plain_words(tmp_path):
    import datetime as dt

    from gateway import tls
    config = make_config(tmp_path / "data")
    config.web.tls = "auto"
    lan = ["192.168.1.20"]
    missing = doctor.check_tls(config, addresses=lan)
    assert missing.status == "fail" and "missing" in missing.summary
    tls.ensure(config.tls_dir, tls.box_names(config, lan))
    ok = doctor.check_tls(config, addresses=lan)
    assert ok.status == "ok" and "valid until" in ok.summary
    assert "selfdata.local" in ok.summary and "192.168.1.20" in ok.summary
    # The box got another address from the router: phones using it would refuse the box.
    moved = doctor.check_tls(config, addresses=["192.168.1.77"])
    assert moved.status == "fail" and "does not name 192.168.1.77" in moved.summary
    assert "restart" in moved.advice or "restart" in moved.summary
    soon = doctor.check_tls(config, addresses=lan,
                            now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=380))
    assert soon.status == "warn" and "expires on" in soon.summary
    late = doctor.check_tls(config, addresses=lan,
                            now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400))
    assert late.status == "fail" and "expired on" in late.summary
    # A public name for phones: the box's CA may not sign it.
    config.mqtt.public_host = "box.example.org"
    public = doctor.check_tls(config, addresses=lan)
    assert public.status == "fail" and "box.example.org" in (public.summary + public.advice)
    Household(config)
    assert "tls" in _by_name(doctor.run_checks(config))


def test_the_age_of_the_last_backup_in_plain_words(tmp_path):
    """Real backups written by `gateway.backup.create` into the configured folder."""
    from gateway import backup

    h = Household(make_config(tmp_path / "data"))
    folder = h.config.backup_dir
    none_yet = _by_name(doctor.run_checks(h.config))["backup"]
    assert none_yet.status == "warn" and "no backup yet" in none_yet.summary
    assert str(folder) in none_yet.summary and "selfdata backup" in none_yet.advice

    made = backup.create(h.config)
    fresh = doctor.check_backup(h.config)
    assert fresh.status == "ok", fresh
    assert made.path.name in fresh.summary and str(folder) in fresh.summary

    three_days = doctor.check_backup(h.config, now=time.time() + 3 * 86400 + 600)
    assert three_days.status == "warn" and "3 days old" in three_days.summary
    assert "selfdata backup" in three_days.advice and str(folder) in three_days.advice
    assert "selfdata-backup.timer" in three_days.advice

    # A backup copied onto a stick gets a new file time: its name says when it was taken.
    old = folder / re.sub(r"\d{8}T\d{6}Z", "20251101T033000Z", made.path.name)
    assert old.name != made.path.name
    made.path.rename(old)
    assert "days old (taken 2025-11-01 03:30 UTC" in doctor.check_backup(h.config).summary

    # Not a backup by its name: never counted (nor deleted by the retention).
    old.rename(folder / "notes.tar.gz")
    assert doctor.check_backup(h.config).status == "warn"


def test_no_database_yet_is_said_not_raised(tmp_path):
    """A fresh data directory: the checks that read the database wait for it."""
    checks = _by_name(doctor.run_checks(make_config(tmp_path / "empty")))
    assert checks["database"].status == "warn" and "no database yet" in checks["database"].summary
    assert "backup" not in checks and "rejections" not in checks
