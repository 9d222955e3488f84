"""What mosquitto's persistence writes to the SD card, now that it saves after every change.

    .venv/bin/python bench/broker_wear.py [--only steady,card,burst,outage,friend,window]
                                          [--autosave N] [--messages N] [--keep DIR]

The broker PUBACKs phones itself, so it must have what it acknowledged on disk
(`autosave_on_changes true`, `autosave_interval 1`: docs/operations.md). mosquitto 2.0 saves
by rewriting its whole in-memory database (`mosquitto.db.new`, fsync, rename), so what a save
costs is the size of everything it holds, and how often it saves is how often anything
changes. Measured with a real `selfdata serve` and a real mosquitto with the generated
configuration; a phone publishes retained QoS 1 locations as OwnTracks does, time-compressed
(a message every 50 ms instead of every 30 s: each is still its own broker loop turn and its
own save), and the bytes per message are scaled to a day of one message every 30 s:

- steady:  one phone, the gateway up.
- card:    the same with the phone's own card (a 20 kB face) retained, as iOS publishes it.
- burst:   a phone sends a day's queue (2,880 locations) as fast as it can, gateway up.
- outage:  the gateway down for 1 h and for 24 h while the phone reports (what the broker
           holds grows with the outage, and every save rewrites all of it).
- friend:  steady, but a second member's phone that sees the first is switched off for a
           day: subscribed at QoS 0 as the box provisions phones (nothing queued for it),
           and at QoS 1 as an older or hostile phone may (every location queued for it).
- window:  the gateway down, 200 messages PUBACKed, the broker SIGKILLed the instant the last
           PUBACK arrives: how many were not yet on disk (the save follows the PUBACK).

Bytes are counted twice: `write_bytes` of the mosquitto process (/proc/PID/io: what it sent
to the block layer) and, when run as root, the sectors written to a loop-mounted ext4 image
holding only the persistence file, which adds the filesystem's journal (what a card sees,
short of the card's own erase-block amplification). Target: <= 50 MB/day for everything the
box writes with one phone every 30 s (issue #12), so the broker's share must be well below.
"""
from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "gateway" / "ingest")]

from gateway import accounts  # noqa: E402
from gateway.accounts import broker  # noqa: E402
from gateway.store import Store  # noqa: E402
from gateway_process import GatewayProcess  # noqa: E402
from harness import Household, free_port, make_config, wait_port  # noqa: E402
from helpers import Phone, count_fixes, location  # noqa: E402

TARGET_MB_DAY = 50.0
PER_DAY = 86400 // 30          # one location every 30 s
GAP_S = 0.05                   # time compression: each message its own loop turn and save
MB = 1e6


def line(label: str, value: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  OVER")
    print(f"{label:<58} {value:>16}   {target}{verdict}", flush=True)


class Disk:
    """Where the persistence file lives: a loop-mounted ext4 image when we are root (device
    writes include the journal), else a plain directory (process counters only)."""

    def __init__(self, root: Path):
        self.dir = root / "persist"
        self.dir.mkdir()
        self.device = None
        if os.geteuid() == 0 and shutil.which("losetup"):
            self._mount(root)

    def _mount(self, root: Path) -> None:
        image = root / "card.img"
        with open(image, "wb") as f:
            f.truncate(256 * 1024 * 1024)
        # Inode tables and journal zeroed now: otherwise ext4lazyinit writes them in the
        # background during the run (a fresh file system's, not a card's daily wear).
        subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                        str(image)], check=True)
        dev = subprocess.run(["losetup", "--find", "--show", str(image)], check=True,
                             capture_output=True, text=True).stdout.strip()
        # As the Pi mounts its root (image-build/rootfs/etc/fstab): reads write nothing.
        subprocess.run(["mount", "-o", "noatime", dev, str(self.dir)], check=True)
        self.device = dev

    def sectors_written(self) -> int | None:
        if self.device is None:
            return None
        stat = Path(f"/sys/block/{Path(self.device).name}/stat").read_text().split()
        return int(stat[6]) * 512

    def close(self) -> None:
        if self.device:
            subprocess.run(["umount", str(self.dir)], check=False)
            subprocess.run(["losetup", "-d", self.device], check=False)


