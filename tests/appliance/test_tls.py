"""The box's own CA and server certificate (gateway/tls): made, renewed, checked, and
accepted by real TLS clients (Python's OpenSSL, as aiohttp will serve it; mosquitto, as
phones will reach it on 8883)."""
from __future__ import annotations

import datetime as dt
import plistlib
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway import tls
from gateway.tls import authority
from harness import free_port, require

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
LAN = ["192.168.1.20", "fd12:3456::20"]


@pytest.fixture
def names():
    return tls.server_names("selfdata", LAN)


@pytest.fixture
def tls_dir(tmp_path, names) -> Path:
    d = tmp_path / "tls"
    tls.ensure(d, names, now=NOW)
    return d


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_first_start_makes_a_ca_and_a_server_certificate(tls_dir):
    files = authority.TlsFiles(tls_dir)
    assert mode(files.ca_key) == 0o600 and mode(files.server_key) == 0o600
    assert mode(files.ca_cert) == 0o644 and mode(files.server_cert) == 0o644
    ca = authority.load_cert(files.ca_cert)
    server = authority.load_cert(files.server_cert)
    # ECDSA P-256 with SHA-256: what OwnTracks on Android and iOS, and mosquitto, accept.
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    assert ca.public_key().curve.name == "secp256r1"
    assert isinstance(server.signature_hash_algorithm, hashes.SHA256)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["selfdata.local"]
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1", "::1", "192.168.1.20", "fd12:3456::20"}
    # Apple: serverAuth present, at most 825 days (we keep to 397).
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert server.not_valid_after_utc - server.not_valid_before_utc <= dt.timedelta(days=398)
    assert ca.not_valid_after_utc - NOW > dt.timedelta(days=3000)


def test_public_addresses_and_link_local_ipv6_are_not_named():
    names = tls.server_names("Maison.local", ["8.8.8.8", "2001:db8::1", "fe80::1%wlan0",
                                              "10.0.0.7"])
    assert names.dns == {"maison.local"}
    assert {str(ip) for ip in names.ips} == {"127.0.0.1", "::1", "10.0.0.7"}
    with pytest.raises(ValueError):
        tls.server_names("not a name", [])


def test_unchanged_box_rewrites_nothing(tls_dir, names):
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tls_dir.iterdir()}
    renewal = tls.ensure(tls_dir, names, now=NOW + dt.timedelta(days=100))
    assert not renewal.changed
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tls_dir.iterdir()} == before


def test_renewed_before_expiry_with_the_same_ca(tls_dir, names):
    ca_before = (tls_dir / "ca.crt").read_bytes()
    old = authority.load_cert(tls_dir / "server.crt")
    later = old.not_valid_after_utc - dt.timedelta(days=10)
    renewal = tls.ensure(tls_dir, names, now=later)
    assert renewal.server and "expires" in renewal.server and renewal.ca is None
    new = authority.load_cert(tls_dir / "server.crt")
    assert new.not_valid_after_utc > later + dt.timedelta(days=300)
    assert (tls_dir / "ca.crt").read_bytes() == ca_before  # phones keep trusting the box
    assert authority.signed_by(new, authority.load_cert(tls_dir / "ca.crt"))


def test_renewed_when_the_address_or_hostname_changes(tls_dir):
    renewal = tls.ensure(tls_dir, tls.server_names("selfdata", ["192.168.1.31"]), now=NOW)
    assert "new 192.168.1.31" in renewal.server and "no longer 192.168.1.20" in renewal.server
    renewal = tls.ensure(tls_dir, tls.server_names("atelier", ["192.168.1.31"]), now=NOW)
    assert "atelier.local" in renewal.server
    assert tls.check(tls_dir, tls.server_names("atelier", ["192.168.1.31"]), now=NOW)[0].level == "ok"


def test_a_key_left_readable_is_tightened_or_reported(tls_dir, names):
    (tls_dir / "server.key").chmod(0o644)
    findings = tls.check(tls_dir, names, now=NOW)
    assert any(f.level == "error" and "readable by others" in f.message for f in findings)
    tls.ensure(tls_dir, names, now=NOW)
    assert mode(tls_dir / "server.key") == 0o600
    # mosquitto reads the key as group mosquitto: a group-readable key can be asked for.
    tls.ensure(tls_dir, names, now=NOW, key_mode=0o640)
    assert mode(tls_dir / "server.key") == 0o640
    assert tls.check(tls_dir, names, now=NOW)[0].level == "ok"


def test_doctor_says_what_is_wrong(tls_dir, names):
    assert [f.level for f in tls.check(tls_dir, names, now=NOW)] == ["ok"]
    moved = tls.server_names("selfdata", ["192.168.1.99"])
    [finding] = tls.check(tls_dir, moved, now=NOW)
    assert finding.level == "error" and "does not name 192.168.1.99" in finding.message
    expired = NOW + dt.timedelta(days=400)
    messages = " ".join(f.message for f in tls.check(tls_dir, names, now=expired))
    assert "expired" in messages and "restart the gateway" in messages
    soon = authority.load_cert(tls_dir / "ca.crt").not_valid_after_utc - dt.timedelta(days=60)
    assert any("CA expires" in f.message for f in tls.check(tls_dir, names, now=soon))
    (tls_dir / "server.crt").unlink()
    [missing] = tls.check(tls_dir, names, now=NOW)
    assert missing.level == "error" and "server.crt" in missing.message


