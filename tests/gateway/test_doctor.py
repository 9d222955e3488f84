"""`selfdata doctor` says what is wrong, against real files, a real broker and real ports."""
from __future__ import annotations

import json
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
