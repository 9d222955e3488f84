"""Where a QR code tells a phone to go: an address that reaches the box, with its real ports."""
from __future__ import annotations

from types import SimpleNamespace

from gateway.config import Config
from webui.reachable import Reachable


def _gw(config, port=8080):
    return SimpleNamespace(config=config, web_port=port)


def test_a_box_on_every_interface_is_reached_at_its_lan_address(monkeypatch):
    import webui.reachable as r
    monkeypatch.setattr(r, "lan_addresses", lambda: [bytes([192, 168, 1, 20])])
    cfg = Config()
    cfg.mqtt.port = 1883
    where = Reachable.of(_gw(cfg, 80))
    assert where.host == "192.168.1.20" and where.web_url == "http://192.168.1.20:80"
    assert where.mqtt_port == 1883 and where.names == ["selfdata.local"]


def test_a_box_on_one_address_names_only_that_one(monkeypatch):
    import webui.reachable as r
    monkeypatch.setattr(r, "lan_addresses", lambda: [bytes([192, 168, 1, 20])])
    cfg = Config()
    cfg.web.host = "127.0.0.1"
    where = Reachable.of(_gw(cfg, 43210))
    assert (where.host, where.web_port, where.names) == ("127.0.0.1", 43210, [])


def test_public_names_set_by_the_admin_win(monkeypatch):
    import webui.reachable as r
    monkeypatch.setattr(r, "lan_addresses", lambda: [])
    cfg = Config()
    cfg.web.public_url = "https://box.example.net/"
    cfg.mqtt.public_host, cfg.mqtt.public_port = "mqtt.example.net", 8883
    where = Reachable.of(_gw(cfg))
    assert where.web_url == "https://box.example.net" and where.host == "mqtt.example.net"
    assert where.mqtt_port == 8883
