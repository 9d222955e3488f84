#!/usr/bin/python3
"""First boot of the selfdata image (and every boot after it: each step is idempotent).

1. SSH host keys, when the image has none (it ships without, so no two boxes share them).
2. The root partition and filesystem grown to the whole SD card, once.
3. ``selfdata-setup.toml`` on the boot partition, when a maker wrote one from their PC:
   hostname, Wi-Fi (SSID, password, country), an SSH public key, the time zone. Applied,
   then rewritten without its secrets (the FAT partition is readable by anyone holding the
   card), and the completion recorded.
4. Without a Wi-Fi network to join: a NetworkManager access point profile that
   selfdata-hotspot.service brings up until the household is set up.

The machine id is systemd's business: the image ships /etc/machine-id "uninitialized",
so systemd makes one on the first boot and commits it.

Runs with the system's python3 (stdlib only) as root. ``--root`` points it at a directory
tree instead of ``/``, which is how tests/appliance/ exercise it; steps that act on the
running system (partition growth, the live hostname, the Wi-Fi regulatory domain) only
run when the root is ``/``.

Exit status: 0, or 2 when the setup file could not be used (everything else was still
done, and the reason is printed and written to selfdata-setup-error.txt beside the file).
"""
from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

SETUP_NAME = "selfdata-setup.toml"
ERROR_NAME = "selfdata-setup-error.txt"
STATE_DIR = "var/lib/selfdata-firstboot"
NM_DIR = "etc/NetworkManager/system-connections"
WIFI_PROFILE = "selfdata-wifi"
AP_PROFILE = "selfdata-setup-ap"
GATEWAY_TOML = "etc/selfdata/gateway.toml"
# uuid5 namespace for the NetworkManager profiles: the same profile gets the same uuid on
# every run, so rewriting it is a no-op for NetworkManager.
NM_NAMESPACE = uuid.UUID("7d0c1a52-3f2e-4f63-9d55-5e1fda7a0001")

SSH_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                 "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
                 "sk-ecdsa-sha2-nistp256@openssh.com")
KNOWN_KEYS = {"hostname", "timezone", "ssh_authorized_key", "wifi"}
WIFI_KEYS = {"ssid", "password", "country", "hidden"}


def say(message: str) -> None:
    print(f"selfdata-firstboot: {message}", flush=True)


class SetupError(Exception):
    """The setup file cannot be used; the message says what, where and why."""


@dataclass
class Setup:
    hostname: str | None = None
    timezone: str | None = None
    ssh_keys: list[str] = field(default_factory=list)
    ssid: str | None = None
    password: str | None = None  # None: keep what the box stored (or an open network)
    country: str | None = None
    hidden: bool = False


# ----- reading and checking the file

