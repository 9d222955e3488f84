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
what they need. The service and mosquitto are wired to it separately.
"""
from .authority import Renewal, TlsFiles, ensure
from .check import Finding, check
from .names import ServerNames, server_names
from .trust import apple_profile, ca_der, ca_fingerprint, ca_pem

__all__ = ["Renewal", "TlsFiles", "ensure", "Finding", "check", "ServerNames", "server_names",
           "apple_profile", "ca_der", "ca_fingerprint", "ca_pem"]
