"""The image's boot self-test. Installed ONLY into the test copy that boot-test.sh makes,
never into the shipped image; run by selfdata-selftest.service with the gateway's venv
Python, as root, once the system has started.

It checks what a maker and a phone would meet on a freshly flashed box, reaching the box
at its LAN address (QEMU's user network: the guest's eth0) as a phone would, and prints
one line per check, then a verdict, to /dev/console, where boot-test.sh reads them from
the serial port. Then it powers the machine off, passed or not.

The web page and the phone endpoints are reached over HTTPS on 443 and MQTT over TLS on
8883, trusting only the box's own CA (/var/lib/selfdata/tls/ca.crt), as a phone that
imported it would; plain HTTP must redirect, plain MQTT must not be reachable from the
LAN, and a name the certificate does not carry must be refused. TLS=0 in
/etc/selfdata-selftest.conf (boot-test.sh: `TLS=0 make image-test`) checks the plain
listeners instead, for an image built with [web] tls = "off".
"""
from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import ssl
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

import paho.mqtt.client as mqtt

from receivers.owntracks import encrypt

EXPECT = {  # what boot-test.sh put into selfdata-setup.toml on the test copy's boot partition
    "hostname": "selfdata-test",
    "timezone": "America/Montreal",
    "ssid": "selfdata-test-net",
    "password": "correct horse battery staple",
}
MEMBER, MEMBER_PASSWORD, DEVICE = "tester", "tester-password-1", "phone"
CA_FILE = "/var/lib/selfdata/tls/ca.crt"
SETUP_CODE_FILE = "/var/lib/selfdata/setup-code"   # gateway.accounts.first_run.CODE_FILE
ENCRYPTION_KEY = "selftest-secretbox-key"
console = open("/dev/console", "w", buffering=1)
results: list[tuple[str, bool, str]] = []
START = time.monotonic()


def report(name: str, ok: bool, detail: str = "") -> bool:
    results.append((name, ok, detail))
    console.write(f"SELFTEST {name}: {'ok' if ok else 'FAIL'}{'  ' + detail if detail else ''}\n")
    return ok


def check(name: str):
    """Run one check; an exception is a failure with its reason, never a crash."""
    def wrap(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001: every failure is reported, then the next check
            report(name, False, f"{type(exc).__name__}: {exc}")
            traceback.print_exc()
        return fn
    return wrap


def run(*cmd, user: str | None = None, stdin: str | None = None) -> str:
    if user:
        cmd = ("runuser", "-u", user, "--") + cmd
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()[-300:]}")
    return done.stdout