def parse_setup(text: str, *, where: str, zoneinfo: Path) -> Setup:
    """Every problem at once, so a maker fixes the file in one go."""
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))  # Notepad may add a byte-order mark
    except tomllib.TOMLDecodeError as exc:
        raise SetupError(f"{where}: not valid TOML ({exc}); nothing in it was applied") from None
    problems: list[str] = []
    setup = Setup()
    for key in sorted(set(data) - KNOWN_KEYS):
        problems.append(f"unknown setting '{key}' (known: {', '.join(sorted(KNOWN_KEYS))})")

    def text_value(table: dict, key: str, label: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            problems.append(f"{label}: expected text in quotes, got {value!r}")
            return None
        return value.strip()

    hostname = text_value(data, "hostname", "hostname")
    if hostname:
        hostname = hostname.lower()
        if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", hostname):
            problems.append(f"hostname {hostname!r}: use 1-63 letters, digits and '-', "
                            "not starting or ending with '-' (the box is then <hostname>.local)")
        else:
            setup.hostname = hostname

    tz = text_value(data, "timezone", "timezone")
    if tz:
        if ".." in tz or tz.startswith("/") or not (zoneinfo / tz).is_file():
            problems.append(f"timezone {tz!r}: not a known time zone (e.g. \"Europe/Paris\")")
        else:
            setup.timezone = tz

    keys = data.get("ssh_authorized_key")
    if keys is not None:
        for key in keys if isinstance(keys, list) else [keys]:
            reason = ssh_key_problem(key)
            if reason:
                problems.append(f"ssh_authorized_key: {reason}")
            else:
                setup.ssh_keys.append(" ".join(key.split()))

    wifi = data.get("wifi")
    if wifi is not None and not isinstance(wifi, dict):
        problems.append("wifi: expected a [wifi] section")
    elif wifi:
        for key in sorted(set(wifi) - WIFI_KEYS):
            problems.append(f"[wifi] unknown setting '{key}' (known: {', '.join(sorted(WIFI_KEYS))})")
        ssid = wifi.get("ssid")
        if not isinstance(ssid, str) or not 1 <= len(ssid.encode()) <= 32:
            problems.append("[wifi] ssid: the network name, 1 to 32 bytes, in quotes")
        else:
            setup.ssid = ssid
        password = wifi.get("password")
        if password is not None and password != "":
            if not isinstance(password, str):
                problems.append("[wifi] password: expected text in quotes")
            elif not (8 <= len(password) <= 63 and password.isascii() and password.isprintable()
                      or re.fullmatch(r"[0-9a-fA-F]{64}", password)):
                problems.append("[wifi] password: a WPA2 password has 8 to 63 printable "
                                "ASCII characters (or is 64 hexadecimal digits)")
            else:
                setup.password = password
        country = wifi.get("country")
        if country is not None:
            if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{2}", country):
                problems.append("[wifi] country: the two-letter country code, e.g. \"FR\"")
            else:
                setup.country = country.upper()
        hidden = wifi.get("hidden", False)
        if not isinstance(hidden, bool):
            problems.append("[wifi] hidden: true or false, without quotes")
        else:
            setup.hidden = hidden
    if problems:
        raise SetupError(f"{where}: nothing in it was applied:\n  - " + "\n  - ".join(problems))
    return setup


def ssh_key_problem(key) -> str | None:
    if not isinstance(key, str):
        return f"expected the public key line in quotes, got {key!r}"
    parts = key.split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        return ("expected one line of a .pub file, like \"ssh-ed25519 AAAA... me@laptop\" "
                "(never the private key)")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError:
        return f"the {parts[0]} key is not valid base64"
    # The blob starts with its own type name, length-prefixed: a pasted key cut short or
    # with the wrong type in front fails here.
    if blob[4:4 + int.from_bytes(blob[:4], "big")] != parts[0].encode():
        return f"the {parts[0]} key is damaged (its content does not match its type)"
    return None


# ----- applying it

def write_file(path: Path, text: str, mode: int = 0o644) -> bool:
    """Atomic write; False when the file already said exactly this (nothing rewritten)."""
    if path.exists() and path.read_text() == text and (path.stat().st_mode & 0o777) == mode:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)  # the umask must not loosen or tighten it
    os.replace(tmp, path)
    return True


def apply_hostname(root: Path, name: str, live: bool) -> list[str]:
    changed = []
    if write_file(root / "etc/hostname", name + "\n"):
        changed.append("/etc/hostname")
    hosts = root / "etc/hosts"
    lines = hosts.read_text().splitlines() if hosts.exists() else ["127.0.0.1\tlocalhost"]
    lines = [ln for ln in lines if not ln.startswith("127.0.1.1")]
    lines.insert(1, f"127.0.1.1\t{name}")
    if write_file(hosts, "\n".join(lines) + "\n"):
        changed.append("/etc/hosts")
    if set_gateway_setting(root, "hostname", name):
        changed.append(f"/{GATEWAY_TOML}")
    if live and socket.gethostname() != name:
        socket.sethostname(name)  # avahi and NetworkManager start after this unit
    return changed


def apply_timezone(root: Path, tz: str) -> list[str]:
    changed = []
    localtime = root / "etc/localtime"
    target = f"../usr/share/zoneinfo/{tz}"
    if not (localtime.is_symlink() and os.readlink(localtime) == target):
        localtime.unlink(missing_ok=True)
        localtime.symlink_to(target)
        changed.append("/etc/localtime")
    if write_file(root / "etc/timezone", tz + "\n"):
        changed.append("/etc/timezone")
    # The household's days and weeks are in the gateway's own time zone setting.
    if set_gateway_setting(root, "timezone", tz):
        changed.append(f"/{GATEWAY_TOML}")
    return changed


