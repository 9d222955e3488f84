"""The city's aggregator under a month's load: 100,000 contributors' monthly summaries sent by
50 concurrent clients over loopback HTTP, on SQLite and on PostgreSQL (a throwaway cluster from
Debian's package), then the time to compute that month's publication.

Keys are enrolled in bulk (straight into the store) but every summary goes through the real
intake: HTTP, parsing, validation, Ed25519 verification, the revision check and the upsert.
Signing happens before the clock starts (it is the boxes' work, not the city's: on a real day
the summaries arrive signed from thousands of boxes); the clients are written on raw asyncio
streams and their own CPU per summary is printed, so that what they take from the two cores
the server shares with them is known.

    .venv/bin/python bench/aggregator.py [--engine sqlite|postgresql|both] [--contributors N]
"""
import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "aggregator"))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from aggregator import publish  # noqa: E402
from aggregator.store import open_store  # noqa: E402
from aggregator.studies import ensure_standing_study  # noqa: E402
from carbon import summary_wire as wire  # noqa: E402
from carbon.communes import COMMUNES  # noqa: E402

TARGET_PG_RATE = 2000


def last_month(today: date) -> str:
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


def body(rng: random.Random) -> dict:
    metres = {f: 0 for f in wire.FAMILIES}
    metres.update(active=rng.randrange(0, 200_000), car=rng.randrange(0, 1_500_000),
                  public_transport=rng.randrange(0, 300_000))
    grams = {f: 0 for f in wire.FAMILIES}
    grams.update(active=metres["active"] // 200, car=metres["car"] * 142 // 1000,
                 public_transport=metres["public_transport"] * 147 // 1000)
    b = {"factor_version": "2026-07", "trips": rng.randrange(0, 120), "distance_m": metres,
         "co2e_g": grams, "avoided_co2e_g": metres["active"] * 142 // 1000,
         "bike_days": rng.randrange(0, 20)}
    if rng.random() < 0.8:
        b["commune"] = rng.choice(sorted(COMMUNES))
    return b


def prepare(n: int, month: str):
    """n keys and their signed summaries, already in canonical bytes."""
    rng = random.Random(7)
    enrolled, payloads = [], []
    for _ in range(n):
        key = Ed25519PrivateKey.generate()
        public = key.public_key().public_bytes_raw()
        pseudonym = wire.pseudonym_of(public)
        env = wire.envelope(pseudonym, wire.STANDING_STUDY_ID, month, 1, body(rng))
        env["sig"] = wire.b64(key.sign(wire.signing_bytes(env)))
        enrolled.append((pseudonym, wire.b64(public)))
        payloads.append(wire.canonical(env))
    return enrolled, payloads


async def bulk_enrol(data_dir: str, dsn, enrolled) -> None:
    store = await open_store(data_dir, dsn)
    await ensure_standing_study(store)
    for i in range(0, len(enrolled), 10_000):
        await store.add_contributors(enrolled[i:i + 10_000])
    await store.close()


def cpu_seconds(match) -> float:
    """CPU time used so far by the processes whose command line matches (server, PostgreSQL):
    with other work on the machine, CPU per summary says more than the wall-clock rate."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if match(cmd):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def is_server(cmd: str) -> bool:
    return "aggregator.cli serve" in cmd


def is_postgres(cmd: str) -> bool:
    return cmd.startswith("postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: str, dsn, port: int, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "aggregator.cli", "serve", "--data-dir", data_dir,
           "--port", str(port), "--publish-every", "0", "--workers", str(workers)]
    cmd += ["--dsn", dsn] if dsn else []
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the aggregator did not start")


async def _client(port: int, payloads, latencies: list) -> int:
    """One keep-alive HTTP/1.1 connection posting summaries one after the other. Written on
    raw asyncio streams so the clients (the boxes, elsewhere in real life) take as little of
    this machine's two cores as possible from the server being measured."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    refused = 0
    for data in payloads:
        t0 = time.perf_counter()
        writer.write(b"POST /summaries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                     b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
        status = int((await reader.readline()).split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - t0)
        refused += status != 200
    writer.close()
    return refused


async def send_all(port: int, payloads: list, clients: int):
    latencies = []
    queue = iter(payloads)    # shared: each client takes the next summary when it is free
    t0 = time.perf_counter()
    refused = await asyncio.gather(*(_client(port, queue, latencies) for _ in range(clients)))
    return time.perf_counter() - t0, latencies, sum(refused)


async def time_publication(data_dir: str, dsn, month: str) -> tuple:
    store = await open_store(data_dir, dsn)
    study = (await store.studies())[wire.STANDING_STUDY_ID]
    t0 = time.perf_counter()
    outcome = await publish.publish_month(store, study, month)
    elapsed = time.perf_counter() - t0
    await store.close()
    return elapsed, outcome


def run_engine(engine: str, n: int, clients: int, prepared, month: str, workers: int) -> None:
    enrolled, payloads = prepared
    cluster = None
    with tempfile.TemporaryDirectory(prefix="bench-aggregator-") as tmp:
        data_dir, dsn = os.path.join(tmp, "city"), None
        if engine == "postgresql":
            from pg_cluster import Cluster
            cluster = Cluster().start()
            dsn = cluster.create_database("bench")
        try:
            asyncio.run(bulk_enrol(data_dir, dsn, enrolled))
            port = free_port()
            server = start_server(data_dir, dsn, port, workers)
            try:
                time.sleep(1.0)   # the workers' own start-up is not intake
                cpu0 = cpu_seconds(is_server), cpu_seconds(is_postgres), time.process_time()
                load0 = os.getloadavg()[0]
                elapsed, lat, failures = asyncio.run(send_all(port, payloads, clients))
                client_ms = (time.process_time() - cpu0[2]) / n * 1000
                server_ms = (cpu_seconds(is_server) - cpu0[0]) / n * 1000
                pg_ms = (cpu_seconds(is_postgres) - cpu0[1]) / n * 1000
                load = (load0 + os.getloadavg()[0]) / 2
            finally:
                server.terminate()
                server.wait(timeout=30)
            pub_s, outcome = asyncio.run(time_publication(data_dir, dsn, month))
        finally:
            if cluster:
                cluster.stop()
    rate = n / elapsed
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] * 1000
    target = f"target >= {TARGET_PG_RATE:,}/s" if engine == "postgresql" else "no target (SQLite is the small default)"
    print(f"[{engine}] intake ({workers} server process{'es' if workers > 1 else ''}): "
          f"{n:,} summaries from {clients} clients in {elapsed:.1f} s = "
          f"{rate:,.0f} summaries/s ({target}); refused {failures}")
    db = f" + PostgreSQL {pg_ms:.2f} ms" if engine == "postgresql" else ""
    # Two cores for everything, and a server process uses at most one of them.
    ceiling = min(2000 / (server_ms + (pg_ms if engine == "postgresql" else 0)),
                  min(workers, 2) * 1000 / server_ms)
    print(f"[{engine}] CPU per summary: server {server_ms:.2f} ms{db}; on two idle cores that "
          f"is a ceiling of about {ceiling:,.0f}/s (machine load average during the run "
          f"{load:.1f} on 2 cores: other work was running)")
    print(f"[{engine}] the 50 clients (this process, the boxes' side) took {client_ms:.2f} ms of "
          f"CPU per summary on the same cores: {client_ms / (server_ms + client_ms) * 100:.0f}% "
          f"of the server's and their own")
    print(f"[{engine}] latency: p50 {statistics.median(lat) * 1000:.1f} ms, p99 {p99:.1f} ms "
          f"(no target in the issue)")
    print(f"[{engine}] publication of {month} over {n:,} contributors: {pub_s:.2f} s "
          f"(no target in the issue; {outcome['reason']}, release {outcome['released']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--contributors", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--workers", type=int, default=0,
                    help="server processes (default: 1 on SQLite, 2 on PostgreSQL)")
    args = ap.parse_args()
    month = last_month(date.today())
    t0 = time.perf_counter()
    prepared = prepare(args.contributors, month)
    print(f"prepared {args.contributors:,} keys and signed summaries for {month} "
          f"in {time.perf_counter() - t0:.1f} s (not measured)")
    for engine in (("sqlite", "postgresql") if args.engine == "both" else (args.engine,)):
        workers = args.workers or (1 if engine == "sqlite" else 2)
        run_engine(engine, args.contributors, args.clients, prepared, month, workers)


if __name__ == "__main__":
    main()
