"""What a phone needs to trust the box: its CA certificate, in the forms phones take.

- Android (OwnTracks: Preferences > Connection > Security > CA certificate, or Settings >
  Security > Install a certificate > CA certificate): the ``.crt`` file, PEM or DER.
- iOS (OwnTracks uses the system's trust store): a configuration profile (``.mobileconfig``)
  holding the CA; after installing it, the member turns on full trust under Settings >
  General > About > Certificate Trust Settings.
- Anyone: the SHA-256 fingerprint, to compare with what the phone shows before trusting it.
"""
from __future__ import annotations

import plistlib
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization

from .authority import TlsFiles, load_cert

PROFILE_NAMESPACE = uuid.UUID("c3b5e0a4-8d2f-4c61-9f0e-5e1fda7a0010")


def ca_pem(directory: str | Path) -> bytes:
    return load_cert(TlsFiles(Path(directory)).ca_cert).public_bytes(serialization.Encoding.PEM)


def ca_der(directory: str | Path) -> bytes:
    return load_cert(TlsFiles(Path(directory)).ca_cert).public_bytes(serialization.Encoding.DER)


def ca_fingerprint(directory: str | Path) -> str:
    """SHA-256 of the CA certificate, as phones and browsers show it (AB:CD:...)."""
    digest = load_cert(TlsFiles(Path(directory)).ca_cert).fingerprint(hashes.SHA256())
    return ":".join(f"{b:02X}" for b in digest)


def apple_profile(directory: str | Path, hostname: str) -> bytes:
    """An unsigned iOS configuration profile installing the box's CA as a trusted root.
    Its identifiers derive from the CA, so the same CA gives the same profile (installing
    it again replaces it rather than adding a second one)."""
    der = ca_der(directory)
    fingerprint = ca_fingerprint(directory)
    ident = f"local.selfdata.{hostname}.ca"
    payload = {
        "PayloadType": "com.apple.security.root",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{ident}.cert",
        "PayloadUUID": str(uuid.uuid5(PROFILE_NAMESPACE, f"cert:{fingerprint}")).upper(),
        "PayloadDisplayName": f"selfdata {hostname} CA",
        "PayloadDescription": f"Lets this device trust https://{hostname}.local and its MQTT broker.",
        "PayloadCertificateFileName": f"selfdata-{hostname}-ca.cer",
        "PayloadContent": der,
    }
    profile = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": ident,
        "PayloadUUID": str(uuid.uuid5(PROFILE_NAMESPACE, f"profile:{fingerprint}")).upper(),
        "PayloadDisplayName": f"selfdata box {hostname}.local",
        "PayloadDescription": ("The certificate authority of your household's selfdata box. "
                               f"SHA-256 {fingerprint}"),
        "PayloadOrganization": "selfdata household box",
        "PayloadRemovalDisallowed": False,
        "PayloadContent": [payload],
    }
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)
