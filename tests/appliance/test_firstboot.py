"""First boot on a directory tree: image-build/rootfs/usr/lib/selfdata/firstboot.py run as
it runs on the Pi, with --root pointing at a tree laid out like the image's, and the boot
partition a folder in it."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIRSTBOOT = REPO / "image-build/rootfs/usr/lib/selfdata/firstboot.py"
WIFI = "etc/NetworkManager/system-connections/selfdata-wifi.nmconnection"
AP = "etc/NetworkManager/system-connections/selfdata-setup-ap.nmconnection"
PASSWORD = "correct horse battery staple"


def load_module():
    spec = importlib.util.spec_from_file_location("selfdata_firstboot", FIRSTBOOT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fb = load_module()


def ssh_public_key(tmp_path: Path, comment: str = "maker@laptop") -> str:
    key = tmp_path / f"key-{comment.replace('@', '-')}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
                   check=True)
    return key.with_suffix(".pub").read_text().strip()


@pytest.fixture
def tree(tmp_path) -> Path:
    """The parts of the image tree first boot touches, as the image ships them."""
    root = tmp_path / "root"
    for d in ("etc/ssh", "etc/NetworkManager/system-connections", "etc/selfdata", "root",
              "boot/firmware", "var/lib", "usr/share/zoneinfo/Europe",
              "usr/share/zoneinfo/America"):
        (root / d).mkdir(parents=True)
    for tz in ("Europe/Paris", "America/Montreal"):
        (root / "usr/share/zoneinfo" / tz).write_bytes(b"TZif2 fake zone data")
    (root / "etc/hostname").write_text("selfdata\n")
    (root / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tselfdata\n::1\tlocalhost\n")
    (root / "etc/machine-id").write_text("uninitialized\n")
    (root / "etc/localtime").symlink_to("../usr/share/zoneinfo/Europe/Paris")
    (root / "etc/selfdata/gateway.toml").write_text((REPO / "systemd/gateway.toml").read_text())
    return root


def run(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(FIRSTBOOT), "--root", str(root)],
                          capture_output=True, text=True, timeout=120)


def write_setup(root: Path, text: str) -> Path:
    path = root / "boot/firmware/selfdata-setup.toml"
    path.write_text(text)
    return path


def snapshot(root: Path) -> dict[str, tuple]:
    """Content, mode and link target of every file in the tree."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode,
                        path.stat().st_mtime_ns)
    return out


def full_setup(tmp_path) -> tuple[str, str]:
    key = ssh_public_key(tmp_path)
    return key, f"""# written on the maker's PC
hostname = "Maison"
timezone = "America/Montreal"
ssh_authorized_key = "{key}"

[wifi]
ssid = "Chez nous"
password = "{PASSWORD}"
country = "fr"
"""


def test_setup_file_is_applied_and_its_secret_erased(tree, tmp_path):
    key, text = full_setup(tmp_path)
    setup = write_setup(tree, text)
    result = run(tree)
    assert result.returncode == 0, result.stdout + result.stderr

    assert (tree / "etc/hostname").read_text() == "maison\n"
    assert "127.0.1.1\tmaison" in (tree / "etc/hosts").read_text().splitlines()
    assert os.readlink(tree / "etc/localtime") == "../usr/share/zoneinfo/America/Montreal"
    assert (tree / "etc/timezone").read_text() == "America/Montreal\n"
    gateway = (tree / "etc/selfdata/gateway.toml").read_text()
    assert 'hostname = "maison"' in gateway and 'timezone = "America/Montreal"' in gateway
    assert "zeroconf = false" in gateway and "[mqtt]" in gateway  # the rest kept

    keys = tree / "root/.ssh/authorized_keys"
    assert keys.read_text() == key + "\n"
    assert keys.stat().st_mode & 0o777 == 0o600
    assert (tree / "root/.ssh").stat().st_mode & 0o777 == 0o700

    wifi = tree / WIFI
    assert wifi.stat().st_mode & 0o777 == 0o600
    profile = wifi.read_text()
    assert "ssid=Chez nous\n" in profile and f"psk={PASSWORD}\n" in profile
    assert "key-mgmt=wpa-psk\n" in profile and "mode=infrastructure\n" in profile
    assert "autoconnect=true\n" in profile
    assert (tree / "etc/modprobe.d/selfdata-wifi-country.conf").read_text().endswith(
        "options cfg80211 ieee80211_regdom=FR\n")
    assert not (tree / AP).exists()  # a network to join: no setup access point

    after = setup.read_text()
    assert PASSWORD not in after
    assert 'ssid = "Chez nous"' in after and 'hostname = "maison"' in after
    assert "erased" in after
    # What is left on the card still reads as a setup file (the next boot parses it).
    fb.parse_setup(after, where="after", zoneinfo=tree / "usr/share/zoneinfo")
    assert (tree / "var/lib/selfdata-firstboot/setup-applied.json").exists()

    keys_made = sorted(p.name for p in (tree / "etc/ssh").glob("ssh_host_*_key"))
    assert "ssh_host_ed25519_key" in keys_made and len(keys_made) >= 2


