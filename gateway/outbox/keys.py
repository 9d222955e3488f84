"""Each member's Ed25519 key pair for one aggregator, in <data_dir>/keys/ (0700), one PEM
file per key (0600) under a random name: nothing in a file name, a key or a pseudonym says
whose it is, and no key is ever used for two members or two aggregators.

Also the box's side of the signatures: signing a message over the wire format's bytes, and
checking the aggregator's receipts with the key it gave at enrolment.
"""
from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from carbon import summary_wire as wire

KEYS_DIR = "keys"


class KeyMissing(Exception):
    """A link's private key is not in the data dir (deleted, or a database restored alone)."""


def keys_dir(data_dir) -> Path:
    """The key folder, created 0700 and tightened if someone widened it."""
    path = Path(data_dir) / KEYS_DIR
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def new_key(data_dir) -> tuple[str, Ed25519PrivateKey]:
    """A fresh key pair written to a new 0600 file (durably: the file and the folder are
    synced, so a power cut cannot leave an enrolled key behind); (file name, key)."""
    folder = keys_dir(data_dir)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    name = secrets.token_hex(16) + ".pem"
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)              # whatever the umask said
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    _sync_dir(folder)
    return name, key


def load_key(data_dir, name: str) -> Ed25519PrivateKey:
    path = keys_dir(data_dir) / name
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyMissing(f"the key {name} is missing from {path.parent}: enrol again with a "
                         "new token") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing(f"{path} is not an Ed25519 key")
    return key


def delete_key(data_dir, name: str) -> None:
    try:
        (keys_dir(data_dir) / name).unlink()
    except FileNotFoundError:
        pass


def forget_unused(data_dir, in_use: set, older_than_s: float = 86400.0) -> list[str]:
    """Delete key files no link refers to any more (a member erased, an enrolment refused
    long ago). Young files are kept: an enrolment writes its key just before its link."""
    folder = keys_dir(data_dir)
    gone = []
    for path in folder.glob("*.pem"):
        if path.name not in in_use and time.time() - path.stat().st_mtime > older_than_s:
            path.unlink(missing_ok=True)
            gone.append(path.name)
    return gone


def public_b64(key: Ed25519PrivateKey) -> str:
    return wire.b64(key.public_key().public_bytes_raw())


def sign(key: Ed25519PrivateKey, message: dict) -> dict:
    """The message with its signature. Ed25519 is deterministic: the same message signed
    again is the same bytes, which is what makes the preview exactly what is sent."""
    return {**message, "sig": wire.b64(key.sign(wire.signing_bytes(message)))}


def receipt_problem(receipt, sent: dict, aggregator_key: str) -> str | None:
    """Why a receipt does not prove the aggregator took what we sent, or None if it does:
    well formed, for our message (digest), our pseudonym, by the aggregator we enrolled with,
    and signed by it."""
    try:
        wire.check_receipt(receipt)
    except (wire.WireError, TypeError, AttributeError) as exc:
        return f"malformed receipt: {exc}"
    expected = {"for": sent["type"], "digest": wire.digest(sent), "pseudonym": sent["pseudonym"],
                "aggregator": aggregator_key}
    if sent["type"] == "summary":
        expected.update(study=sent["study"], month=sent["month"], revision=sent["revision"])
    wrong = sorted(k for k, v in expected.items() if receipt.get(k) != v)
    if wrong:
        return f"the receipt does not match what was sent ({', '.join(wrong)})"
    try:
        Ed25519PublicKey.from_public_bytes(wire.unb64(aggregator_key, wire.KEY_BYTES, "key")).verify(
            wire.unb64(receipt["sig"], wire.SIG_BYTES, "sig"), wire.signing_bytes(receipt))
    except (InvalidSignature, wire.WireError, ValueError):
        return "the receipt's signature is not the aggregator's"
    return None


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
