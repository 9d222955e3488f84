"""Upload benchmark (the member's import from the household page, issue #7; `bench/import.py`
is the command line's import with its trip phase, issue #9): the review's hostile uploads, then a 1,000,000-point Google ``Records.json``
(about 300 MB), each posted to a real `selfdata serve`.

    .venv/bin/python bench/upload.py [--points N] [--keep DIR] [--no-bombs | --only-bombs]

Generates the file (realistic, indented like Takeout's, a third of the records with an
``activity`` array, a mix of ``timestamp`` with and without milliseconds), starts the
gateway on a fresh household, and uploads it through ``POST /api/1/imports`` (streamed from
disk, as a browser does) while a phone posts its position to ``/pub`` every 100 ms (every
2 s once the import has ended, so that the trip pipeline finds its quiet moment). Reports
the upload and import times, points per second, the **peak resident memory of the service**
(the gateway process's VmHWM, reset before each upload and read once the service is quiet
again: the trips of the import are computed by the service itself) and, separately, of the
import child (`peak_memory_mb` in the job) with its processor time, and the phone's worst
and 99th percentile latency during the upload and import and then during the trips, each
beside its target. The time ``json.load`` alone takes on the same file is printed for
comparison (in a child, with its memory).

First each bomb of ``bench/bombs.py`` (nesting, 30 million numbers in one item, a 300 MiB
GPX ``<desc>`` and ``.rec`` line, a 1,000- and a 4,000-file Takeout, a zip bomb, a gzip
bomb) is uploaded the same way (by another member), with what the job's report said about
it; the realistic file comes last, since the trips of a million points keep the service
busy for minutes after their import.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "gateway" / "ingest"),
                str(Path(__file__).resolve().parent)]
import bombs  # noqa: E402
from records import CHILD_JSON, child, generate  # noqa: E402
from gateway_process import GatewayProcess  # noqa: E402
from harness import PASSWORD, Household, free_port, make_config  # noqa: E402
from helpers import basic, location  # noqa: E402

TARGET_S = 30.0
TARGET_MB = 150.0
SETTLE_S = 300.0           # the longest the bench waits for the trips after an import
TARGET_PHONE_MS = 1000.0   # a phone's post answered within a second while an import runs

# (label, file name, builder) in the order printed; each builder writes the given path.
BOMBS = (
    ("JSON nested 20,000 deep (gz)", "deep.json.gz", lambda p: bombs.deep_json(p, 20_000)),
    ("JSON nested 2,000,000 deep (gz)", "deeper.json.gz", lambda p: bombs.deep_json(p, 2_000_000)),
    ("one item of 30M numbers (gz)", "numbers.json.gz", bombs.many_numbers),
    ("GPX with a 300 MiB <desc> (gz)", "desc.gpx.gz", bombs.gpx_desc),
    (".rec with a 300 MiB line (gz)", "line.rec.gz", bombs.rec_line),
    ("Takeout zip, 1,000 files", "takeout-1000.zip", lambda p: bombs.many_members(p, 1000)),
    ("Takeout zip, 4,000 files", "takeout-4000.zip", lambda p: bombs.many_members(p, 4000)),
    ("zip bomb (1 GiB member)", "zipbomb.zip", lambda p: bombs.zip_bomb(p, 1024)),
    ("gzip bomb (1 GiB of blanks)", "gzbomb.json.gz", bombs.gzip_bomb),
)


class Service:
    """A fresh household (alice and bob, a phone each) served by a real `selfdata serve`."""

    def __init__(self, work: Path):
        config = make_config(work / "box")
        self.secret = Household(config).secrets["alice/phone"]
        self.db = config.db_path
        self.proc = GatewayProcess(config.data_dir, free_port(), log_level="WARNING")

    def __enter__(self):
        self.proc.start()
        return self

    def __exit__(self, *exc):
        self.proc.stop()

    def status(self, key: str) -> int:
        for row in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if row.startswith(key + ":"):
                return int(row.split()[1])
        return 0

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(") ", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def settle(self, timeout: float = SETTLE_S) -> float:
        """Wait until the service is quiet again (the trips of the import computed: the
        pipeline runs in the service, after a 2 s debounce): under 5% of a CPU for three
        seconds in a row. Seconds waited."""
        t0, quiet = time.perf_counter(), 0
        last = self.cpu_s()
        time.sleep(3.0)                       # the pipeline's debounce, then its start
        while time.perf_counter() - t0 < timeout and quiet < 3:
            time.sleep(1.0)
            now = self.cpu_s()
            quiet = quiet + 1 if now - last < 0.05 else 0
            last = now
        return time.perf_counter() - t0 - quiet

    def reset_peak(self) -> bool:
        """Reset VmHWM (Linux: 5 > clear_refs), so each upload's peak is its own."""
        try:
            Path(f"/proc/{self.proc.pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def upload(self, path: Path, member: str) -> dict:
        """POST the file streamed from disk; the 202's job."""
        conn = http.client.HTTPConnection("127.0.0.1", self.proc.web_port, timeout=600)
        with open(path, "rb") as body:
            conn.request("POST", "/api/1/imports", body=body, headers={
                **basic(member, PASSWORD), "Content-Length": str(path.stat().st_size)})
            r = conn.getresponse()
            job = json.loads(r.read())
        conn.close()
        if r.status != 202:
            raise RuntimeError(f"upload refused: {r.status} {job}")
        return job

    def job(self, job_id: int, member: str) -> dict:
        req = urllib.request.Request(f"{self.proc.url}/api/1/imports/{job_id}",
                                     headers=basic(member, PASSWORD))
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def wait(self, job_id: int, member: str) -> dict:
        """The finished job, with its child's peak (written as it ends, or just after)."""
        ended = None
        while True:
            job = self.job(job_id, member)
            if job["status"] != "running":
                ended = ended or time.monotonic()
                if job["peak_memory_mb"] is not None or time.monotonic() - ended > 5:
                    return job
            time.sleep(0.2)


class ChildCpu(threading.Thread):
    """The import child's processor time, read from /proc until it exits (on a machine
    shared with other work, wall time alone says little)."""

    def __init__(self, db: Path, job_id: int):
        super().__init__(daemon=True)
        self.db, self.job_id, self.cpu_s = db, job_id, 0.0

    def run(self):
        pid = None
        while pid is None:
            conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
            pid = conn.execute("SELECT pid FROM import_jobs WHERE id = ?",
                               (self.job_id,)).fetchone()[0]
            conn.close()
            time.sleep(0.05)
        while True:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
            except OSError:
                return
            if fields[0] == "Z":
                return
            self.cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            time.sleep(0.1)


class PhoneLoop(threading.Thread):
    """A phone posting its position every 100 ms; the time each post took to be answered
    (stored: the gateway answers only after the commit)."""

    def __init__(self, service: Service, ts0: int):
        super().__init__(daemon=True)
        self.service, self.ts = service, ts0
        self.latencies, self.failures = [], []     # (when, seconds), when
        self.done = threading.Event()
        self.marked = None

    def run(self):
        auth = basic("alice/phone", self.service.secret)
        while not self.done.is_set():
            self.ts += 1
            body = json.dumps(location(self.ts)).encode()
            req = urllib.request.Request(self.service.proc.url + "/pub", data=body, headers={
                **auth, "Content-Type": "application/json"})
            t0 = time.perf_counter()
            try:
                urllib.request.urlopen(req, timeout=30).read()
                self.latencies.append((t0, time.perf_counter() - t0))
            except OSError:
                self.failures.append(t0)
            # Every 2 s once the import has ended: a post every 100 ms would keep the trip
            # pipeline deferring itself (it waits for a quiet moment between commits).
            self.done.wait(0.1 if self.marked is None else 2.0)

    def mark(self) -> None:
        """The import has ended: later posts wait for the trips, not for the import."""
        self.marked = time.perf_counter()

    def stop(self) -> str:
        self.done.set()
        self.join()
        cut = self.marked or float("inf")
        during = self._line([s for t, s in self.latencies if t < cut],
                            sum(1 for t in self.failures if t < cut))
        after = self._line([s for t, s in self.latencies if t >= cut],
                           sum(1 for t in self.failures if t >= cut))
        return f"phone /pub during the upload and import: {during}\n" \
               f"    phone /pub while the service computed the trips: {after}"

    @staticmethod
    def _line(lat: list, failures: int) -> str:
        if not lat:
            return f"no posts answered, {failures} failed"
        lat = sorted(lat)
        p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        worst = lat[-1] * 1000
        ok = "OK " if worst <= TARGET_PHONE_MS and not failures else "MISS"
        return (f"{len(lat)} posts, median {statistics.median(lat) * 1000:.0f} ms, p99 "
                f"{p99 * 1000:.0f} ms, worst {worst:.0f} ms {ok} (<= {TARGET_PHONE_MS:.0f} ms),"
                f" {failures} failed")


def through_http(service: Service, path: Path, ts0: int, member: str) -> dict:
    """``member`` uploads ``path`` while alice's phone posts; times, peaks and the job."""
    exact = service.reset_peak()
    phone = PhoneLoop(service, ts0)
    phone.start()
    t0 = time.perf_counter()
    job = service.upload(path, member)
    uploaded = time.perf_counter() - t0
    cpu = ChildCpu(service.db, job["id"])
    cpu.start()
    job = service.wait(job["id"], member)
    total = time.perf_counter() - t0
    cpu.join(10)
    phone.mark()
    trips_s = service.settle()
    return {"job": job, "upload_s": uploaded, "import_s": total - uploaded, "total_s": total,
            "child_cpu_s": cpu.cpu_s,
            "trips_s": trips_s, "service_mb": service.status("VmHWM") / 1024,
            "exact_peak": exact, "phone": phone.stop()}


def _mb_verdict(mb: float | None) -> str:
    return "?" if mb is None else ("OK " if mb <= TARGET_MB else "MISS")


def _verdict(job: dict) -> str:
    """What the job said about the file, in one line."""
    if job["note"]:
        return job["note"][:160]
    for f in (job["report"] or {}).get("files", []):
        said = f["refused"] or f["stopped"]
        if said:
            return said[:160]
        if f["rejected"]:
            reason, count = next(iter(f["rejected"].items()))
            return f"rejected {count} x {reason!r} at {f['rejected_examples'][reason][0]}"
    return f"{len((job['report'] or {}).get('files', []))} file(s) read, nothing refused"


def print_peaks(out: dict) -> None:
    job, service_mb = out["job"], out["service_mb"]
    child_mb = job["peak_memory_mb"]
    note = "" if out["exact_peak"] else " (peak since start: clear_refs unavailable)"
    capped = " (still busy: the bench stopped waiting)" if out["trips_s"] >= SETTLE_S else ""
    print(f"    then the service computed the trips, quiet again after {out['trips_s']:.0f} s"
          f"{capped}")
    print(f"    service (gateway process) peak RSS {service_mb:5.0f} MB {_mb_verdict(service_mb)}"
          f"   import child peak RSS {child_mb or 0:5.0f} MB {_mb_verdict(child_mb)}"
          f"   (target <= {TARGET_MB:.0f} MB each){note}")
    print(f"    {out['phone']}", flush=True)


def realistic(service: Service, work: Path, args) -> None:
    records = work / "Records.json"
    t0 = time.perf_counter()
    size = generate(records, args.points)
    print(f"generated {records} : {args.points:,} points, {size / 1e6:.0f} MB "
          f"in {time.perf_counter() - t0:.1f} s")
    out = through_http(service, records, int(time.time()) - 40 * 86400, "alice")
    job = out["job"]
    rate = job["fixes"] / out["import_s"] if out["import_s"] else 0
    print(f"upload      : {out['upload_s']:6.1f} s  ({size / 1e6 / out['upload_s']:.0f} MB/s "
          "over loopback)")
    print(f"import      : {out['import_s']:6.1f} s  {rate:10,.0f} points/s  "
          f"({job['fixes']:,} fixes, {job['rejected']} rejected, status {job['status']}); "
          f"the child's processor time {out['child_cpu_s']:.1f} s")
    print(f"targets     : {'OK ' if out['total_s'] <= TARGET_S else 'MISS'} upload + import "
          f"{out['total_s']:.1f} s <= {TARGET_S:.0f} s; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print_peaks(out)
    if not args.skip_json_load:
        js = child(CHILD_JSON, records)
        print(f"json.load   : {js['elapsed']:6.1f} s  (parse only, no store)   peak RSS "
              f"{js['hwm_kb'] / 1024:6.0f} MB")
    print(f"database    : {service.db.stat().st_size / 1e6:.0f} MB")
    records.unlink()


def run_bombs(service: Service, work: Path, only=None) -> None:
    print(f"\nbombs through POST /api/1/imports: time, peak RSS of the service and of the import "
          f"child (target <= {TARGET_MB:.0f} MB whatever the input)")
    for i, (label, name, build) in enumerate(BOMBS):
        if only and not any(word in label for word in only):
            continue
        path = build(work / name)
        # bob's: each bomb's trips are computed over bob's small history, not alice's file.
        out = through_http(service, path, int(time.time()) - 30 * 86400 + 20_000 * i, "bob")
        job = out["job"]
        print(f"  {label:33s} {path.stat().st_size / 1e6:6.2f} MB on disk  "
              f"{out['total_s']:5.1f} s (child cpu {out['child_cpu_s']:4.1f} s)  "
              f"{job['status']}, fixes {job['fixes']:,}\n"
              f"    {_verdict(job)}")
        print_peaks(out)
        path.unlink()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    ap.add_argument("--skip-json-load", action="store_true")
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--no-bombs", action="store_true", help="only the realistic file")
    group.add_argument("--only-bombs", action="store_true", help="only the hostile uploads")
    ap.add_argument("--bomb", action="append", metavar="WORD",
                    help="only the bombs whose label holds WORD (repeatable)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        with Service(work) as service:
            print(f"service idle: RSS {service.status('VmRSS') / 1024:.0f} MB")
            # The bombs first: the trips of a million points keep the service busy for
            # minutes after their import, and would weigh on every figure after them.
            if not args.no_bombs:
                run_bombs(service, work, args.bomb)
            if not args.only_bombs:
                realistic(service, work, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