def set_gateway_setting(root: Path, key: str, value: str) -> bool:
    """Set ``key`` in the [gateway] section of the image's gateway.toml, keeping the rest of
    the file (and its comments) as it is."""
    path = root / GATEWAY_TOML
    if not path.exists():
        return False
    lines = path.read_text().splitlines()
    line = f"{key} = {json.dumps(value)}"  # a JSON string is a valid TOML basic string
    section, start, done = None, None, False
    for i, text in enumerate(lines):
        stripped = text.strip()
        if stripped.startswith("["):
            if section == "gateway" and not done:
                lines.insert(i, line)
                done = True
                break
            section = stripped.strip("[] ")
            if section == "gateway":
                start = i
        elif section == "gateway" and re.match(rf"{key}\s*=", stripped):
            lines[i] = line
            done = True
            break
    if not done:
        if start is None:
            lines += ["", "[gateway]"]
        lines.append(line)
    return write_file(path, "\n".join(lines) + "\n", path.stat().st_mode & 0o777)


def apply_ssh_keys(root: Path, keys: list[str]) -> list[str]:
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(ssh_dir, 0o700)
    path = ssh_dir / "authorized_keys"
    present = path.read_text().splitlines() if path.exists() else []
    known = {" ".join(k.split()[:2]) for k in present}
    added = [k for k in keys if " ".join(k.split()[:2]) not in known]
    if write_file(path, "".join(line + "\n" for line in present + added), 0o600):
        return ["/root/.ssh/authorized_keys"]
    return []


