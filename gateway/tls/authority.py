"""Make and renew the CA and the server certificate, as files in one directory.

    ca.key      the CA's private key        0600
    ca.crt      the CA certificate          0644  (what phones import)
    server.key  the server's private key    0600  (or key_mode, e.g. 0640 for mosquitto's group)
    server.crt  the server certificate      0644

Every file is written to a temporary name and renamed, so a power cut leaves either the
old or the new file, never half of one.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import ClockNotSet
from .names import PERMITTED_DNS, PERMITTED_NETWORKS, ServerNames

CA_DAYS = 3650          # phones import the CA once: it outlives the box's likely service life
SERVER_DAYS = 397       # Apple's ceiling for TLS server certificates (iOS 13+ refuses > 825)
RENEW_BEFORE = dt.timedelta(days=30)
CA_WARN_BEFORE = dt.timedelta(days=180)
BACKDATE = dt.timedelta(hours=1)  # a phone whose clock runs a little behind still accepts it
# A Pi has no battery-backed clock: before NTP it may believe it is years ago. Certificates
# made then would be wrong for years, so none is made before this date.
EARLIEST_PLAUSIBLE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"


@dataclass(frozen=True)
class Renewal:
    """What ``ensure`` did: ``ca`` / ``server`` say whether each was (re)made, and why."""
    ca: str | None
    server: str | None

    @property
    def changed(self) -> bool:
        return bool(self.ca or self.server)


def _now(now: dt.datetime | None) -> dt.datetime:
    now = now or dt.datetime.now(dt.timezone.utc)
    if now < EARLIEST_PLAUSIBLE:
        raise ClockNotSet(f"the clock says {now:%Y-%m-%d}: no certificate is made before the "
                          "time is set (NTP)")
    return now


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)  # whatever the umask
    os.replace(tmp, path)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey, mode: int) -> None:
    _write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()), mode)


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def load_key(path: Path):
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _ski(key) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def make_ca(hostname: str, now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "selfdata household box"),
                      x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"selfdata {hostname} CA {now:%Y-%m-%d}")])
    constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName(PERMITTED_DNS)]
        + [x509.IPAddress(net) for net in PERMITTED_NETWORKS],
        excluded_subtrees=None)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True, crl_sign=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(constraints, critical=True)
            .add_extension(_ski(key), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server(ca_key, ca_cert: x509.Certificate, names: ServerNames,
                now: dt.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    first = sorted(names.dns)[0]
    sans = [x509.DNSName(d) for d in sorted(names.dns)]
    sans += [x509.IPAddress(ip) for ip in sorted(names.ips, key=lambda i: (i.version, i))]
    not_after = min(now + dt.timedelta(days=SERVER_DAYS), ca_cert.not_valid_after_utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            # Apple requires serverAuth in the extended key usage, and names in the SAN.
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(_ski(key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def cert_names(cert: x509.Certificate) -> ServerNames:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ServerNames(frozenset(), frozenset())
    return ServerNames(frozenset(san.get_values_for_type(x509.DNSName)),
                       frozenset(san.get_values_for_type(x509.IPAddress)))


def signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _ca_reason(files: TlsFiles, now: dt.datetime) -> str | None:
    if not files.ca_cert.exists() or not files.ca_key.exists():
        return "no CA yet"
    cert = load_cert(files.ca_cert)
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return f"the CA expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    return None


def _server_reason(files: TlsFiles, names: ServerNames, now: dt.datetime) -> str | None:
    if not files.server_cert.exists() or not files.server_key.exists():
        return "no server certificate yet"
    cert = load_cert(files.server_cert)
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return f"it expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    if not signed_by(cert, load_cert(files.ca_cert)):
        return "it is not signed by the current CA"
    current = cert_names(cert)
    if current != names:
        gone = sorted(map(str, (current.dns - names.dns) | (current.ips - names.ips)))
        new = sorted(map(str, (names.dns - current.dns) | (names.ips - current.ips)))
        return "the names changed" + (f": new {', '.join(new)}" if new else "") + (
            f"; no longer {', '.join(gone)}" if gone else "")
    if load_key(files.server_key).public_key() != cert.public_key():
        return "its key does not match it"
    return None


def ensure(directory: str | os.PathLike, names: ServerNames, *, hostname: str | None = None,
           key_mode: int = 0o600, now: dt.datetime | None = None) -> Renewal:
    """Make whatever is missing, renew what expires within RENEW_BEFORE or no longer names
    the box; leave everything else alone (an unchanged box rewrites nothing)."""
    now = _now(now)
    files = TlsFiles(Path(directory))
    files.directory.mkdir(parents=True, exist_ok=True)
    ca_why = _ca_reason(files, now)
    if ca_why:
        label = hostname or sorted(names.dns)[0].removesuffix(".local")
        ca_key, ca_cert = make_ca(label, now)
        _write_key(files.ca_key, ca_key, 0o600)
        _write(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    server_why = "a new CA" if ca_why else _server_reason(files, names, now)
    if server_why:
        key, cert = make_server(load_key(files.ca_key), load_cert(files.ca_cert), names, now)
        _write_key(files.server_key, key, key_mode)
        _write(files.server_cert, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    elif (files.server_key.stat().st_mode & 0o777) != key_mode:
        os.chmod(files.server_key, key_mode)
    return Renewal(ca_why, server_why)
