"""MQTT for phones over TLS: a real mosquitto with the box's certificate on its TLS port, a
device login trusting only the box's CA publishes and the fix is stored; plain MQTT stays
the gateway's, on loopback, unless the household turns LAN plain MQTT on."""
from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from gateway import tls
from gateway.accounts import broker
from gateway.accounts.provisioning import phone_setup
from gateway.config import Config
from gateway.queries.stats import box_stats
from gateway.service import Gateway
from harness import Household, free_port, make_config, require
from webui.app import make_app

REPO = Path(__file__).resolve().parents[3]


def trust(config) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(config.tls_dir / "ca.crt"))


def connect(config, port: int, username: str, password: str, *, use_tls: bool = True):
    """A phone: paho over TLS with the box's CA; returns (client, reason code)."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{time.time_ns()}")
    client.username_pw_set(username, password)
    if use_tls:
        client.tls_set_context(trust(config))
    done = threading.Event()
    result = {}

    def on_connect(c, u, flags, reason, props):
        result["reason"] = reason
        done.set()
    client.on_connect = on_connect
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    done.wait(15)
    return client, result.get("reason")


@pytest.fixture
async def tls_gateway(tmp_path):
    require("mosquitto")
    config = make_config(tmp_path / "data", mqtt_port=free_port())
    config.web.tls = "on"
    config.mqtt.run_broker = True
    config.mqtt.tls_port = free_port()
    household = Household(config)
    gw = Gateway(config, web_app=make_app)
    await gw.start(https_port=0)
    gw.household = household
    deadline = time.monotonic() + 20
    while not gw.mqtt.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert gw.mqtt.connected, "the gateway did not reach its broker"
    try:
        yield gw
    finally:
        await gw.stop()


async def test_a_phone_logs_in_over_tls_and_its_fix_is_stored(tls_gateway):
    gw = tls_gateway
    cfg = gw.config
    secret = gw.household.secrets["alice/phone"]
    client, reason = await asyncio.to_thread(connect, cfg, cfg.mqtt.tls_port, "alice/phone", secret)
    try:
        assert reason is not None and not reason.is_failure, reason
        now = int(time.time())
        info = client.publish("owntracks/alice/phone", json.dumps(
            {"_type": "location", "lat": 46.16, "lon": -1.15, "tst": now - 5, "acc": 8}), qos=1)
        await asyncio.to_thread(info.wait_for_publish, 10)
        assert info.is_published()
    finally:
        client.loop_stop()
        client.disconnect()
    deadline = time.monotonic() + 15
    while box_stats(gw.store.conn)["fixes_by_source"].get("owntracks-mqtt") != 1:
        assert time.monotonic() < deadline, "the fix sent over TLS was not stored"
        await asyncio.sleep(0.1)
    bad, reason = await asyncio.to_thread(connect, cfg, cfg.mqtt.tls_port, "alice/phone", "wrong")
    bad.loop_stop()
    bad.disconnect()
    assert reason is not None and reason.is_failure


async def test_the_tls_listener_refuses_a_client_that_does_not_trust_the_box(tls_gateway):
    cfg = tls_gateway.config

    def handshake(context, name):
        with socket.create_connection(("127.0.0.1", cfg.mqtt.tls_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname=name) as conn:
                return conn.version()
    assert await asyncio.to_thread(handshake, trust(cfg), "selfdata.local") in ("TLSv1.2", "TLSv1.3")
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.to_thread(handshake, trust(cfg), "attacker.example")
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.to_thread(handshake, ssl.create_default_context(), "selfdata.local")


async def test_plain_mqtt_is_not_reachable_beyond_its_loopback_address(tls_gateway):
    """The child broker binds plain MQTT where the gateway connects (127.0.0.1); another
    address of the machine (127.0.0.2 stands for the LAN one here) gets nothing."""
    cfg = tls_gateway.config
    socket.create_connection(("127.0.0.1", cfg.mqtt.port), timeout=5).close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", cfg.mqtt.port), timeout=5).close()


async def test_a_renewed_certificate_restarts_the_broker_on_it(tls_gateway, monkeypatch):
    gw = tls_gateway
    monkeypatch.setattr(tls.box, "lan_addresses", lambda: ["192.168.1.77"])
    before = (gw.config.broker_dir / "listeners.conf").read_text()
    await gw._check_tls()
    after = (gw.config.broker_dir / "listeners.conf").read_text()
    assert after != before  # the new serial

    def served():
        with socket.create_connection(("127.0.0.1", gw.config.mqtt.tls_port), timeout=10) as raw:
            with trust(gw.config).wrap_socket(raw, server_hostname="192.168.1.77") as conn:
                return conn.version()
    deadline = time.monotonic() + 15
    while True:  # the restarted broker takes a moment to listen again
        try:
            assert await asyncio.to_thread(served)
            break
        except (ConnectionRefusedError, ConnectionResetError):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.2)


def test_the_pi_broker_listens_in_plain_on_loopback_only():
    """The system broker's own file: only the loopback listener; the LAN gets TLS from the
    generated listeners.conf, and plain MQTT only with [mqtt] lan_plain."""
    conf = (REPO / "systemd" / "mosquitto-selfdata.conf").read_text().splitlines()
    assert [line for line in conf if line.startswith("listener")] == ["listener 1883 127.0.0.1"]
    pi = Config()
    pi.gateway.data_dir = "/var/lib/selfdata"
    pi.web.tls = "auto"
    rendered = broker.render_listeners(pi, lan_addresses=["192.168.1.20"])
    assert not [line for line in rendered.splitlines() if line.startswith("listener")]  # no cert yet
    pi.mqtt.lan_plain = True
    rendered = broker.render_listeners(pi, lan_addresses=["192.168.1.20"])
    assert [line for line in rendered.splitlines() if line.startswith("listener")] == [
        "listener 1883 192.168.1.20"]


def test_the_tls_listener_is_on_every_address_once_the_certificate_exists(tmp_path):
    config = make_config(tmp_path / "data")
    config.web.tls = "auto"
    tls.ensure(config.tls_dir, tls.server_names("selfdata", ["192.168.1.20"]))
    lines = broker.render_listeners(config).splitlines()
    at = lines.index("listener 8883")
    assert lines[at + 1:at + 1 + len(broker.LISTENER_OPTIONS)] == list(broker.LISTENER_OPTIONS)
    assert f"certfile {config.tls_dir / 'server.crt'}" in lines
    assert f"keyfile {config.tls_dir / 'server.key'}" in lines
    assert not any(line.startswith("listener 1883") for line in lines)


def test_phones_are_told_tls_and_the_tls_port(tmp_path):
    config = make_config(tmp_path / "data", mqtt_port=1883)
    config.web.tls = "auto"
    config.web.https_port = 443
    household = Household(config)
    from gateway.accounts import devices
    from gateway.store import Store
    store = Store(config.db_path).open()
    device = devices.list_devices(store.conn)[0]
    store.close()
    mqtt_setup = phone_setup(config, device, household.secrets[device.username], mode="mqtt")
    assert mqtt_setup["owntracks"]["tls"] is True and mqtt_setup["owntracks"]["port"] == 8883
    assert mqtt_setup["connection"]["ca_url"] == "https://selfdata.local/tls/ca.crt"
    http_setup = phone_setup(config, device, household.secrets[device.username], mode="http")
    assert http_setup["owntracks"]["url"] == "https://selfdata.local/pub"
    assert http_setup["owntracks"]["tls"] is True
    config.web.tls = "off"
    plain = phone_setup(config, device, household.secrets[device.username], mode="mqtt")
    assert plain["owntracks"]["tls"] is False and plain["owntracks"]["port"] == 1883
    assert plain["connection"]["ca_url"] is None