def keyfile_escape(value: str) -> str:
    """GKeyFile string escaping, as NetworkManager's keyfile reader expects it."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    if out.startswith(" "):
        out = "\\s" + out[1:]
    return out


def keyfile_ssid(ssid: str) -> str:
    """Plain text when it is safe; otherwise NetworkManager's byte-list form "83;101;...;",
    which also covers ';' (a list separator in keyfiles) and names that are not text."""
    if ssid.isprintable() and ";" not in ssid and not ssid.endswith(" "):
        return keyfile_escape(ssid)
    return "".join(f"{b};" for b in ssid.encode())


def wifi_profile(setup: Setup, psk: str | None) -> str:
    lines = ["[connection]", f"id={WIFI_PROFILE}",
             f"uuid={uuid.uuid5(NM_NAMESPACE, WIFI_PROFILE)}", "type=wifi",
             "autoconnect=true", "",
             "[wifi]", "mode=infrastructure", f"ssid={keyfile_ssid(setup.ssid)}"]
    if setup.hidden:
        lines.append("hidden=true")
    lines.append("")
    if psk:
        lines += ["[wifi-security]", "key-mgmt=wpa-psk", f"psk={keyfile_escape(psk)}", ""]
    lines += ["[ipv4]", "method=auto", "", "[ipv6]", "method=auto",
              "addr-gen-mode=stable-privacy", ""]
    return "\n".join(lines)


def stored_psk(path: Path, ssid: str) -> str | None:
    """The password NetworkManager already has for this network (from an earlier boot)."""
    if not path.exists():
        return None
    section, found_ssid, psk = None, None, None
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            key, _, value = line.partition("=")
            if section == "wifi" and key == "ssid":
                found_ssid = value
            elif section == "wifi-security" and key == "psk":
                psk = value
    if found_ssid != keyfile_ssid(ssid) or psk is None:
        return None
    return keyfile_unescape(psk)


def keyfile_unescape(value: str) -> str:
    out, i = [], 0
    codes = {"\\": "\\", "n": "\n", "t": "\t", "r": "\r", "s": " "}
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in codes:
            out.append(codes[value[i + 1]])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def apply_wifi(root: Path, setup: Setup, live: bool) -> list[str]:
    changed = []
    path = root / NM_DIR / f"{WIFI_PROFILE}.nmconnection"
    psk = setup.password if setup.password is not None else stored_psk(path, setup.ssid)
    # NetworkManager ignores keyfiles that others can read: 0600, owned by root.
    if write_file(path, wifi_profile(setup, psk), 0o600):
        changed.append(f"/{NM_DIR}/{WIFI_PROFILE}.nmconnection")
    ap = root / NM_DIR / f"{AP_PROFILE}.nmconnection"
    if ap.exists():  # a network to join: no setup access point any more
        ap.unlink()
        changed.append(f"/{NM_DIR}/{AP_PROFILE}.nmconnection (removed)")
    if setup.country:
        changed += apply_country(root, setup.country, live)
    return changed


def apply_country(root: Path, country: str, live: bool) -> list[str]:
    """The Wi-Fi regulatory domain: which channels and powers are legal here. cfg80211
    reads it when it loads (every boot); on this first boot it is also set at once."""
    path = root / "etc/modprobe.d/selfdata-wifi-country.conf"
    changed = []
    if write_file(path, "# Written by selfdata-firstboot from selfdata-setup.toml [wifi] country\n"
                        f"options cfg80211 ieee80211_regdom={country}\n"):
        changed.append("/etc/modprobe.d/selfdata-wifi-country.conf")
    if live and changed:
        subprocess.run(["iw", "reg", "set", country], check=False)
    return changed


def setup_access_point(root: Path) -> list[str]:
    """Without a Wi-Fi network to join, a profile for an access point that serves the
    first-run page; selfdata-hotspot.service decides when it is up. NetworkManager's
    'shared' mode gives the phone an address (dnsmasq) and the box is 10.42.0.1."""
    if (root / NM_DIR / f"{WIFI_PROFILE}.nmconnection").exists():
        return []
    machine_id = (root / "etc/machine-id").read_text().strip() if (root / "etc/machine-id").exists() else ""
    suffix = machine_id[:4] if re.fullmatch(r"[0-9a-f]{32}", machine_id) else "0000"
    text = "\n".join([
        "[connection]", f"id={AP_PROFILE}", f"uuid={uuid.uuid5(NM_NAMESPACE, AP_PROFILE)}",
        "type=wifi", "autoconnect=false", "",
        "[wifi]", "mode=ap", f"ssid=selfdata-setup-{suffix}", "band=bg", "",
        "[ipv4]", "method=shared", "", "[ipv6]", "method=ignore", ""])
    if write_file(root / NM_DIR / f"{AP_PROFILE}.nmconnection", text, 0o600):
        return [f"/{NM_DIR}/{AP_PROFILE}.nmconnection"]
    return []


# ----- erasing the secrets from the card

def redacted(setup: Setup, when: str) -> str:
    """The setup file as it is left on the card: every setting, no secret."""
    out = ["# selfdata-setup.toml: read by the box at every boot.",
           f"# Applied on {when}. The Wi-Fi password was stored on the box and erased from",
           "# this card. To change a setting, edit it here (add password = \"...\" under",
           "# [wifi] for a new network) and restart the box.", ""]
    if setup.hostname:
        out.append(f"hostname = {json.dumps(setup.hostname)}")
    if setup.timezone:
        out.append(f"timezone = {json.dumps(setup.timezone)}")
    if setup.ssh_keys:
        out.append("ssh_authorized_key = [" + ", ".join(json.dumps(k) for k in setup.ssh_keys) + "]")
    if setup.ssid is not None:
        out += ["", "[wifi]", f"ssid = {json.dumps(setup.ssid)}"]
        if setup.country:
            out.append(f"country = {json.dumps(setup.country)}")
        if setup.hidden:
            out.append("hidden = true")
    return "\n".join(out) + "\n"


def erase_and_rewrite(path: Path, text: str) -> None:
    """Overwrite the old bytes in place first (FAT writes a file's clusters in place), so
    the password does not stay readable in freed clusters; then write the new content."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.write(b"#" * size)
        f.flush()
        os.fsync(f.fileno())
        f.seek(0)
        f.truncate()
        f.write(text.encode())
        f.flush()
        os.fsync(f.fileno())


# ----- the steps

def ssh_host_keys(root: Path) -> list[str]:
    if list((root / "etc/ssh").glob("ssh_host_*_key")):
        return []
    if not (root / "etc/ssh").is_dir():
        return []  # no SSH server in this tree
    cmd = ["ssh-keygen", "-A"] + ([] if str(root) == "/" else ["-f", str(root)])
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return sorted(f"/etc/ssh/{p.name}" for p in (root / "etc/ssh").glob("ssh_host_*_key"))


def grow_root(root: Path) -> list[str]:
    """Once: the root partition to the end of the card, then the filesystem (online)."""
    marker = root / STATE_DIR / "root-grown"
    if marker.exists():
        return []
    source = subprocess.run(["findmnt", "-n", "-o", "SOURCE", "/"], capture_output=True,
                            text=True, check=True).stdout.strip()
    part = Path("/sys/class/block") / Path(source).name
    number = (part / "partition").read_text().strip()
    disk = "/dev/" + part.resolve().parent.name
    # sfdisk moves the end of partition N to the end of the disk; --no-reread because the
    # root is mounted, then partx tells the kernel the new size of that one partition.
    grown = subprocess.run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", "-N", number,
                            disk], input=", +\n", capture_output=True, text=True)
    if grown.returncode:
        say(f"could not grow {source}: {grown.stderr.strip()}")
        return []
    subprocess.run(["partx", "-u", "--nr", number, disk], check=True)
    subprocess.run(["resize2fs", source], check=True, capture_output=True)
    write_file(marker, datetime.datetime.now(datetime.timezone.utc).isoformat() + "\n")
    return [f"{source} grown to the end of {disk}"]


