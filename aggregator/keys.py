"""Ed25519 for the aggregator: its own receipt-signing key, and checking contributors' signatures
over the bytes the wire format defines."""
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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


@lru_cache(maxsize=200_000)
def _public_key(b64_key: str) -> Ed25519PublicKey:
    # Loading a key costs about as much as a verification; enrolled keys never change.
    return Ed25519PublicKey.from_public_bytes(wire.unb64(b64_key, wire.KEY_BYTES, "public_key"))


def verify(b64_key: str, message: dict, signed: bytes | None = None) -> bool:
    """Whether message["sig"] is the key's signature over the message's signing bytes
    (`signed`, when the caller has them already)."""
    try:
        sig = wire.unb64(message["sig"], wire.SIG_BYTES, "sig")
        _public_key(b64_key).verify(sig, signed or wire.signing_bytes(message))
        return True
    except (InvalidSignature, wire.WireError, ValueError):
        return False


def sign(key: Ed25519PrivateKey, message: dict) -> dict:
    """The message with its "sig" set."""
    return {**message, "sig": wire.b64(key.sign(wire.signing_bytes(message)))}
