"""What tests share: ports, configs, a household, a real mosquitto (import from here,
not from conftest: each test folder may have a conftest of its own).

Gateways and brokers listen on 127.0.0.1 only, on free ports; data lives in tmp_path.
"""
from __future__ import annotations

import asyncio
import contextlib

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from gateway import accounts
from gateway.accounts import broker
from gateway.config import Config
from gateway.service import Gateway
from webui.app import make_app
from gateway.store import Store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
if not SHARED.exists():  # CI clones main with shared/ beside it
    SHARED = Path("/work/shared")
OWNTRACKS_FIXTURES = SHARED / "fixtures" / "owntracks" / "json-schema" / "test"
PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def make_config(data_dir: Path, *, mqtt_port: int | None = None) -> Config:
    cfg = Config()
    cfg.gateway.data_dir = str(data_dir)
    cfg.gateway.zeroconf = False
    cfg.web.host = "127.0.0.1"
    cfg.web.port = 0
    cfg.mqtt.enabled = mqtt_port is not None
    cfg.mqtt.host = "127.0.0.1"
    cfg.mqtt.port = mqtt_port or 1883
    cfg.mqtt.retry_seconds = 0.5
    return cfg


class Household:
    """Two members with a phone each (alice/phone, bob/phone) in a fresh store."""

    def __init__(self, config: Config):
        self.config = config
        store = Store(config.db_path).open()
        self.secrets = {}
        with store.transaction() as conn:
            for name in ("alice", "bob"):
                accounts.add_member(conn, name, PASSWORD, display_name=name.title())
                device, secret = accounts.add_device(conn, name, "phone")
                self.secrets[device.username] = secret
            broker.sync_broker_files(config, conn)
        store.close()


class Mosquitto:
    """A real broker on a free loopback port, reading the gateway's generated files."""

    def __init__(self, config: Config, port: int):
        self.config, self.port = config, port
        self.proc = None

    def start(self):
        conf = self.config.broker_dir / "test-mosquitto.conf"
        conf.write_text(broker.render_mosquitto_conf(self.config, port=self.port))
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        (self.config.broker_dir / "mosquitto.pid").write_text(f"{self.proc.pid}\n")
        wait_port(self.port)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def kill(self):
        """SIGKILL: no clean save; only what the broker already wrote survives."""
        self.proc.kill()
        self.proc.wait(10)

    @property
    def persistence_file(self) -> Path:
        return self.config.broker_dir / "mosquitto.db"


def require(binary: str) -> None:
    if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
        pytest.skip(f"{binary} is not installed (the README's test command installs it)")


def base_url(gw) -> str:
    return f"http://127.0.0.1:{gw.web_port}"


@contextlib.asynccontextmanager
async def gateway_with_broker(tmp_path: Path, extra_devices: dict[str, str | None]):
    """A real mosquitto and an in-process gateway for alice and bob, with alice also owning
    ``extra_devices`` (name -> OwnTracks encryption key or None); connected when yielded."""
    require("mosquitto")
    port = free_port()
    household = Household(make_config(tmp_path / "data", mqtt_port=port))
    store = Store(household.config.db_path).open()
    with store.transaction() as conn:
        for name, key in extra_devices.items():
            device, secret = accounts.add_device(conn, "alice", name, encryption_key=key)
            household.secrets[device.username] = secret
        broker.sync_broker_files(household.config, conn)
    store.close()
    mosquitto = Mosquitto(household.config, port).start()
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    gw.household = household
    try:
        deadline = time.monotonic() + 20
        while not gw.mqtt.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert gw.mqtt.connected, "the gateway did not connect to its broker"
        yield gw
    finally:
        await gw.stop()
        mosquitto.stop()
