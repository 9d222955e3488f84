"""SD-card wear: the bytes the whole box writes in a day with one phone reporting every 30 s.

    .venv/bin/python bench/wear.py [--messages N] [--gap S] [--still] [--http] [--warm N]
                                   [--set SECTION.KEY=VALUE] [--explain] [--idle S]

A real `selfdata serve` with its child mosquitto (the generated configuration: the broker
bound to the gateway, saving every 30 min and at its stop), its whole data directory
(database, WAL, the broker's persistence file, the log) on a loop-mounted ext4 image of its
own when run as root, so the filesystem's journal is counted (the card's own erase-block
amplification is not). One phone publishes retained QoS 1 OwnTracks locations (or HTTP
`/pub` with --http), time-accelerated, each waited for, so each is still its own
group-commit transaction and its own fsync. The bytes are scaled to a day of 2,880.

Two speeds, two different days:
- the default, one every 60 ms: ingest only. The trip runner waits for 0.5 s without a
  commit before it runs (gateway/trips/runner.py QUIET_S), so the engine runs once per
  30 s of the run (MAX_DEFER_S), not once per fix;
- `--gap 1` (over the quiet time): one trip engine run per fix, as a real day at 30 s has.
  ext4 commits its journal every 5 s: only a gap over 5 s (`--gap 6`, slow) shows what a
  journal commit per fix costs on the device.

The broker's timed saves do not happen in an accelerated run: 48 a day are
added at the size of its persistence file at the end (written once each, plus a journal
commit, as measured by bench/broker_wear.py: ~11.5 kB a small save on the device). Nor does
the device's "last seen" (written at most every 5 minutes, `SEEN_EVERY_S`): the run covers
a minute of real time, a day writes it 288 times, one more 4 kB page in that commit each
(added as an estimate).

Counted: `write_bytes` of the serve process and of its broker (/proc/PID/io: what they sent
to the block layer, WAL checkpoints included) and the sectors written to the ext4 device.
Target: <= 50 MB/day (issue #12). journald is not in the run (the gateway logs to a file at
WARNING here); on the Pi it logs to a volatile journal (image-build: journald drop-in).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests"),
                str(ROOT / "tests" / "gateway" / "ingest")]

import wal_frames  # noqa: E402
from broker_wear import Disk, line  # noqa: E402
from gateway_process import GatewayProcess, write_config  # noqa: E402
from harness import Household, free_port, make_config  # noqa: E402
from helpers import Phone, basic, count_fixes, location  # noqa: E402

TARGET_MB_DAY = 50.0
PER_DAY = 86400 // 30
GAP_S = 0.06
BROKER_SAVES_PER_DAY = 86400 // 1800
SMALL_SAVE_DEVICE_BYTES = 11_500
SEEN_WRITES_PER_DAY = 86400 // 300        # gateway/ingest/group_commit.py SEEN_EVERY_S
MB = 1e6


def io_bytes(pid: int) -> int:
    io = dict(l.split(": ") for l in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(io["write_bytes"])


def _merge(base: dict, settings: dict) -> dict:
    out = {k: dict(v) for k, v in base.items()}
    for key, value in settings.items():
        section, _, name = key.partition(".")
        out.setdefault(section, {})[name] = value
    return out


def _value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def _idle(pids: tuple[int, int], disk: Disk, seconds: float) -> tuple[int, int | None]:
    """Bytes the serve and broker processes (and the device) write while nothing arrives."""
    os.sync()
    before = sum(map(io_bytes, pids)), disk.sectors_written()
    time.sleep(seconds)
    os.sync()
    after = sum(map(io_bytes, pids)), disk.sectors_written()
    return after[0] - before[0], None if before[1] is None else after[1] - before[1]


def run(messages: int, http: bool, settings: dict, explain: bool = False,
        idle_s: float = 0, gap_s: float = GAP_S, still: bool = False, warm: int = 0) -> None:
    with tempfile.TemporaryDirectory(prefix="wear-") as tmp:
        disk = Disk(Path(tmp))
        data = disk.dir / "data"
        try:
            port = free_port()
            config = make_config(data, mqtt_port=port)
            household = Household(config)
            user = "alice/phone"
            secret = household.secrets[user]
            gw = GatewayProcess(data, free_port(), mqtt_port=port, log_level="WARNING")
            write_config(gw.config_path, {
                "gateway": {"data_dir": str(data), "zeroconf": False, "log_level": "WARNING"},
                "web": {"host": "127.0.0.1", "port": gw.web_port},
                "mqtt": {"enabled": True, "host": "127.0.0.1", "port": port,
                         "run_broker": True, "retry_seconds": 0.2},
                **_merge({"pipeline": {"debounce_s": 0.02}}, settings)})
            gw.start()
            broker_pid = int((data / "mosquitto" / "mosquitto.pid").read_text())
            phone = None if http else Phone(port, user, secret)
            tst = int(time.time()) - 2 * 86400
            def send(i: int, tst: int) -> None:
                if still:   # at home: a few metres of GPS noise, no speed
                    payload = location(tst, lat=46.15 + (i % 7) * 2e-5, lon=-1.15, batt=80,
                                       vel=0, conn="w", alt=12, cog=0)
                else:       # on the move all day (3.7 m/s): the trip in progress grows
                    payload = location(tst, lat=46.15 + (i % 120) * 1e-3, lon=-1.15, batt=80,
                                       vel=5, conn="m", alt=12, cog=100)
                if http:
                    req = urllib.request.Request(gw.url + "/pub", json.dumps(payload).encode(),
                                                 {**basic(user, secret),
                                                  "Content-Type": "application/json"})
                    urllib.request.urlopen(req, timeout=10).read()
                else:
                    phone.publish(f"owntracks/{user}", payload, retain=True).wait_for_publish(30)

            def stored(n: int) -> None:
                deadline = time.monotonic() + 60
                while (have := count_fixes(config.db_path)) < n:
                    if time.monotonic() > deadline:   # a figure for fixes not stored is no figure
                        raise SystemExit(f"bench/wear.py: only {have} of {n} locations stored "
                                         "within 60 s")
                    time.sleep(0.1)

            for i in range(warm):             # a box that has run a while (not counted)
                tst += 30
                send(i, tst)
                time.sleep(GAP_S)
            stored(warm)
            time.sleep(1.0)                   # the start's own writes are not counted
            os.sync()
            before = (io_bytes(gw.pid), io_bytes(broker_pid), disk.sectors_written())
            started = time.monotonic()
            for i in range(warm, warm + messages):
                tst += 30
                send(i, tst)
                time.sleep(gap_s)
            stored(warm + messages)
            time.sleep(1.0)
            os.sync()
            after = (io_bytes(gw.pid), io_bytes(broker_pid), disk.sectors_written())
            elapsed = time.monotonic() - started
            persist = data / "mosquitto" / "mosquitto.db"
            persist_size = persist.stat().st_size if persist.exists() else 4096
            db = sqlite3.connect(config.db_path)
            page = db.execute("PRAGMA page_size").fetchone()[0]
            db.close()                        # or the disk cannot be unmounted
            wal = data / "selfdata.db-wal"
            wal_size = wal.stat().st_size if wal.exists() else 0
            if explain:
                snap = Path(tmp) / "snapshot"
                snap.mkdir()
                shutil.copy(wal, snap / "selfdata.db-wal")
                shutil.copy(config.db_path, snap / "selfdata.db")
                report = wal_frames.explain(snap / "selfdata.db")
            idle = _idle((gw.pid, broker_pid), disk, idle_s) if idle_s else None
            if phone:
                phone.close()
            gw.stop()
        finally:
            disk.close()
    scale = PER_DAY / messages
    serve_b, broker_b = (after[0] - before[0]) * scale, (after[1] - before[1]) * scale
    timed = BROKER_SAVES_PER_DAY * (persist_size + SMALL_SAVE_DEVICE_BYTES)
    print(f"{messages} locations ({'at home' if still else 'moving'}, one every {gap_s:g} s"
          f"{f', after {warm} not counted' if warm else ''}) "
          f"over {'HTTP' if http else 'MQTT'} in {elapsed:.0f} s, scaled "
          f"to {PER_DAY}/day (x{scale:.2f}); settings {settings or 'defaults'}; "
          f"WAL at the end {wal_size / 1e3:.0f} kB; broker file {persist_size / 1e3:.1f} kB")
    line("serve process write_bytes", f"{serve_b / MB:,.1f} MB/day")
    line("broker process write_bytes (no timed save in the run)", f"{broker_b / MB:,.1f} MB/day")
    line("broker's 48 timed saves a day (estimated)", f"{timed / MB:,.1f} MB/day")
    seen = SEEN_WRITES_PER_DAY * page        # a last-seen update: one page of the WAL
    line("devices' last seen, 288 a day (estimated)", f"{seen / MB:,.1f} MB/day")
    timed += seen
    total_proc = serve_b + broker_b + timed
    line("processes, in all", f"{total_proc / MB:,.1f} MB/day", f"target <= {TARGET_MB_DAY:.0f}",
         total_proc / MB <= TARGET_MB_DAY)
    if before[2] is not None:
        device = (after[2] - before[2]) * scale + timed
        line("ext4 device, journal included (+ the estimates)", f"{device / MB:,.1f} MB/day",
             f"target <= {TARGET_MB_DAY:.0f}", device / MB <= TARGET_MB_DAY)
    if idle is not None:
        per_day = 86400 / idle_s
        line(f"idle {idle_s:.0f} s: serve and broker processes", f"{idle[0] * per_day / MB:,.2f} MB/day")
        if idle[1] is not None:
            line(f"idle {idle_s:.0f} s: ext4 device", f"{idle[1] * per_day / MB:,.2f} MB/day")
    if explain:
        print(report)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=600)
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--explain", action="store_true",
                    help="the WAL's frames at the end of the run, per commit and b-tree")
    ap.add_argument("--gap", type=float, default=GAP_S, metavar="S",
                    help="seconds between locations (default 0.06; ext4 commits its journal "
                         "every 5 s, so a gap over 5 s shows what real spacing costs)")
    ap.add_argument("--still", action="store_true",
                    help="the phone stays at home (default: on the move all day)")
    ap.add_argument("--idle", type=float, default=0, metavar="S",
                    help="then S seconds with no message: what an idle box writes")
    ap.add_argument("--warm", type=int, default=0, metavar="N",
                    help="first N locations 60 ms apart, not counted: a box that has run a "
                         "while (its WAL checkpointed once and rewritten from its start, as "
                         "on a real day, instead of a new WAL growing at every commit)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                    help="a configuration setting for the run, e.g. store.synchronous=NORMAL")
    args = ap.parse_args()
    settings = {k: _value(v) for k, v in (kv.split("=", 1) for kv in args.set)}
    print("bench/wear.py: bytes written per day, one phone every 30 s (noisy: a shared machine)")
    run(args.messages, args.http, settings, args.explain, args.idle, args.gap, args.still,
        args.warm)


if __name__ == "__main__":
    main()
