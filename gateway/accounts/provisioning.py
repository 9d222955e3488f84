"""Everything a phone needs to report to the box: connection facts and OwnTracks settings."""
from __future__ import annotations

from urllib.parse import quote

from receivers.owntracks import config_link, device_configuration

from ..config import Config
from .devices import Device


def phone_setup(config: Config, device: Device, secret: str, *, mode: str = "mqtt") -> dict:
    mqtt_port = config.mqtt.public_port or config.mqtt.port
    http_url = f"{config.public_url}/pub"
    connection = {
        "member": device.member, "device": device.name, "tid": device.tid,
        "username": device.username, "password": secret,
        "mqtt_host": config.public_host, "mqtt_port": mqtt_port, "topic": device.topic,
        "http_url": http_url,
        "http_url_with_credentials": http_url.replace(
            "://", f"://{quote(device.username, safe='')}:{quote(secret, safe='')}@", 1),
        "osmand_url": f"{config.public_url}/?id={device.username}",
        "encryption_key": device.encryption_key,
    }
    conf = device_configuration(
        mode, host=config.public_host, port=mqtt_port, user=device.username,
        device=device.name, password=secret, tid=device.tid, url=http_url,
        encryption_key=device.encryption_key, topic=device.topic)
    return {"connection": connection, "owntracks": conf, "owntracks_link": config_link(conf)}
