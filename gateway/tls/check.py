"""`selfdata doctor`'s TLS checks, in plain words with what to do."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from . import authority
from .authority import TlsFiles, cert_names, load_cert, load_key, signed_by
from .names import ServerNames


@dataclass(frozen=True)
class Finding:
    level: str    # "ok", "warning" or "error"
    message: str


def check(directory: str | os.PathLike, names: ServerNames, *,
          now: dt.datetime | None = None) -> list[Finding]:
    now = now or dt.datetime.now(dt.timezone.utc)
    files = TlsFiles(Path(directory))
    out: list[Finding] = []
    if now < authority.EARLIEST_PLAUSIBLE:
        return [Finding("error", f"the clock says {now:%Y-%m-%d}: certificates cannot be checked "
                                 "until the time is set (is the box online? NTP)")]
    missing = [p.name for p in (files.ca_cert, files.ca_key, files.server_cert, files.server_key)
               if not p.exists()]
    if missing:
        return [Finding("error", f"TLS files missing in {files.directory}: {', '.join(missing)} "
                                 "(the gateway makes them when it starts)")]
    for path in (files.ca_key, files.server_key):
        mode = path.stat().st_mode & 0o777
        if mode & 0o007 or (path == files.ca_key and mode & 0o077):
            out.append(Finding("error", f"{path} is readable by others (mode {mode:o}): "
                                        f"chmod 600 {path}"))
    ca = load_cert(files.ca_cert)
    server = load_cert(files.server_cert)
    left = ca.not_valid_after_utc - now
    if left <= dt.timedelta(0):
        out.append(Finding("error", f"the box's CA expired on {ca.not_valid_after_utc:%Y-%m-%d}: "
                                    "a new one is made at the next start, and every phone must "
                                    "import it again"))
    elif left < authority.CA_WARN_BEFORE:
        out.append(Finding("warning", f"the box's CA expires on {ca.not_valid_after_utc:%Y-%m-%d} "
                                      f"({left.days} days): phones will need the new one"))
    if not signed_by(server, ca):
        out.append(Finding("error", "the server certificate is not signed by the box's CA: "
                                    "phones will refuse it (restart the gateway to renew it)"))
    if load_key(files.server_key).public_key() != server.public_key():
        out.append(Finding("error", "server.key does not belong to server.crt (restart the "
                                    "gateway to renew it)"))
    left = server.not_valid_after_utc - now
    if left <= dt.timedelta(0):
        out.append(Finding("error", f"the server certificate expired on "
                                    f"{server.not_valid_after_utc:%Y-%m-%d}: phones refuse to "
                                    "connect (restart the gateway to renew it)"))
    elif left < authority.RENEW_BEFORE:
        out.append(Finding("warning", f"the server certificate expires on "
                                      f"{server.not_valid_after_utc:%Y-%m-%d} and was not renewed"))
    current = cert_names(server)
    lacking = sorted(map(str, (names.dns - current.dns) | (names.ips - current.ips)))
    if lacking:
        out.append(Finding("error", f"the server certificate does not name {', '.join(lacking)}: "
                                    "phones using that name or address will refuse it (restart "
                                    "the gateway to renew it)"))
    if not out:
        out.append(Finding("ok", f"TLS certificate valid until {server.not_valid_after_utc:%Y-%m-%d} "
                                 f"for {current.describe()}; CA until {ca.not_valid_after_utc:%Y-%m-%d}"))
    return out