def wait_for(what: str, probe, timeout: float = 300, every: float = 2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001: keep trying until the deadline
            last = exc
        time.sleep(every)
    raise TimeoutError(f"{what} not within {timeout:.0f} s (last: {last})")


def tls_enabled() -> bool:
    try:
        return "TLS=0" not in open("/etc/selfdata-selftest.conf").read().split()
    except FileNotFoundError:
        return True


def lan_address() -> str:
    out = run("ip", "-4", "-o", "addr", "show", "dev", "eth0")
    match = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
    if not match:
        raise RuntimeError(f"eth0 has no IPv4 address: {out.strip()}")
    return match.group(1)


# ----- the checks


def system_started():
    state = subprocess.run(["systemctl", "is-system-running", "--wait"], capture_output=True,
                           text=True, timeout=900).stdout.strip()
    failed = run("systemctl", "--failed", "--plain", "--no-legend").strip()
    report("boot", state == "running" and not failed,
           f"system {state}, {time.monotonic() - START:.0f} s after the self-test started, "
           f"uptime {open('/proc/uptime').read().split()[0]} s" + (f"; failed: {failed}" if failed else ""))


def first_boot():
    keys = sorted(f for f in os.listdir("/etc/ssh") if re.fullmatch(r"ssh_host_\w+_key", f))
    report("ssh-host-keys", len(keys) >= 2, ", ".join(keys))
    machine_id = open("/etc/machine-id").read().strip()
    report("machine-id", bool(re.fullmatch(r"[0-9a-f]{32}", machine_id)), machine_id)
    hostname = open("/etc/hostname").read().strip()
    live = os.uname().nodename
    gateway_toml = open("/etc/selfdata/gateway.toml").read()
    report("hostname", hostname == live == EXPECT["hostname"]
           and f'hostname = "{EXPECT["hostname"]}"' in gateway_toml,
           f"/etc/hostname {hostname}, running {live}")
    tz = os.readlink("/etc/localtime")
    report("timezone", tz.endswith("/" + EXPECT["timezone"])
           and f'timezone = "{EXPECT["timezone"]}"' in gateway_toml, tz)
    keys = open("/root/.ssh/authorized_keys").read()
    report("authorized-keys", "selfdata-boot-test" in keys
           and oct(os.stat("/root/.ssh/authorized_keys").st_mode & 0o777) == "0o600")
    path = "/etc/NetworkManager/system-connections/selfdata-wifi.nmconnection"
    st = os.stat(path)
    profile = open(path).read()
    report("wifi-profile", oct(st.st_mode & 0o777) == "0o600" and st.st_uid == 0
           and f"psk={EXPECT['password']}" in profile and f"ssid={EXPECT['ssid']}" in profile,
           f"mode {oct(st.st_mode & 0o777)}")
    setup = open("/boot/firmware/selfdata-setup.toml").read()
    report("setup-secrets-erased", EXPECT["password"] not in setup and EXPECT["ssid"] in setup)
    nm = run("nmcli", "-t", "-f", "NAME,TYPE", "connection", "show")
    report("networkmanager-profile", "selfdata-wifi:802-11-wireless" in nm, nm.replace("\n", " "))
    st = os.statvfs("/")
    size_gib = st.f_blocks * st.f_frsize / 2**30
    report("root-grown", size_gib > 2.5, f"/ is {size_gib:.2f} GiB (2 GiB in the image)")


def services():
    wanted = ["selfdata-gateway.service", "mosquitto.service", "avahi-daemon.service",
              "NetworkManager.service", "ssh.service", "gpsd.socket",
              "selfdata-broker-reload.path", "selfdata-broker-restart.path",
              "selfdata-backup.timer",
              "selfdata-firstboot.service"]
    states = {u: subprocess.run(["systemctl", "is-active", u], capture_output=True,
                                text=True).stdout.strip() for u in wanted}
    report("services", all(s == "active" for s in states.values()),
           " ".join(f"{u.split('.')[0]}={s}" for u, s in states.items()))
    shown = run("systemctl", "show", "selfdata-gateway.service", "-p",
                "User,NoNewPrivileges,ProtectSystem,MemoryDenyWriteExecute,CapabilityBoundingSet")
    report("gateway-sandbox", "User=selfdata" in shown and "MemoryDenyWriteExecute=yes" in shown,
           shown.replace("\n", " ").strip())
    security = subprocess.run(["systemd-analyze", "security", "selfdata-gateway.service"],
                              capture_output=True, text=True).stdout
    level = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", security)
    report("gateway-exposure", bool(level) and float(level.group(1)) < 5.0,
           f"systemd-analyze security: {level.group(1)} {level.group(2)}" if level else security[-200:])
    gpsd = run("ss", "-Hltn", "sport", "=", ":2947")
    report("gpsd-loopback-only", bool(gpsd.strip()) and all(
        re.search(r"(127\.0\.0\.1|\[::1\]):2947", line) for line in gpsd.strip().splitlines()),
        " ".join(line.split()[3] for line in gpsd.strip().splitlines()))


class Box:
    def __init__(self, host: str):
        self.host = host
        self.tls = tls_enabled()
        self.base = f"https://{host}" if self.tls else f"http://{host}"
        self.cookies = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()]
        if self.tls:
            handlers.append(urllib.request.HTTPSHandler(context=self.tls_context()))
        self.opener = urllib.request.build_opener(*handlers)

    @staticmethod
    def tls_context() -> ssl.SSLContext:
        # The box's own CA alone, as a phone that imported it would trust it.
        return ssl.create_default_context(cafile=CA_FILE)

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, dict(resp.headers), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read().decode(errors="replace")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to check, not to follow


def mdns_by_avahi():
    """avahi announces the box; the gateway's own python-zeroconf stays off (checked once
    the gateway has logged that it is ready, i.e. after its zeroconf step would have run)."""
    avahi = open("/etc/avahi/services/selfdata.service").read()
    journal = wait_for("the gateway's 'ready' line", lambda: (lambda j: j if "gateway ready" in j else None)(
        run("journalctl", "-b", "-u", "selfdata-gateway", "--no-pager", "-o", "cat")), timeout=120)
    zeroconf_lines = [line for line in journal.splitlines() if "zeroconf" in line or "announced" in line]
    report("mdns-by-avahi", all(f"<type>{t}</type>" in avahi for t in (
        "_http._tcp", "_https._tcp", "_secure-mqtt._tcp")) and not zeroconf_lines
           and run("systemctl", "is-active", "avahi-daemon.service").strip() == "active",
           "avahi announces _http._tcp, _https._tcp and _secure-mqtt._tcp, the gateway's "
           "zeroconf is off"
           + (f"; gateway said: {zeroconf_lines}" if zeroconf_lines else ""))


