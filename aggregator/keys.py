"""Ed25519 for the aggregator: its own receipt-signing key, and checking contributors' signatures
over the bytes the wire format defines.

Keys and receipts are made with `cryptography`, as on the box. Contributors' signatures are
checked with libsodium (PyNaCl, already a dependency of the project): the same Ed25519 of
RFC 8032, stricter (it also refuses small-order keys and points), and verification, the largest
single cost of a summary's intake, takes about half the time of OpenSSL's here (docs/aggregator.md,
"Measured")."""
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from carbon import summary_wire as wire

KEY_FILE = "aggregator.key"


def load_or_create_key(data_dir) -> Ed25519PrivateKey:
    """The aggregator's signing key: 32 raw bytes in the data dir, readable by its owner only."""
    path = Path(data_dir) / KEY_FILE
    if path.exists():
        return Ed25519PrivateKey.from_private_bytes(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(raw)
    return key


def public_bytes(key) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(Encoding.Raw, PublicFormat.Raw)


def raw_key(b64_key: str) -> bytes:
    """An enrolled public key's 32 bytes (enrolment checked its form)."""
    return wire.unb64(b64_key, wire.KEY_BYTES, "public_key")


def verify_raw(public_key: bytes, message: dict, signed: bytes | None = None) -> bool:
    """Whether message["sig"] is the signature of the key (32 raw bytes) over the message's
    signing bytes (`signed`, when the caller has them already)."""
    try:
        sig = wire.unb64(message["sig"], wire.SIG_BYTES, "sig")
    except wire.WireError:
        return False
    if len(public_key) != wire.KEY_BYTES:   # libsodium reads exactly 32 bytes: never fewer
        return False
    try:
        crypto_sign_open(sig + (signed or wire.signing_bytes(message)), public_key)
        return True
    except BadSignatureError:
        return False


def verify(b64_key: str, message: dict, signed: bytes | None = None) -> bool:
    """verify_raw with the key in its enrolled base64url form."""
    try:
        return verify_raw(raw_key(b64_key), message, signed)
    except wire.WireError:
        return False


def sign(key: Ed25519PrivateKey, message: dict) -> dict:
    """The message with its "sig" set."""
    return {**message, "sig": wire.b64(key.sign(wire.signing_bytes(message)))}


def signed_text(key: Ed25519PrivateKey, message: dict) -> str:
    """The message signed, as JSON text: what sign() gives, encoded once (a receipt per summary)."""
    return wire.signed_json(message, key.sign)
