"""`/api/0/locations` on one device's whole history, over real HTTP, in every format.

usage: python bench/recorder_api.py [--points N] [--runs N] [--formats json,csv,...]
                                    [--recorder OT_RECORDER_BINARY] [--keep DIR]

A household of one member and one phone whose history holds 200,000 fixes (a phone
reporting every ~15 s on the move and every few minutes at rest, raw JSON as the OwnTracks
app sends it, stored through the same write path as the ingest). A real `selfdata serve`
subprocess answers; `curl` (what a user runs) fetches the whole history, `--runs` times per
format, and the bench prints the median time to first byte and the median total beside the
target: the OwnTracks Recorder answered the same request in 1.9 s on this machine (its first
byte after 2 ms), so total <= 1.9 s.

With `--recorder PATH` (an `ot-recorder` built from github.com/owntracks/recorder, not part
of this project), the same points are also written into a Recorder store as its `.rec`
month files and the same requests are timed against it, side by side, in the same run.

Prints, never asserts. The machine may be shared: each figure is a median of `--runs`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "gateway" / "ingest")]

from carbon.fix import Fix  # noqa: E402
from gateway import accounts  # noqa: E402
from gateway.store import Store, fix_row, insert_fix_rows  # noqa: E402
from gateway_process import GatewayProcess  # noqa: E402
from harness import PASSWORD, free_port, make_config, wait_port  # noqa: E402

TARGET_TOTAL_S = 1.9   # the Recorder's measured figure for the same request (issue #8)
RECORDER_TTFB_S = 0.002
FORMATS = ("json", "geojson", "csv", "linestring", "gpx")
START = int(datetime(2025, 1, 1, tzinfo=timezone.utc).timestamp())


def line(label: str, value: str, target: str, ok: bool | None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"{label:<44} {value:>22}   target {target}{verdict}", flush=True)


def trace(n: int, seed: int = 3):
    """n (ts, lat, lon, vel km/h, raw JSON) as an iPhone's OwnTracks reports them: a fix
    every ~15 s while moving, every ~5 min at rest, alternating."""
    rng = random.Random(seed)
    ts, lat, lon = START, 46.16, -1.15
    for k in range(n):
        moving = (k // 120) % 2 == 1
        if moving:
            ts += 15 + rng.randrange(-3, 4)
            lat += rng.uniform(-4e-4, 4e-4)
            lon += rng.uniform(-4e-4, 4e-4)
            vel = rng.randrange(5, 60)
        else:
            ts += 300 + rng.randrange(-60, 60)
            vel = 0
        p = {"_type": "location", "acc": rng.choice((5, 10, 16, 32)), "alt": rng.randrange(40),
             "batt": 100 - k % 100, "bs": 1, "conn": "w", "created_at": ts + 2,
             "lat": round(lat + rng.gauss(0, 2e-5), 6), "lon": round(lon + rng.gauss(0, 2e-5), 6),
             "m": 1, "t": "u" if moving else "p", "tid": "ph", "tst": ts, "vac": 3, "vel": vel,
             "SSID": "home-wifi", "BSSID": "a0:b1:c2:d3:e4:f5"}
        yield ts, p


def build_box(root: Path, n: int) -> tuple[GatewayProcess, int]:
    """The household and its history; the gateway subprocess (not started)."""
    config = make_config(root / "box")
    store = Store(config.db_path).open()
    with store.transaction() as conn:
        accounts.add_member(conn, "alice", PASSWORD, display_name="Alice")
        device, _ = accounts.add_device(conn, "alice", "phone")
    rows, received, last = [], time.time(), START
    for ts, p in trace(n):
        raw = json.dumps(p, separators=(",", ":"))
        fix = Fix(ts=ts, lat=p["lat"], lon=p["lon"], acc=float(p["acc"]), alt=float(p["alt"]),
                  vel=p["vel"] / 3.6, batt=p["batt"], raw=raw)
        rows.append(fix_row(device, fix, "owntracks-http", received))
        last = ts
        if len(rows) == 50_000:
            with store.transaction():
                insert_fix_rows(store.conn, rows)
            rows = []
    if rows:
        with store.transaction():
            insert_fix_rows(store.conn, rows)
    store.close()
    gw = GatewayProcess(config.data_dir, free_port(), log_level="WARNING")
    return gw, last


def write_recorder_store(store: Path, n: int) -> None:
    """The same points as the Recorder keeps them: rec/<user>/<device>/YYYY-MM.rec, one line
    `isotst<TAB>*<TAB>json` per point (its own format, owntracks.md 3.2)."""
    base = store / "rec" / "alice" / "phone"
    base.mkdir(parents=True, exist_ok=True)
    files: dict[str, object] = {}
    try:
        for ts, p in trace(n):
            day = datetime.fromtimestamp(ts, timezone.utc)
            month = day.strftime("%Y-%m")
            if month not in files:
                files[month] = open(base / f"{month}.rec", "w")
            iso = day.strftime("%Y-%m-%dT%H:%M:%SZ")
            files[month].write(f"{iso}\t*                 \t{json.dumps(p, separators=(',', ':'))}\n")
    finally:
        for f in files.values():
            f.close()


def cpu_s(pid: int | None) -> float:
    """CPU seconds (user + system, all threads) a process has used so far; 0 without one."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def curl(url: str, user: str | None, pid: int | None = None) -> tuple[float, float, int, float]:
    """(time to first byte, total, bytes, the server's CPU seconds) of one GET, as curl
    measures it. The CPU figure does not grow with the machine's load as wall time does."""
    before = cpu_s(pid)
    cmd = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_starttransfer} %{time_total} "
           "%{size_download} %{http_code}", url]
    if user:
        cmd[1:1] = ["-u", user]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    if out[3] != "200":
        raise RuntimeError(f"{url} answered {out[3]}")
    return float(out[0]), float(out[1]), int(out[2]), cpu_s(pid) - before