def apply_setup_file(root: Path, boot: Path, live: bool) -> tuple[list[str], str | None]:
    """Returns what changed and, when the file could not be used, why."""
    path = boot / SETUP_NAME
    error_path = boot / ERROR_NAME
    if not path.exists():
        return setup_access_point(root), None
    try:
        setup = parse_setup(path.read_text(errors="replace"), where=f"{path}",
                            zoneinfo=root / "usr/share/zoneinfo")
    except SetupError as exc:
        # The file stays as the maker wrote it (they fix it from their PC and reboot); the
        # box still boots, on Ethernet and the setup access point.
        error_path.write_text(f"The box could not use {SETUP_NAME}:\n\n{exc}\n\n"
                              "Fix the file and restart the box.\n")
        return setup_access_point(root), str(exc)
    changed = []
    if setup.hostname:
        changed += apply_hostname(root, setup.hostname, live)
    if setup.timezone:
        changed += apply_timezone(root, setup.timezone)
    if setup.ssh_keys:
        changed += apply_ssh_keys(root, setup.ssh_keys)
    if setup.ssid is not None:
        changed += apply_wifi(root, setup, live)
    else:
        changed += setup_access_point(root)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    text = redacted(setup, now)
    old = path.read_text(errors="replace")
    # Rewritten only when it held something the box must not leave there (or its first
    # time): a second boot leaves the card untouched.
    if _settings_only(old) != _settings_only(text):
        erase_and_rewrite(path, text)
        changed.append(f"{path} rewritten without secrets")
    error_path.unlink(missing_ok=True)
    state = root / STATE_DIR / "setup-applied.json"
    record = {"applied": now, "file": str(path), "hostname": setup.hostname,
              "timezone": setup.timezone, "wifi_ssid": setup.ssid,
              "wifi_country": setup.country, "ssh_keys": len(setup.ssh_keys)}
    if changed or not state.exists():
        write_file(state, json.dumps(record, indent=1) + "\n", 0o600)
    return changed, None


def _settings_only(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/", help="the system tree (default /)")
    parser.add_argument("--boot", help="the boot partition (default ROOT/boot/firmware)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    boot = Path(args.boot) if args.boot else root / "boot/firmware"
    live = root.resolve() == Path("/")
    changed = ssh_host_keys(root)
    if live:
        try:
            changed += grow_root(root)
        except (OSError, subprocess.CalledProcessError) as exc:
            say(f"the root partition was not grown: {exc}")
    setup_changes, error = apply_setup_file(root, boot, live)
    changed += setup_changes
    for item in changed:
        say(f"set {item}")
    if error:
        say(f"ERROR: {error}")
        say(f"the reason is also in {boot / ERROR_NAME}; the box carries on without it")
        return 2
    say("done" + ("" if changed else ": nothing to change"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
