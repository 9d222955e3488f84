"""The broker runs only while the gateway runs, and saves on a timer (every 30 min), not
after every change: the gateway's child broker (`[mqtt] run_broker`) gets SIGTERM when the
gateway dies, even by SIGKILL, and saves what it holds as it stops, as the Pi's mosquitto does
under its BindsTo= drop-in. Phones publish QoS 1 all along; the gateway is SIGKILLed
repeatedly and a supervisor restarts it (systemd's Restart=); every message the broker
PUBACKed is stored once the dust settles."""
from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from harness import Household, free_port, make_config, require
from helpers import location
from gateway_process import GatewayProcess, write_config
from supervisor import Supervisor

KILLS = 4


class Publisher(threading.Thread):
    """One phone: QoS 1, persistent session, reconnecting; knows what was PUBACKed."""

    def __init__(self, port: int, user: str, secret: str, base: int):
        super().__init__(daemon=True, name=f"phone-{user}")
        self.user, self.base, self.port = user, base, port
        self.infos: list = []            # (tst, MQTTMessageInfo): is_published() = PUBACKed
        self._halt = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"phone-{user}",
                                  clean_session=False, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(user, secret)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.1, 1)

    @property
    def acked(self) -> set[int]:
        return {ts for ts, info in self.infos if info.rc == 0 and info.is_published()}

    def run(self):
        self.client.connect_async("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        while not self._halt.is_set():
            if not self.client.is_connected():   # the broker is down: the phone keeps it
                time.sleep(0.05)
                continue
            ts = self.base + len(self.infos)
            info = self.client.publish(f"owntracks/{self.user}",
                                       json.dumps(location(ts)).encode(), qos=1)
            self.infos.append((ts, info))
            time.sleep(0.005)

    def finish(self, timeout: float = 60.0) -> None:
        self._halt.set()
        self.join(10)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.acked) < sum(1 for _, i in self.infos if i.rc == 0):
            time.sleep(0.1)
        self.client.disconnect()
        self.client.loop_stop()


def _stored(db: Path) -> set[tuple[str, int]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return {(u, ts) for u, ts in conn.execute(
            "SELECT m.name || '/' || d.name, f.ts FROM fixes f JOIN devices d ON d.id = "
            "f.device_id JOIN members m ON m.id = f.member_id")}
    finally:
        conn.close()


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie child of the dead gateway is reaped by init; its state says it is over.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_gateway_killed_with_its_child_broker_keeps_every_acknowledged_message(tmp_path):
    require("mosquitto")
    port = free_port()
    config = make_config(tmp_path / "data", mqtt_port=port)
    household = Household(config)
    gateway = GatewayProcess(config.data_dir, free_port(), mqtt_port=port)
    write_config(gateway.config_path, {
        "gateway": {"data_dir": str(config.data_dir), "zeroconf": False},
        "web": {"host": "127.0.0.1", "port": gateway.web_port},
        "mqtt": {"enabled": True, "host": "127.0.0.1", "port": port, "run_broker": True,
                 "retry_seconds": 0.2}})
    broker_pid = config.broker_dir / "mosquitto.pid"
    conf = config.broker_dir / "mosquitto.conf"

    def old_broker_gone():
        """systemd waits for the bound broker to stop before the restart; so does this."""
        if broker_pid.exists():
            pid = int(broker_pid.read_text())
            deadline = time.monotonic() + 20
            while not _gone(pid) and time.monotonic() < deadline:
                time.sleep(0.02)

    supervisor = Supervisor(gateway, before_start=old_broker_gone)
    supervisor.start()
    supervisor.wait_up()
    text = conf.read_text()
    assert "autosave_on_changes false" in text and "autosave_interval 1800" in text
    rng = random.Random(int(os.environ.get("SELFDATA_TEST_SEED") or random.randrange(1 << 30)))
    base = int(time.time()) - 86400
    phones = [Publisher(port, user, household.secrets[user], base + 100_000 * k)
              for k, user in enumerate(sorted(household.secrets))]
    for phone in phones:
        phone.start()
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.5, 2.0))           # mid-stream, mid-batch
            gateway.kill()
            supervisor.wait_up()
        time.sleep(1.0)
    finally:
        for phone in phones:
            phone.finish()
    acked = {(p.user, ts) for p in phones for ts in p.acked}
    assert len(acked) > 200 and supervisor.restarts >= KILLS, (len(acked), supervisor.restarts)
    deadline = time.monotonic() + 60
    while not acked <= _stored(config.db_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    supervisor.stop()
    missing = acked - _stored(config.db_path)
    print(f"{len(acked)} acknowledged, {supervisor.restarts} restarts")
    assert not missing, (f"{len(missing)} PUBACKed messages never stored, e.g. "
                         f"{sorted(missing)[:5]}\n{gateway.log_tail()}")