def gateway_flow(host: str):
    if tls_enabled():
        # The gateway makes its CA at its first start, which may still be under way: the
        # client context below needs the file (the first run of this test failed here).
        wait_for("the box's CA certificate", lambda: os.path.exists(CA_FILE), timeout=300)
    box = Box(host)
    scheme = "HTTPS with the box's CA" if box.tls else "plain HTTP ([web] tls off)"

    status, _, body = wait_for("the first-run page", lambda: (lambda r: r if r[0] == 200 else None)(
        box.request("/setup")), timeout=300)
    # The first-run form asks for the box's code (in either language: the field, not words).
    report("first-run-page", 'name="code"' in body, f"GET {box.base}/setup -> {status} over {scheme}")
    if box.tls:
        tls_checks(host, box)
    status, headers, _ = box.request("/")
    report("home-redirects-to-setup", status == 302 and headers.get("Location") == "/setup",
           f"GET / -> {status} {headers.get('Location')}")

    # The first-run code, as the owner reads it off the box (its log, or this file).
    code = open(SETUP_CODE_FILE).read().strip()
    form = urllib.parse.urlencode({"code": code, "name": MEMBER, "password": MEMBER_PASSWORD,
                                   "display_name": "Boot Test"}).encode()
    status, headers, body = box.request("/setup", form)
    report("first-member-created", status == 302 and any(c.name for c in box.cookies),
           f"POST /setup -> {status}")

    out = run("/usr/local/bin/selfdata", "device", "add", MEMBER, DEVICE, "--json",
              "--encryption-key", ENCRYPTION_KEY, user="selfdata")
    conn = json.loads(out)["connection"]
    username, password = conn["username"], conn["password"]
    report("device-added", bool(password), f"device {username}, topic {conn['topic']}")

    # OwnTracks HTTP: an encrypted location with the device's own login (PyNaCl and
    # argon2 run inside the sandbox with MemoryDenyWriteExecute).
    now = int(time.time())
    location = {"_type": "location", "lat": 46.1591, "lon": -1.1520, "tst": now - 60,
                "acc": 12, "tid": "ph"}
    envelope = {"_type": "encrypted", "data": encrypt(json.dumps(location).encode(), ENCRYPTION_KEY)}
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    status, headers, body = box.request("/pub", json.dumps(envelope).encode(), {
        "Content-Type": "application/json", "Authorization": f"Basic {auth}"})
    rejected = headers.get("X-Selfdata-Rejected")
    report("owntracks-http-pub", status == 200 and not rejected,
           f"POST /pub (encrypted) -> {status}" + (f" rejected: {rejected}" if rejected else ""))
    bad = base64.b64encode(f"{username}:wrong".encode()).decode()
    status, _, _ = box.request("/pub", json.dumps(location).encode(), {
        "Content-Type": "application/json", "Authorization": f"Basic {bad}"})
    report("http-wrong-password-refused", status == 401, f"-> {status}")

    mqtt_flow(host, username, password, now)

    stats = json.loads(run("/usr/local/bin/selfdata", "stats", "--json", user="selfdata"))
    by_source = stats["fixes_by_source"]
    report("fixes-stored", by_source.get("owntracks-http", 0) >= 1 and by_source.get("owntracks-mqtt", 0) >= 1,
           f"fixes by source {by_source}, {stats['rejections']} refused")
    check("crash-recovery")(lambda: crash_recovery(host, username, password, now))