def test_second_boot_changes_nothing(tree, tmp_path):
    _, text = full_setup(tmp_path)
    write_setup(tree, text)
    assert run(tree).returncode == 0
    before = snapshot(tree)
    second = run(tree)
    assert second.returncode == 0, second.stdout + second.stderr
    assert snapshot(tree) == before  # not one file rewritten, not even touched
    assert "nothing to change" in second.stdout
    # The stored password survived the file on the card losing it.
    assert f"psk={PASSWORD}\n" in (tree / WIFI).read_text()


def test_a_new_password_on_the_card_replaces_the_stored_one(tree, tmp_path):
    _, text = full_setup(tmp_path)
    setup = write_setup(tree, text)
    run(tree)
    setup.write_text(setup.read_text().replace('country = "FR"', 'country = "FR"\npassword = "new-password-2"'))
    assert run(tree).returncode == 0
    assert "psk=new-password-2\n" in (tree / WIFI).read_text()
    assert "new-password-2" not in setup.read_text()


def test_malformed_file_is_reported_and_the_box_still_boots(tree, tmp_path):
    setup = write_setup(tree, f'hostname = "maison\n[wifi]\nssid = "x"\npassword = "{PASSWORD}"\n')
    original = setup.read_text()
    result = run(tree)
    assert result.returncode == 2
    out = result.stdout
    assert "not valid TOML" in out and "selfdata-setup.toml" in out and "line 1" in out
    assert "carries on" in out
    error = (tree / "boot/firmware/selfdata-setup-error.txt").read_text()
    assert "not valid TOML" in error and "Fix the file" in error
    # Nothing half-applied; the maker's file is left for them to fix; the rest of first
    # boot still happened: host keys, and the setup access point instead of Wi-Fi.
    assert setup.read_text() == original
    assert (tree / "etc/hostname").read_text() == "selfdata\n"
    assert not (tree / WIFI).exists()
    assert list((tree / "etc/ssh").glob("ssh_host_*_key"))
    assert (tree / AP).exists() and (tree / AP).stat().st_mode & 0o777 == 0o600


def test_every_bad_value_is_named_at_once(tree, tmp_path):
    write_setup(tree, """hostname = "-bad-"
timezone = "Mars/Olympus"
ssh_authorized_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRydW5jYXRlZA== cut"
colour = "blue"

[wifi]
ssid = "home"
password = "short"
country = "France"
""")
    result = run(tree)
    assert result.returncode == 2
    for expected in ("hostname '-bad-'", "timezone 'Mars/Olympus'", "ssh_authorized_key",
                     "unknown setting 'colour'", "[wifi] password: a WPA2 password has 8 to 63",
                     "[wifi] country"):
        assert expected in result.stdout, expected
    assert (tree / "etc/hostname").read_text() == "selfdata\n"  # none applied


def test_a_fixed_file_clears_the_error(tree):
    write_setup(tree, "hostname = [\n")
    assert run(tree).returncode == 2
    write_setup(tree, 'hostname = "atelier"\n')
    assert run(tree).returncode == 0
    assert not (tree / "boot/firmware/selfdata-setup-error.txt").exists()
    assert (tree / "etc/hostname").read_text() == "atelier\n"


def test_without_setup_file_ethernet_and_a_setup_access_point(tree):
    result = run(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    ap = (tree / AP).read_text()
    assert (tree / AP).stat().st_mode & 0o777 == 0o600
    assert "mode=ap\n" in ap and "method=shared\n" in ap and "autoconnect=false\n" in ap
    assert "ssid=selfdata-setup-" in ap
    assert not (tree / WIFI).exists()
    assert (tree / "etc/hostname").read_text() == "selfdata\n"


def test_open_network_and_ssids_needing_escapes(tree):
    write_setup(tree, '[wifi]\nssid = "Café; free"\nhidden = true\n')
    assert run(tree).returncode == 0
    profile = (tree / WIFI).read_text()
    assert "[wifi-security]" not in profile and "hidden=true\n" in profile
    # ';' separates list items in a keyfile: such an SSID is written as its bytes.
    ssid_line = next(line for line in profile.splitlines() if line.startswith("ssid="))
    assert bytes(int(b) for b in ssid_line[5:].rstrip(";").split(";")).decode() == "Café; free"


def test_passwords_with_keyfile_special_characters_round_trip():
    for secret in (" leading space", "back\\slash!", "tab\tinside", "ends with space "):
        assert fb.keyfile_unescape(fb.keyfile_escape(secret)) == secret


def test_existing_host_keys_are_kept(tree):
    (tree / "etc/ssh/ssh_host_ed25519_key").write_text("the box's own key")
    run(tree)
    assert (tree / "etc/ssh/ssh_host_ed25519_key").read_text() == "the box's own key"
    assert not (tree / "etc/ssh/ssh_host_rsa_key").exists()


def test_the_image_ships_the_first_boot_unit_and_no_identity():
    unit = (REPO / "systemd/selfdata-firstboot.service").read_text()
    assert "ExecStart=/usr/bin/python3 /usr/lib/selfdata/firstboot.py" in unit
    assert "Before=network-pre.target NetworkManager.service ssh.service" in unit
    customize = (REPO / "image-build/layer.sh").read_text()
    assert 'rm -f "$root"/etc/ssh/ssh_host_*' in customize
    assert "printf 'uninitialized\\n' > \"$root/etc/machine-id\"" in customize
