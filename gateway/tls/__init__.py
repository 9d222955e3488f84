"""The box's own small certificate authority, and the certificate its HTTPS (443) and
MQTT-over-TLS (8883) listeners present.

A household box has no public name, so no public CA can vouch for it: on first start it
makes its own CA (ECDSA P-256, which every OwnTracks phone, OpenSSL and mosquitto accept),
and signs a server certificate for ``<hostname>.local`` and its LAN addresses. A phone
trusts the box once the member imports the CA certificate (``trust``). The CA is limited
by name constraints to ``.local`` names and private addresses, so even a stolen CA key
cannot impersonate any other site to the household's phones.

Library only: ``ensure`` keeps the files current (renewed before expiry and when the names
or addresses change), ``check`` is for ``selfdata doctor``, ``trust`` gives the phones
what they need; ``BoxTls`` (box.py) is what the running service keeps: the names of the
box now, the HTTPS listener's context.
"""
from __future__ import annotations

from ..lazy import on_first_use

# Each name and the module that has it: loaded on first use (PEP 562), so that a box with
# TLS off never loads `cryptography` (its Rust bindings are several MB of an idle box).
_WHERE = {"ClockNotSet": ".errors", "Renewal": ".authority", "TlsFiles": ".authority",
          "ensure": ".authority", "BoxTls": ".box", "box_names": ".box",
          "lan_addresses": ".box", "unsignable_names": ".box", "Finding": ".check",
          "check": ".check", "ServerNames": ".names", "server_names": ".names",
          "apple_profile": ".trust", "ca_der": ".trust", "ca_fingerprint": ".trust",
          "ca_pem": ".trust"}
__all__ = list(_WHERE)
__getattr__ = on_first_use(__name__, _WHERE)
