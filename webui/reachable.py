"""Where phones can really reach this box: the address and ports a QR code carries.

Android phones rarely resolve `.local` names inside apps, so the QR code carries an
address: the configured public names when the admin set them, else the address the box
listens on when it is a specific one, else its LAN address; `selfdata.local` is given
beside it in words. The web port is the one actually bound (a test binds port 0); a box
serving HTTPS is given as its https:// address and its broker's TLS port.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from socket import inet_ntoa
from urllib.parse import urlsplit

from gateway.announce import lan_addresses

_ANY = ("", "0.0.0.0", "::")


@dataclass(frozen=True)
class Reachable:
    host: str                    # what the QR code and the words put first
    web_port: int
    mqtt_port: int
    web_url: str
    names: list = field(default_factory=list)     # every other name or address that works

    @classmethod
    def of(cls, gw) -> "Reachable":
        cfg = gw.config
        port = gw.web_port or cfg.web.port
        announced = getattr(getattr(gw, "_zeroconf", None), "host", "")  # a clash renames it
        local_name = f"{announced or cfg.gateway.hostname}.local"
        lan = [inet_ntoa(a) for a in lan_addresses()]
        if cfg.web.public_url:
            url = cfg.web.public_url.rstrip("/")
            host = cfg.mqtt.public_host or urlsplit(url).hostname or local_name
        else:
            host = cfg.mqtt.public_host or (cfg.web.host if cfg.web.host not in _ANY
                                            else (lan[0] if lan else local_name))
            https = getattr(gw, "https_port", None)    # the HTTPS port bound, when serving
            url = (f"https://{_bracket(host)}{'' if https == 443 else f':{https}'}" if https
                   else f"http://{_bracket(host)}:{port}")
        names = [n for n in dict.fromkeys([host, local_name, *lan]) if n != host]
        if cfg.web.host not in _ANY and not cfg.web.public_url:
            names = []          # it listens on that one address: no other name reaches it
        # The broker port phones are told: its TLS listener when the box serves TLS.
        return cls(host, port, cfg.phone_mqtt_port, url, names)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
