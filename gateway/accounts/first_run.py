"""First-run setup: the first (admin) member, claimed only by whoever can read the box.

A fresh box is on a LAN where any device, or a DNS-rebinding page in a browser, can reach
`/setup` before its owner does. So setup needs a code that only someone with the box in
hand can read: it is written to ``<data_dir>/setup-code`` (mode 0600; the image copies it
to the boot partition), printed by ``selfdata serve`` at start, logged to the journal while
no member exists, and shown by ``selfdata setup-code`` and ``selfdata doctor``. It stays
the same across restarts until setup completes, then it is deleted.

The check "no member yet" and the creation of the member happen in one write transaction
(``BEGIN IMMEDIATE``): two setups racing, or a request whose body arrives after the owner
finished, cannot both see an empty household.
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path

from ..config import Config
from .members import AccountError, Member, check_name, has_members, hash_password

log = logging.getLogger(__name__)

CODE_FILE = "setup-code"
# No 0/O/Q, 1/I/L, 2/Z, 5/S, 6/G, 8/B: a code read off a console or a card is typed right.
ALPHABET = "ACDEFHJKMNPRTUVWXY34679"
GROUPS, GROUP_LEN = 3, 4   # 12 characters, ~54 bits: beyond guessing even unthrottled


class SetupClosed(AccountError):
    """The household already has a member: setup is over."""


class WrongSetupCode(AccountError):
    """The first-run code given is not this box's."""


def code_path(config: Config) -> Path:
    return config.data_dir / CODE_FILE


def normalize(code: str) -> str:
    """What the owner typed, as stored: case, spaces and dashes do not matter."""
    return "".join(c for c in code.upper() if c.isalnum())


def display(code: str) -> str:
    """ACDE-FHJK-MNPR: groups are easier to read out and type."""
    return "-".join(code[i:i + GROUP_LEN] for i in range(0, len(code), GROUP_LEN))


def read_setup_code(config: Config) -> str | None:
    try:
        code = normalize(code_path(config).read_text())
    except (FileNotFoundError, NotADirectoryError):
        return None
    return code if len(code) == GROUPS * GROUP_LEN else None


def ensure_setup_code(config: Config, conn) -> str | None:
    """This box's first-run code, made once while no member exists; None (and the file
    removed) once the household is set up."""
    if has_members(conn):
        discard_setup_code(config)
        return None
    return read_setup_code(config) or _write_new_code(config)


def _write_new_code(config: Config) -> str:
    code = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    path = code_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{CODE_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    # Created 0600 from the start (never readable by others, not even for an instant).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(display(code) + "\n")
    try:
        os.link(tmp, path)  # fails if another process wrote one first: theirs wins
    except FileExistsError:
        if read_setup_code(config) is None:  # what is there is no code: replace it
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return read_setup_code(config) or code


def discard_setup_code(config: Config) -> None:
    code_path(config).unlink(missing_ok=True)


def code_matches(config: Config, given: str) -> bool:
    expected = read_setup_code(config)
    return expected is not None and hmac.compare_digest(normalize(given), expected)


def create_first_member(store, config: Config, *, code: str, name: str, password: str,
                        display_name: str | None = None) -> Member:
    """The household's first member, an admin, if ``code`` is this box's and nobody got
    there first. Raises SetupClosed, WrongSetupCode or AccountError (a bad name or
    password). Takes the store, not a connection: the transaction is the point."""
    if has_members(store.conn):        # cheap early answer; the real check is below
        raise SetupClosed("this box is already set up: log in instead")
    if not code_matches(config, code):   # before Argon2: a wrong code costs nothing
        raise WrongSetupCode("that is not this box's first-run code")
    name = check_name("member", name)
    hashed = hash_password(password)   # Argon2 before the write lock, not while holding it
    with store.transaction() as conn:  # BEGIN IMMEDIATE: one writer from here to COMMIT
        if has_members(conn):
            raise SetupClosed("this box is already set up: log in instead")
        if not code_matches(config, code):
            raise WrongSetupCode("that is not this box's first-run code")
        cur = conn.execute(
            "INSERT INTO members (name, display_name, password_hash, is_admin, created_ts) "
            "VALUES (?, ?, ?, 1, unixepoch())", (name, display_name, hashed))
    discard_setup_code(config)  # after the commit: a crash between keeps setup closed anyway
    log.info("first-run setup done: %s is the household's first member", name)
    return Member(cur.lastrowid, name, display_name, True)