class Broker:
    """mosquitto with the generated configuration, its persistence on `disk`."""

    autosave = None  # --autosave N: another autosave_interval, to weigh the trade-off

    def __init__(self, config, port: int, disk: Disk):
        self.config, self.port, self.disk = config, port, disk
        self.proc = None

    def start(self) -> "Broker":
        text = broker.render_mosquitto_conf(self.config, port=self.port).replace(
            f"persistence_location {self.config.broker_dir}/",
            f"persistence_location {self.disk.dir}/")
        if self.autosave is not None:
            text = text.replace("autosave_interval 1\n", f"autosave_interval {self.autosave}\n")
        conf = self.config.broker_dir / "bench-mosquitto.conf"
        conf.write_text(text)
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port)
        return self

    def written(self) -> tuple[int, int | None]:
        """(process write_bytes, device bytes or None), after flushing dirty pages."""
        os.sync()
        io = dict(line.split(": ") for line in
                  Path(f"/proc/{self.proc.pid}/io").read_text().splitlines())
        return int(io["write_bytes"]), self.disk.sectors_written()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Box:
    """alice/phone and bob/phone (bob sees alice), a broker and a gateway subprocess."""

    def __init__(self, root: Path, name: str):
        self.root = root / name
        (root / f"{name}-disk").mkdir()
        self.disk = Disk(root / f"{name}-disk")
        port = free_port()
        self.config = make_config(self.root, mqtt_port=port)
        # What this bench weighs: saving after every change (now the opt-in for a broker
        # that outlives the gateway; the box's own brokers save on a timer: bench/wear.py).
        self.config.mqtt.broker_save_every_change = True
        household = Household(self.config)
        self.secrets = household.secrets
        store = Store(self.config.db_path).open()
        with store.transaction() as conn:
            accounts.show_to(conn, "alice", "bob")
            broker.sync_broker_files(self.config, conn)
        store.close()
        self.broker = Broker(self.config, port, self.disk).start()
        self.gateway = GatewayProcess(self.root, free_port(), mqtt_port=port,
                                      log_level="WARNING")
        self.tst = int(time.time()) - 40 * 86400

    def phone(self, user: str = "alice/phone") -> Phone:
        return Phone(self.broker.port, user, self.secrets[user])

    def publish(self, phone: Phone, n: int, *, gap: float = GAP_S) -> None:
        """n retained QoS 1 locations, each waited for (the broker's PUBACK)."""
        for _ in range(n):
            self.tst += 1
            phone.publish("owntracks/alice/phone", location(self.tst, batt=80, vel=12,
                          conn="m", alt=12, cog=100), retain=True).wait_for_publish(30)
            if gap:
                time.sleep(gap)

    def wait_stored(self, n: int, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while count_fixes(self.config.db_path) < n and time.monotonic() < deadline:
            time.sleep(0.1)
        return count_fixes(self.config.db_path)

    def close(self) -> None:
        self.gateway.stop()
        self.broker.stop()
        self.disk.close()


def _measured(box: Box, run) -> tuple[int, int | None]:
    time.sleep(0.5)  # the start's own saves (connects, subscriptions, cards) are not counted
    before = box.broker.written()
    run()
    time.sleep(0.5)
    after = box.broker.written()
    return after[0] - before[0], (None if after[1] is None else after[1] - before[1])


def _report(label: str, written: tuple[int, int | None], scale: float, *, unit: str,
            budget: bool = False) -> None:
    """Print bytes written (x scale) as MB in `unit`, process and device, and the verdict."""
    proc, dev = (None if v is None else v * scale / MB for v in written)
    line(f"{label}: process", f"{proc:,.1f} {unit}")
    if dev is not None:
        line(f"{label}: ext4 device, journal included", f"{dev:,.1f} {unit}")
    if budget:
        shown = dev if dev is not None else proc
        line("  ... against the budget of the whole box", f"{shown:,.1f} {unit}",
             f"target <= {TARGET_MB_DAY:.0f} MB/day for everything", shown <= TARGET_MB_DAY)


def steady(root: Path, n: int) -> None:
    box = Box(root, "steady")
    try:
        box.gateway.start()
        phone = box.phone()
        written = _measured(box, lambda: box.publish(phone, n))
        phone.close()
        box.wait_stored(n)
        _report("steady, one phone every 30 s, gateway up", written, PER_DAY / n,
                unit="MB/day", budget=True)
    finally:
        box.close()


def card(root: Path, n: int) -> None:
    """Steady, with the phone's own card retained in the broker as iOS publishes it: a
    192x192 face is some 20 kB of base64, and every save rewrites it."""
    box = Box(root, "card")
    try:
        box.gateway.start()
        phone = box.phone()
        face = base64.b64encode(os.urandom(15_000)).decode()
        phone.publish("owntracks/alice/phone/info", {"_type": "card", "name": "Alice",
                      "face": face}, retain=True).wait_for_publish(30)
        written = _measured(box, lambda: box.publish(phone, n))
        phone.close()
        _report("steady, with the phone's card (20 kB face) retained", written, PER_DAY / n,
                unit="MB/day", budget=True)
    finally:
        box.close()


def burst(root: Path, n: int) -> None:
    box = Box(root, "burst")
    try:
        box.gateway.start()
        phone = box.phone()
        written = _measured(box, lambda: box.publish(phone, n, gap=0))
        phone.close()
        box.wait_stored(n)
        _report(f"burst of a day's queue ({n}), gateway up", written, 1, unit="MB")
    finally:
        box.close()


def outage(root: Path, hours: float) -> None:
    n = int(hours * 3600 / 30)
    box = Box(root, f"outage-{hours:g}h")
    try:
        box.gateway.start()       # its persistent session subscribes, then it goes away
        box.gateway.terminate()
        phone = box.phone()
        written = _measured(box, lambda: box.publish(phone, n))
        phone.close()
        size = os.path.getsize(box.disk.dir / "mosquitto.db")
        _report(f"gateway down {hours:g} h ({n} queued, db {size / 1e3:,.0f} kB)", written, 1,
                unit="MB")
        box.gateway.start()
        stored = box.wait_stored(n)
        line("  stored once the gateway is back", f"{stored} of {n}")
    finally:
        box.close()


def friend(root: Path, n: int, qos: int) -> None:
    box = Box(root, f"friend-qos{qos}")
    try:
        bob = box.phone("bob/phone")   # sees alice; subscribes, then is switched off
        bob.client.subscribe("owntracks/+/+", qos=qos)
        time.sleep(0.3)
        bob.close()
        box.gateway.start()
        phone = box.phone()
        written = _measured(box, lambda: box.publish(phone, n))
        phone.close()
        what = "as provisioned" if qos == 0 else "an old or hostile phone"
        _report(f"a friend's phone off for a day, subscribed QoS {qos} ({what})", written,
                PER_DAY / n, unit="MB/day", budget=True)
    finally:
        box.close()


def window(root: Path, rounds: int) -> None:
    lost = []
    for r in range(rounds):
        box = Box(root, f"window-{r}")
        try:
            box.gateway.start()
            box.gateway.terminate()
            phone = box.phone()
            box.publish(phone, 200, gap=0)
            box.broker.kill()            # the instant the last PUBACK arrived
            phone.close()
            box.broker.start()
            box.gateway.start()
            time.sleep(1)
            lost.append(200 - box.wait_stored(200, timeout=15))
        finally:
            box.close()
    line("window: lost of 200 when killed at the last PUBACK", f"{lost}",
         "(each a message acknowledged in the broker's last loop turn, before its save)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="steady,card,burst,outage,friend,window")
    ap.add_argument("--messages", type=int, default=300, help="steady: messages measured")
    ap.add_argument("--autosave", type=int, help="try another autosave_interval (changes)")
    ap.add_argument("--keep", type=Path, help="keep the data here instead of a temporary dir")
    args = ap.parse_args()
    only = set(args.only.split(","))
    Broker.autosave = args.autosave
    root = args.keep or Path(tempfile.mkdtemp(prefix="selfdata-wear-"))
    root.mkdir(parents=True, exist_ok=True)
    version = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True).stdout.split()[2]
    where = "a loop-mounted ext4 image" if os.geteuid() == 0 else "the disk (not root: no loop)"
    interval = args.autosave or 1
    print(f"mosquitto {version}, autosave_on_changes with autosave_interval {interval}, "
          f"persistence on {where}")
    try:
        if "steady" in only:
            steady(root, args.messages)
        if "card" in only:
            card(root, args.messages)
        if "burst" in only:
            burst(root, PER_DAY)
        if "outage" in only:
            outage(root, 1)
            outage(root, 24)
        if "friend" in only:
            friend(root, args.messages, qos=0)
            friend(root, PER_DAY, qos=1)
        if "window" in only:
            window(root, 5)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
