"""A member's devices: phones and dongles, with the credentials they log in with.

Device secrets are random 128-bit tokens made by the gateway, so a fast salted PBKDF2 is
enough for them; it is stored in mosquitto's own ``$7$`` format so the same hash feeds the
broker's password file and the HTTP Basic check, and the plain secret is shown once, when
the device is added.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

from .changes import ChangeWatch
from .members import AccountError, check_name, get_member

MOSQUITTO_ITERATIONS = 101  # mosquitto 2.0's own default for `$7$` hashes


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    member_id: int
    member: str
    name: str
    tid: str
    encryption_key: str | None

    @property
    def username(self) -> str:
        """The login phones use for MQTT and HTTP: member/device."""
        return f"{self.member}/{self.name}"

    @property
    def topic(self) -> str:
        return f"owntracks/{self.member}/{self.name}"


def mosquitto_hash(secret: str, salt: bytes | None = None,
                   iterations: int = MOSQUITTO_ITERATIONS) -> str:
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_secret(stored: str, secret: str) -> bool:
    try:
        _, kind, iterations, salt, digest = stored.split("$")
        if kind != "7":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.pbkdf2_hmac("sha512", secret.encode(), base64.b64decode(salt),
                                  int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, got)


def new_secret() -> str:
    return secrets.token_urlsafe(18)


_DEVICE_SQL = ("SELECT d.*, m.name AS member FROM devices d "
               "JOIN members m ON m.id = d.member_id ")


def _device(row) -> Device:
    return Device(row["id"], row["member_id"], row["member"], row["name"], row["tid"],
                  row["encryption_key"])


def _unique_tid(conn, member: str, device: str) -> str:
    """Phones in HTTP mode key friends by tid, so tids must be unique in the household."""
    taken = {r[0] for r in conn.execute("SELECT tid FROM devices")}
    for candidate in (device[-2:].upper(), (member[:1] + device[:1]).upper(),
                      member[:2].upper()):
        if len(candidate) == 2 and candidate not in taken:
            return candidate
    for n in range(100):
        candidate = f"{member[:1].upper()}{n}" if n < 10 else f"{n:02d}"
        if candidate not in taken:
            return candidate
    return secrets.token_hex(2).upper()


DEVICE_KINDS = ("phone", "dongle", "import")
# What a device holding imported history only has for a secret: not a `$7$` hash, so no
# secret ever verifies against it, and the broker's password file leaves it out.
NO_SECRET = "!imported history only: no login"


def add_device(conn, member: str, name: str, *, encryption_key: str | None = None,
               secret: str | None = None, kind: str = "phone") -> tuple[Device, str]:
    """Create a device; return it with its secret (shown once, never stored in clear).
    ``kind``: a phone reports live, a dongle feeds gpsd (an import device only holds
    imported history: ``add_history_device``)."""
    if kind not in DEVICE_KINDS:
        raise AccountError("a device is one of %(kinds)s, not %(kind)r",
                           kinds=", ".join(DEVICE_KINDS), kind=kind)
    secret = secret or new_secret()
    return _insert(conn, member, name, mosquitto_hash(secret), encryption_key, kind), secret


def add_history_device(conn, member: str, name: str) -> Device:
    """A device for imported history (an archive's phone, `import`): it cannot log in and
    is never offered to phones as a friend. A phone is paired as a device of its own."""
    return _insert(conn, member, name, NO_SECRET, None, "import")


def _insert(conn, member: str, name: str, secret_hash: str, encryption_key,
            kind: str) -> Device:
    m = get_member(conn, member)
    name = check_name("device", name)
    tid = _unique_tid(conn, m.name, name)
    try:
        cur = conn.execute(
            "INSERT INTO devices (member_id, name, tid, secret_hash, encryption_key, "
            "created_ts, kind) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (m.id, name, tid, secret_hash, encryption_key or None, int(time.time()), kind))
    except sqlite3.IntegrityError:
        raise AccountError("%(member)s already has a device named %(name)r",
                           member=m.name, name=name) from None
    return Device(cur.lastrowid, m.id, m.name, name, tid, encryption_key or None)


def get_device(conn, member: str, name: str) -> Device:
    row = conn.execute(_DEVICE_SQL + "WHERE m.name = ? AND d.name = ?",
                       (member.strip().lower(), name.strip().lower())).fetchone()
    if row is None:
        raise AccountError("no device %(member)s/%(name)s (see `selfdata device list`)",
                           member=member, name=name)
    return _device(row)


def device_by_id(conn, device_id: int) -> Device | None:
    row = conn.execute(_DEVICE_SQL + "WHERE d.id = ?", (device_id,)).fetchone()
    return _device(row) if row else None


def list_devices(conn, member: str | None = None) -> list[Device]:
    if member:
        m = get_member(conn, member)
        rows = conn.execute(_DEVICE_SQL + "WHERE d.member_id = ? ORDER BY d.name", (m.id,))
    else:
        rows = conn.execute(_DEVICE_SQL + "ORDER BY m.name, d.name")
    return [_device(r) for r in rows]


def classify_import_devices(conn) -> int:
    """Devices made before devices had a kind that were never seen live and hold only
    imported fixes are imported history (kind 'import'); returns how many changed."""
    return conn.execute(
        "UPDATE devices SET kind = 'import' WHERE kind = 'phone' AND last_seen_ts IS NULL "
        "AND EXISTS (SELECT 1 FROM fixes f WHERE f.member_id = devices.member_id "
        "AND f.device_id = devices.id) "
        "AND NOT EXISTS (SELECT 1 FROM fixes f WHERE f.member_id = devices.member_id "
        "AND f.device_id = devices.id "
        "AND f.source NOT LIKE 'import:%')").rowcount


def device_ids(conn) -> set[int]:
    return {row[0] for row in conn.execute("SELECT id FROM devices")}


def mark_seen(conn, seen: dict[int, float]) -> None:
    """Devices that just sent something (device id -> when), for `doctor` and the pages."""
    conn.executemany("UPDATE devices SET last_seen_ts = ? WHERE id = ?",
                     [(t, d) for d, t in seen.items()])


def set_card(conn, device_id: int, name: str | None, face: str | None) -> None:
    """The card the phone last sent (its name and face), shown to the members who see it."""
    conn.execute("UPDATE devices SET card_name = ?, card_face = ? WHERE id = ?",
                 (name, face, device_id))


def without_own_card(conn) -> list[Device]:
    """Devices whose phone never sent a card: the gateway publishes one for them. Not for
    devices that only hold imported history: phones would show a friend that never moves."""
    rows = conn.execute(_DEVICE_SQL + "WHERE (d.card_name IS NULL OR d.card_name = '') "
                        "AND d.kind != 'import' ORDER BY m.name, d.name")
    return [_device(r) for r in rows]


def remove_device(conn, member: str, name: str) -> Device:
    device = get_device(conn, member, name)
    conn.execute("DELETE FROM devices WHERE id = ?", (device.id,))
    return device


def device_secret_hashes(conn) -> list[tuple[str, str]]:
    """(username, hash) for every device that can log in: the broker's password file."""
    rows = conn.execute("SELECT m.name AS member, d.name AS name, d.secret_hash FROM devices d "
                        "JOIN members m ON m.id = d.member_id WHERE d.secret_hash != ? "
                        "ORDER BY m.name, d.name", (NO_SECRET,))
    return [(f"{r['member']}/{r['name']}", r["secret_hash"]) for r in rows]


class DeviceAuth:
    """Checks device credentials on the HTTP hot path.

    PBKDF2 on every request would cap `/pub` at a few hundred requests a second on a Pi,
    so a successful check is remembered (keyed by a keyed digest of the secret, never the
    secret itself) until the household changes, in this process or another
    (``ChangeWatch``).
    """

    def __init__(self, conn_factory):
        self._conn = conn_factory
        self._ok: dict[tuple[str, bytes], int] = {}
        self._key = secrets.token_bytes(16)
        self._watch = ChangeWatch()

    def invalidate(self) -> None:
        self._ok.clear()

    def check(self, username: str, secret: str) -> Device | None:
        conn = self._conn()
        if self._watch.changed(conn):
            self._ok.clear()
        tag = hmac.new(self._key, secret.encode(), "sha256").digest()
        cached = self._ok.get((username, tag))
        if cached is not None:
            device = device_by_id(conn, cached)
            if device is not None:
                return device
        member, _, name = username.strip().lower().partition("/")
        row = conn.execute(_DEVICE_SQL + "WHERE m.name = ? AND d.name = ?",
                           (member, name)).fetchone()
        if row is None or not verify_secret(row["secret_hash"], secret):
            return None
        self._ok[(username, tag)] = row["id"]
        return _device(row)