def tls_checks(host: str, box: Box):
    """Plain HTTP sends pages on to HTTPS; the certificate names the box's address and
    selfdata.local, and nothing else is accepted; the CA is offered for download."""
    plain = Box.__new__(Box)
    plain.base, plain.tls = f"http://{host}", False
    plain.opener = urllib.request.build_opener(NoRedirect())
    status, headers, _ = plain.request("/setup")
    report("http-redirects-to-https", status == 308 and headers.get("Location") == f"https://{host}/setup",
           f"GET http://{host}/setup -> {status} {headers.get('Location')}")
    status, headers, _ = box.request("/login")
    report("hsts", "max-age=" in headers.get("Strict-Transport-Security", ""),
           f"Strict-Transport-Security: {headers.get('Strict-Transport-Security')}")
    status, headers, body = plain.request("/tls/ca.crt")
    report("ca-download", status == 200 and body.startswith("-----BEGIN CERTIFICATE-----")
           and body.strip() == open(CA_FILE).read().strip(), f"GET /tls/ca.crt -> {status}")
    import socket
    names = {}
    for name in ("selfdata.local", "selfdata-test.local", "attacker.example"):
        try:
            with socket.create_connection((host, 443), timeout=20) as raw:
                with Box.tls_context().wrap_socket(raw, server_hostname=name):
                    names[name] = "accepted"
        except ssl.SSLCertVerificationError as exc:
            names[name] = f"refused ({exc.verify_message})"
    report("certificate-names", names["selfdata.local"] == names["selfdata-test.local"] == "accepted"
           and names["attacker.example"].startswith("refused"),
           "; ".join(f"{k} {v}" for k, v in names.items()))


def mqtt_connect(host: str, username: str, password: str, tls: bool):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"selftest-{time.time_ns()}")
    client.username_pw_set(username, password)
    if tls:
        client.tls_set_context(Box.tls_context())
    result = {}
    client.on_connect = lambda c, u, flags, reason, props: result.setdefault("connect", reason)
    client.connect(host, 8883 if tls else 1883, keepalive=30)
    client.loop_start()
    deadline = time.monotonic() + 30
    while "connect" not in result and time.monotonic() < deadline:
        time.sleep(0.1)
    return client, result.get("connect")


def mqtt_flow(host: str, username: str, password: str, now: int, label: str = ""):
    """A device logs in over MQTT and its QoS 1 location is stored; the first time
    (`label` empty) also that a wrong password and plain MQTT from the LAN are refused."""
    tls = tls_enabled()
    prefix = label + "-" if label else ""
    stored = json.loads(run("/usr/local/bin/selfdata", "stats", "--json", user="selfdata"))[
        "fixes_by_source"].get("owntracks-mqtt", 0)
    scheme = "TLS on 8883 with the box's CA" if tls else "plain MQTT on 1883 ([web] tls off)"

    def accepted_login():
        client, reason = mqtt_connect(host, username, password, tls)
        if reason is None or reason.is_failure:
            client.loop_stop()
            client.disconnect()
            return None  # the broker has not re-read its password file yet
        return client

    # The gateway wrote the broker's password file; the path unit reloads mosquitto.
    client = wait_for("mosquitto accepting the device login", accepted_login, timeout=120, every=3)
    report(prefix + "mqtt-device-login", True, f"{username} connected over {scheme}")
    location = {"_type": "location", "lat": 46.1601, "lon": -1.1510, "tst": now - 30,
                "acc": 10, "tid": "ph"}
    info = client.publish(f"owntracks/{MEMBER}/{DEVICE}",
                          json.dumps({"_type": "encrypted", "data": encrypt(
                              json.dumps(location).encode(), ENCRYPTION_KEY)}), qos=1)
    info.wait_for_publish(30)
    report(prefix + "mqtt-publish-acknowledged", info.is_published(), "QoS 1 PUBACK")
    client.loop_stop()
    client.disconnect()
    if not label:
        refusals(host, username, tls)
    # The gateway's subscriber commits the fix: wait until it is in the store.
    wait_for("the MQTT fix in the store", lambda: json.loads(run(
        "/usr/local/bin/selfdata", "stats", "--json", user="selfdata"))["fixes_by_source"].get(
        "owntracks-mqtt", 0) > stored, timeout=60)


def refusals(host: str, username: str, tls: bool):
    bad, reason = mqtt_connect(host, username, "wrong-password", tls)
    bad.loop_stop()
    bad.disconnect()
    report("mqtt-wrong-password-refused", reason is not None and reason.is_failure, str(reason))
    if tls:
        # Plain MQTT is the gateway's, on loopback: nothing listens on 1883 elsewhere.
        listening = [line.split()[3] for line in run("ss", "-Hltn", "sport", "=", ":1883").splitlines()]
        try:
            import socket
            socket.create_connection((host, 1883), timeout=5).close()
            reached = "reached"
        except OSError as exc:
            reached = f"refused ({exc.strerror or exc})"
        report("mqtt-plain-loopback-only", bool(listening) and all(
            re.fullmatch(r"(127\.0\.0\.1|\[::1\]):1883", a) for a in listening)
            and reached.startswith("refused"),
            f"1883 listens on {' '.join(listening)}; {host}:1883 {reached}")