class Server:
    """One server answering the Recorder API: the box, or the Recorder itself."""

    def __init__(self, label: str, base: str, user: str | None, target_s: float | None,
                 pid: int | None = None):
        self.label, self.base, self.user, self.target_s = label, base, user, target_s
        self.pid = pid  # whose CPU time is read around each request

    def url(self, fmt: str, last: int) -> str:
        to = datetime.fromtimestamp(last + 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        return (f"{self.base}/api/0/locations?user=alice&device=phone&from=2024-12-01"
                f"&to={to}&format={fmt}")


def measure(servers: list[Server], formats, runs: int, last: int) -> None:
    """Each format, ``runs`` times, the servers taking turns: on a shared machine both see
    the same load, so the side-by-side holds even when the absolute figures drift."""
    for fmt in formats:
        samples: dict[str, list] = {s.label: [] for s in servers}
        for server in servers:
            curl(server.url(fmt, last), server.user)  # warm-up: page cache, password check
        for _ in range(runs):
            for server in servers:
                samples[server.label].append(curl(server.url(fmt, last), server.user,
                                                  server.pid))
        for server in servers:
            _report(server, fmt, samples[server.label])
        if len(servers) == 2:
            a, b = (statistics.median(x[1] for x in samples[s.label]) for s in servers)
            print(f"    {servers[0].label} / {servers[1].label}: {a / b:.2f} of the time")


def _report(server: Server, fmt: str, samples: list) -> None:
    ttfb = statistics.median(s[0] for s in samples)
    total = statistics.median(s[1] for s in samples)
    spread = f"runs {min(s[1] for s in samples):.2f}-{max(s[1] for s in samples):.2f} s"
    target = server.target_s
    line(f"{server.label} {fmt} ({samples[0][2] / 2**20:.0f} MB)",
         f"{ttfb * 1000:,.0f} ms / {total:.2f} s",
         f"total <= {target} s ({spread})" if target else f"- ({spread})",
         total <= target if target else None)
    if server.pid is not None:
        cpu = statistics.median(s[3] for s in samples)
        print(f"    ({server.label}'s CPU time per answer: {cpu:.2f} s, the part of the total "
              "that does not grow with the load of a shared machine)")


class Recorder:
    """An ot-recorder over a store holding the same points (no MQTT, no reverse geocoding:
    the box has none either)."""

    def __init__(self, binary: str, root: Path, n: int):
        self.store = root / "recorder-store"
        write_recorder_store(self.store, n)
        self.docroot = root / "recorder-docroot"  # it refuses to serve without one
        self.docroot.mkdir(exist_ok=True)
        subprocess.run([binary, "--storage", str(self.store), "--initialize"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, "--storage", str(self.store), "--doc-root", str(self.docroot),
             "--http-host", "127.0.0.1", "--http-port", str(self.port), "--port", "0",
             "--norevgeo"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, 20)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--recorder", metavar="OT_RECORDER",
                        help="also time an ot-recorder binary on the same points")
    parser.add_argument("--keep", metavar="DIR", help="keep the data here")
    args = parser.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    root = Path(args.keep or tempfile.mkdtemp(prefix="selfdata-bench-rec-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"/api/0/locations bench on {os.cpu_count()} CPUs (load average "
          f"{os.getloadavg()[0]:.1f}); {args.points:,} points; medians of {args.runs} runs")
    recorder = None
    try:
        started = time.monotonic()
        gw, last = build_box(root, args.points)
        print(f"    (history stored in {time.monotonic() - started:.0f}s)")
        servers = [Server("box", gw.url, f"alice:{PASSWORD}", TARGET_TOTAL_S)]
        if args.recorder:
            recorder = Recorder(args.recorder, root, args.points)
            servers.append(Server("Recorder", f"http://127.0.0.1:{recorder.port}", None, None,
                                  recorder.proc.pid))
        gw.start()
        servers[0].pid = gw.pid
        try:
            measure(servers, formats, args.runs, last)
            print(f"    (gateway RSS after the runs: {gw.rss_kb() / 1024:.1f} MB; load "
                  f"average now {os.getloadavg()[0]:.1f})")
        finally:
            gw.stop()
        if not args.recorder:
            print(f"    (the Recorder, measured earlier on this machine: first byte after "
                  f"{RECORDER_TTFB_S * 1000:.0f} ms, total {TARGET_TOTAL_S} s in json)")
    finally:
        if recorder is not None:
            recorder.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
