"""Everything a phone needs to report to the box: connection facts and OwnTracks settings."""
from __future__ import annotations

from urllib.parse import quote

from receivers.owntracks import config_link, device_configuration

from ..config import Config
from .devices import Device


def phone_setup(config: Config, device: Device, secret: str, *, mode: str = "mqtt",
                host: str | None = None, web_url: str | None = None,
                mqtt_port: int | None = None) -> dict:
    """``host``, ``web_url`` and ``mqtt_port``: where the box is really reachable when the
    caller knows better than the configuration (the devices page knows the address and
    port it is being served on); by default the configured public names.

    With TLS on the box, the phone is told TLS: MQTT on the broker's TLS port with
    ``tls: true``, HTTP to the https URL. OwnTracks then trusts the box through the
    phone's own trust store, where the member installs the box's CA first (``ca_url``;
    both apps take user-installed CAs: Android's network security configuration trusts
    them, iOS once full trust is turned on for the profile)."""
    mqtt_port = mqtt_port or config.phone_mqtt_port
    public_url = (web_url or config.public_url).rstrip("/")
    host = host or config.public_host
    http_url = f"{public_url}/pub"
    connection = {
        "member": device.member, "device": device.name, "tid": device.tid,
        "username": device.username, "password": secret,
        "mqtt_host": host, "mqtt_port": mqtt_port, "topic": device.topic,
        "http_url": http_url,
        "http_url_with_credentials": http_url.replace(
            "://", f"://{quote(device.username, safe='')}:{quote(secret, safe='')}@", 1),
        "osmand_url": f"{public_url}/?id={device.username}",
        "encryption_key": device.encryption_key,
        "mqtt_tls": config.mqtt_tls,
        "ca_url": f"{public_url}/tls/ca.crt" if config.tls_wanted else None,
    }
    conf = device_configuration(
        mode, host=host, port=mqtt_port, user=device.username,
        device=device.name, password=secret, tid=device.tid, url=http_url,
        encryption_key=device.encryption_key, topic=device.topic,
        tls=config.mqtt_tls if mode == "mqtt" else http_url.startswith("https:"))
    return {"connection": connection, "owntracks": conf, "owntracks_link": config_link(conf)}
