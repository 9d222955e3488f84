"""What the image installs, read from image-build/install.txt (the list layer.sh follows):
nothing from systemd/ or image-build/rootfs/ forgotten, the self-test never shipped, and
the configuration the image ships is what the units and the gateway expect."""
from __future__ import annotations

import tomllib
from pathlib import Path

from gateway import config as gateway_config

REPO = Path(__file__).resolve().parents[2]
B = REPO / "image-build"


def install_map() -> dict[str, tuple[str, str]]:
    out = {}
    for line in (B / "install.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            src, dest, mode = line.split()
            out[src] = (dest, mode)
    return out


def test_every_file_of_systemd_and_rootfs_is_installed():
    listed = install_map()
    shipped = [p for p in (REPO / "systemd").iterdir() if p.is_file()]
    shipped += [p for p in (B / "rootfs").rglob("*") if p.is_file()]
    missing = [str(p.relative_to(REPO)) for p in shipped if str(p.relative_to(REPO)) not in listed]
    assert not missing, f"not in image-build/install.txt: {missing}"
    for src in listed:
        assert (REPO / src).is_file(), f"install.txt names {src}, which does not exist"


def test_rootfs_files_go_where_their_path_says():
    for src, (dest, _) in install_map().items():
        if src.startswith("image-build/rootfs/"):
            assert dest == "/" + src.removeprefix("image-build/rootfs/")


def test_the_self_test_is_never_part_of_the_shipped_image():
    listed = install_map()
    assert not any("selftest" in src or "selftest" in dest for src, (dest, _) in listed.items())
    for script in ("build.sh", "layer.sh", "genimage.cfg", "hooks/essential.sh",
                   "hooks/customize-base.sh"):
        assert "selftest" not in (B / script).read_text(), script
    # Only the boot test writes it, into its copy.
    assert "selfdata-selftest.service" in (B / "boot-test.sh").read_text()


def test_programs_and_secrets_have_their_modes():
    listed = install_map()
    assert listed["image-build/rootfs/usr/lib/selfdata/firstboot.py"][1] == "0755"
    assert listed["image-build/rootfs/usr/lib/selfdata/hotspot"][1] == "0755"
    fstab = (B / "rootfs/etc/fstab").read_text()
    # The boot partition may hold a Wi-Fi password until first boot erases it.
    assert "fmask=0077,dmask=0077" in fstab.split("LABEL=RASPIFIRM")[1].splitlines()[0]


def test_the_image_gateway_configuration_loads_and_leaves_mdns_to_avahi():
    cfg = gateway_config.load(REPO / "systemd/gateway.toml", env={})
    assert cfg.gateway.zeroconf is False
    assert cfg.web.port == 80 and cfg.mqtt.run_broker is False
    assert str(cfg.data_dir) == "/var/lib/selfdata"
    # The trip in progress is rewritten at most every 2 minutes on the SD card (wear).
    assert cfg.pipeline.debounce_s == 120
    # ... and only every 10 minutes when it only got longer.
    assert cfg.pipeline.progress_every_s == 600
    avahi = (REPO / "systemd/avahi-selfdata.xml").read_text()
    assert "<type>_http._tcp</type>" in avahi and "<port>80</port>" in avahi


def test_gpsd_stays_on_loopback_with_udev_hotplug():
    settings = dict(line.split("=", 1) for line in (REPO / "systemd/gpsd.default").read_text().splitlines()
                    if line and not line.startswith("#"))
    assert settings["USBAUTO"] == '"true"' and settings["GPSD_OPTIONS"] == '"-n"'
    assert "-G" not in settings["GPSD_OPTIONS"]  # -G would listen on every interface


def test_the_setup_example_is_valid_once_uncommented():
    import importlib.util
    import sys
    spec = importlib.util.spec_from_file_location("fb_layout", B / "rootfs/usr/lib/selfdata/firstboot.py")
    fb = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = fb
    spec.loader.exec_module(fb)
    example = (B / "rootfs/boot/firmware/selfdata-setup.example.toml").read_text()
    uncommented = "\n".join(line[1:] if line.startswith("#") and "=" in line or line.startswith("#[")
                            else line for line in example.splitlines())
    data = tomllib.loads(uncommented)
    assert set(data) == {"hostname", "timezone", "ssh_authorized_key", "wifi"}
    assert set(data["wifi"]) == fb.WIFI_KEYS


def test_packages_include_what_peers_measured_as_needed():
    packages = {line.split("#")[0].strip() for line in (B / "packages.txt").read_text().splitlines()}
    for needed in ("raspi-firmware", "linux-image-arm64", "firmware-brcm80211", "network-manager",
                   "openssh-server", "avahi-daemon", "mosquitto", "gpsd", "python3-venv", "zstd",
                   "systemd-sysv", "udev", "dbus", "wpasupplicant", "ca-certificates",
                   "systemd-timesyncd", "sqlite3", "dnsmasq-base", "fdisk", "e2fsprogs"):
        assert needed in packages, needed


def test_the_system_broker_starts_on_a_new_box_before_the_gateway(tmp_path):
    """On a new box mosquitto starts before the gateway has written its password file and
    ACL; mosquitto refuses to start without them. tmpfiles creates them empty: the Pi's
    broker configuration must start with exactly those, and let nobody in."""
    import subprocess
    import time
    import paho.mqtt.client as mqtt
    from harness import free_port, require, wait_port
    require("mosquitto")
    lines = [line.split() for line in (REPO / "systemd/selfdata.tmpfiles.conf").read_text().splitlines()
             if line.startswith("f ")]
    created = {Path(fields[1]).name: fields for fields in lines}
    assert set(created) == {"passwd", "acl", "listeners.conf"}
    assert all(f[2] == "0640" and f[3:5] == ["selfdata", "mosquitto"] for f in created.values())
    broker_dir = tmp_path / "mosquitto"
    broker_dir.mkdir()
    for name in created:
        (broker_dir / name).write_text("")  # what tmpfiles' "f" makes
    port = free_port()
    conf = ((REPO / "systemd/mosquitto-selfdata.conf").read_text()
            .replace("/var/lib/selfdata/mosquitto", str(broker_dir))
            .replace("listener 1883 127.0.0.1", f"listener {port} 127.0.0.1")
            # conf.d/selfdata.listeners.conf: the gateway's listeners.conf, empty until then
            + (broker_dir / "listeners.conf").read_text()
            + f"\nuser {__import__('getpass').getuser()}\n")
    (tmp_path / "pi.conf").write_text(conf)
    proc = subprocess.Popen(["mosquitto", "-c", str(tmp_path / "pi.conf")],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="nobody")
        client.username_pw_set("someone", "anything")
        result = {}
        client.on_connect = lambda c, u, f, reason, p: result.setdefault("reason", reason)
        client.connect("127.0.0.1", port)
        client.loop_start()
        deadline = time.monotonic() + 10
        while "reason" not in result and time.monotonic() < deadline:
            time.sleep(0.05)
        client.loop_stop()
        assert result["reason"].is_failure  # an empty password file lets nobody in
    finally:
        proc.terminate()
        proc.wait(10)
        for name in created:  # without them it would not have started at all
            (broker_dir / name).unlink()
    failed = subprocess.run(["mosquitto", "-c", str(tmp_path / "pi.conf")], capture_output=True,
                            text=True, timeout=20)
    assert failed.returncode != 0 and "password file" in failed.stderr