def test_a_certificate_from_another_ca_is_replaced(tls_dir, names, tmp_path):
    other = tmp_path / "other"
    tls.ensure(other, names, now=NOW)
    (tls_dir / "server.crt").write_bytes((other / "server.crt").read_bytes())
    (tls_dir / "server.key").write_bytes((other / "server.key").read_bytes())
    assert any("not signed by the box's CA" in f.message for f in tls.check(tls_dir, names, now=NOW))
    renewal = tls.ensure(tls_dir, names, now=NOW)
    assert renewal.server == "it is not signed by the current CA"


def test_no_certificate_before_the_clock_is_set(tmp_path, names):
    with pytest.raises(authority.ClockNotSet):
        tls.ensure(tmp_path / "tls", names, now=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    assert not (tmp_path / "tls" / "ca.key").exists()


def test_what_phones_import(tls_dir):
    pem, der = tls.ca_pem(tls_dir), tls.ca_der(tls_dir)
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----")
    assert x509.load_der_x509_certificate(der) == x509.load_pem_x509_certificate(pem)
    fingerprint = tls.ca_fingerprint(tls_dir)
    assert len(fingerprint.split(":")) == 32
    profile = plistlib.loads(tls.apple_profile(tls_dir, "selfdata"))
    assert profile["PayloadType"] == "Configuration"
    [root] = profile["PayloadContent"]
    assert root["PayloadType"] == "com.apple.security.root" and root["PayloadContent"] == der
    assert fingerprint in profile["PayloadDescription"]
    # Same CA, same profile identity: installing it again replaces it.
    assert plistlib.loads(tls.apple_profile(tls_dir, "selfdata"))["PayloadUUID"] == profile["PayloadUUID"]


# ----- real TLS clients


def serve_once(tls_dir: Path, port: int) -> threading.Thread:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls_dir / "server.crt", tls_dir / "server.key")
    listener = socket.create_server(("127.0.0.1", port))

    def run():
        with listener:
            conn, _ = listener.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as s:
                    s.sendall(b"hello from the box\n")
            except ssl.SSLError:
                pass  # the client refused us: that is what some tests want

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def client_context(tls_dir: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls_dir / "ca.crt"))


def test_a_client_trusting_the_ca_accepts_the_box_by_name_and_address(tls_dir):
    for server_hostname in ("selfdata.local", "127.0.0.1"):
        port = free_port()
        thread = serve_once(tls_dir, port)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with client_context(tls_dir).wrap_socket(raw, server_hostname=server_hostname) as s:
                assert s.recv(100) == b"hello from the box\n"
                assert s.version() in ("TLSv1.2", "TLSv1.3")
        thread.join(10)


def test_a_client_refuses_a_name_the_certificate_does_not_carry(tls_dir):
    port = free_port()
    thread = serve_once(tls_dir, port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="match|mismatch"):
            client_context(tls_dir).wrap_socket(raw, server_hostname="other.local")
    thread.join(10)


def test_the_ca_cannot_vouch_for_a_site_outside_the_household(tls_dir, tmp_path):
    """Name constraints: a certificate for a public name, signed with the box's own CA key,
    is refused by a client that trusts the CA (a stolen SD card cannot impersonate a bank)."""
    ca_key = authority.load_key(tls_dir / "ca.key")
    ca = authority.load_cert(tls_dir / "ca.crt")
    key = ec.generate_private_key(ec.SECP256R1())
    forged = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bank.example")]))
              .issuer_name(ca.subject).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(NOW - dt.timedelta(days=1))
              .not_valid_after(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30))
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("bank.example")]), False)
              .sign(ca_key, hashes.SHA256()))
    forged_dir = tmp_path / "forged"
    forged_dir.mkdir()
    authority._write(forged_dir / "server.crt", forged.public_bytes(authority.serialization.Encoding.PEM), 0o644)
    authority._write_key(forged_dir / "server.key", key, 0o600)
    port = free_port()
    thread = serve_once(forged_dir, port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with pytest.raises(ssl.SSLCertVerificationError, match="permitted|constraint|subtree"):
            client_context(tls_dir).wrap_socket(raw, server_hostname="bank.example")
    thread.join(10)


def test_mosquitto_serves_the_certificate_to_an_mqtt_client(tls_dir, tmp_path):
    """The 8883 listener phase 2 wires in: Debian's mosquitto loads the key and certificate,
    and an MQTT client that trusts the box's CA connects and publishes over TLS."""
    require("mosquitto")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text("\n".join([
        "per_listener_settings false", "allow_anonymous true",
        f"user {__import__('getpass').getuser()}",
        f"listener {port} 127.0.0.1", f"certfile {tls_dir / 'server.crt'}",
        f"keyfile {tls_dir / 'server.key'}", "log_dest stderr", ""]))
    broker = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="tls-test")
        client.tls_set_context(client_context(tls_dir))
        connected = threading.Event()
        client.on_connect = lambda c, u, f, reason, p: connected.set() if not reason.is_failure else None
        # The name a phone uses (the connection goes to loopback), then paho by address.
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        tls_sock = client_context(tls_dir).wrap_socket(sock, server_hostname="selfdata.local")
        assert tls_sock.version() in ("TLSv1.2", "TLSv1.3")
        tls_sock.close()
        client.connect("127.0.0.1", port)
        client.loop_start()
        assert connected.wait(10), "no CONNACK over TLS"
        info = client.publish("owntracks/alice/phone", b"{}", qos=1)
        info.wait_for_publish(10)
        assert info.is_published()
        client.loop_stop()
        client.disconnect()
        assert broker.poll() is None
    finally:
        broker.terminate()
        broker.wait(10)