def unit_show(unit: str, *props: str) -> dict:
    out = run("systemctl", "show", unit, "-p", ",".join(props))
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def crash_recovery(host: str, username: str, password: str, now: int):
    """A gateway killed outright takes the broker down with it (so the broker never
    acknowledges a phone while nothing commits: BindsTo= and the gateway's ExecStopPost=),
    systemd brings both back by itself, and a phone's next QoS 1 message is stored."""
    before = unit_show("selfdata-gateway.service", "NRestarts", "MainPID")
    broker_pid = unit_show("mosquitto.service", "MainPID")["MainPID"]
    stored = json.loads(run("/usr/local/bin/selfdata", "stats", "--json", user="selfdata"))[
        "fixes_by_source"].get("owntracks-mqtt", 0)
    killed_at_us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    run("systemctl", "kill", "--signal=SIGKILL", "selfdata-gateway.service")

    def both_back():
        gw = unit_show("selfdata-gateway.service", "ActiveState", "NRestarts", "MainPID")
        broker = unit_show("mosquitto.service", "ActiveState", "MainPID",
                           "InactiveEnterTimestampMonotonic")
        if gw["ActiveState"] == broker["ActiveState"] == "active" and gw["MainPID"] != before["MainPID"]:
            return gw, broker
        return None

    gw, broker = wait_for("the gateway and the broker back after SIGKILL", both_back, timeout=180)
    broker_stopped = int(broker["InactiveEnterTimestampMonotonic"] or 0) > killed_at_us
    report("crash-stops-broker", broker_stopped and broker["MainPID"] != broker_pid,
           f"mosquitto pid {broker_pid} -> {broker['MainPID']}, inactive "
           f"{(int(broker['InactiveEnterTimestampMonotonic'] or 0) - killed_at_us) / 1e6:.1f} s after the kill")
    restarts = int(gw["NRestarts"]) - int(before["NRestarts"])
    report("crash-restarts-gateway", restarts >= 1,
           f"pid {before['MainPID']} -> {gw['MainPID']}, NRestarts +{restarts}")
    mqtt_flow(host, username, password, now + 1, label="after-crash")
    count = json.loads(run("/usr/local/bin/selfdata", "stats", "--json", user="selfdata"))[
        "fixes_by_source"].get("owntracks-mqtt", 0)
    report("after-crash-fix-stored", count == stored + 1, f"MQTT fixes {stored} -> {count}")


def doctor_tls():
    """`selfdata doctor` says the certificate is valid and names the box as it is now."""
    done = subprocess.run(["runuser", "-u", "selfdata", "--", "/usr/local/bin/selfdata",
                           "doctor"], capture_output=True, text=True, timeout=120)
    line = next((l for l in done.stdout.splitlines() if " tls: " in l), "")
    report("doctor-tls", ("TLS certificate valid until" in line) == tls_enabled(),
           line.strip() or done.stdout.strip()[-200:])


def main() -> int:
    console.write("SELFTEST start\n")
    check("boot")(system_started)
    check("first-boot")(first_boot)
    check("services")(services)
    host = None
    try:
        host = lan_address()
        report("lan-address", True, f"eth0 {host} (DHCP through NetworkManager)")
    except Exception as exc:  # noqa: BLE001
        report("lan-address", False, str(exc))
    if host:
        check("gateway")(lambda: gateway_flow(host))
    check("mdns-by-avahi")(mdns_by_avahi)
    check("doctor-tls")(doctor_tls)
    mem = dict(line.split(":", 1) for line in open("/proc/meminfo"))
    failed = [name for name, ok, _ in results if not ok]
    console.write(f"SELFTEST summary: {len(results) - len(failed)} ok, {len(failed)} failed; "
                  f"MemAvailable {mem['MemAvailable'].strip()}, uptime "
                  f"{open('/proc/uptime').read().split()[0]} s\n")
    console.write("SELFDATA-SELFTEST: " + ("PASS" if not failed else "FAIL " + " ".join(failed)) + "\n")
    console.flush()
    subprocess.run(["systemctl", "--no-block", "poweroff"])
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
