"""The hostile uploads of the review, built small on disk, and a child process to import one.

Each builder writes a file and returns what a bounded importer must say about it. Large
bodies are written as gzip members repeated (gzip allows any number back to back), so a
300 MiB ``<desc>`` is a few MB on disk and takes no time to build; its filler compresses
about 50x, under the 100x a compression bomb is refused at, so it is the reader that
must drop it. Used by ``tests/portability/test_bombs.py`` and ``bench/import.py``.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
T0 = 1714636800                                  # 2024-05-02T08:00:00Z
MIB = 1 << 20
_DIGITS = bytes(48 + i % 10 for i in range(256))


def iso(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def record(ts: int) -> dict:
    return {"latitudeE7": 461600000 + ts % 1000, "longitudeE7": -11500000, "accuracy": 10,
            "timestamp": iso(ts)}


def _record_bytes(ts: int) -> bytes:
    return json.dumps(record(ts)).encode()


def _filler_member(size: int = MIB) -> bytes:
    """One gzip member of ``size`` bytes of digits and x's (no markup, quotes or newlines),
    compressing ~50x: random enough that it is no compression bomb."""
    digits = os.urandom(size // 50).translate(_DIGITS)
    body = b"".join(digits[i:i + 4] + b"x" * 196 for i in range(0, len(digits), 4))[:size]
    return gzip.compress(body.ljust(size, b"x"), 1)


def _write_members(path: Path, head: bytes, filler_mib: int, tail: bytes) -> Path:
    member = _filler_member()
    with open(path, "wb") as f:
        f.write(gzip.compress(head))
        for _ in range(filler_mib):
            f.write(member)
        f.write(gzip.compress(tail))
    return path


# ----- JSON

def deep_json(path: Path, depth: int, good: int = 0) -> Path:
    """A gzipped Records.json whose first item nests ``depth`` arrays deep (``good`` good
    records before and after it). 20,000 deep gzips to ~100 bytes."""
    records = [_record_bytes(T0 + 60 * i) for i in range(2 * good)]
    body = (b'{"locations": [' + b"".join(r + b", " for r in records[:good])
            + b"[" * depth + b"]" * depth
            + b"".join(b", " + r for r in records[good:]) + b"]}")
    path.write_bytes(gzip.compress(body, 9))
    return path


def many_numbers(path: Path, numbers: int = 30_000_000) -> Path:
    """A gzipped Records.json with one item holding ``numbers`` numbers between two good
    records (the review's: 30 million, 57 KiB gzipped)."""
    bad = (b'{"latitudeE7": 461600000, "longitudeE7": -11500000, "timestamp": "'
           + iso(T0 + 60).encode() + b'", "x": [' + b"0," * (numbers - 1) + b"0]}")
    body = (b'{"locations": [' + _record_bytes(T0) + b", " + bad + b", "
            + _record_bytes(T0 + 120) + b"]}")
    path.write_bytes(gzip.compress(body, 6))
    return path


# ----- XML and lines

_GPX_POINT = '<trkpt lat="46.16" lon="-1.15"><time>{}</time></trkpt>'


def gpx_desc(path: Path, mib: int = 300) -> Path:
    """A gzipped GPX: a track point, a ``mib`` MiB ``<desc>``, another track point."""
    head = ('<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
            f'<trk><trkseg>{_GPX_POINT.format(iso(T0))}'
            '<trkpt lat="46.17" lon="-1.16"><time>' + iso(T0 + 60) + '</time><desc>')
    tail = f"</desc></trkpt>{_GPX_POINT.format(iso(T0 + 120))}</trkseg></trk></gpx>"
    return _write_members(path, head.encode(), mib, tail.encode())


_REC = '{}\t*                 \t{{"_type":"location","tst":{},"lat":46.16,"lon":-1.15}}\n'


def rec_line(path: Path, mib: int = 300) -> Path:
    """A gzipped OwnTracks .rec: a good line, a ``mib`` MiB line, a good line."""
    head = (_REC.format(iso(T0), T0) + iso(T0 + 60) + "\t*\t").encode()
    tail = ("\n" + _REC.format(iso(T0 + 120), T0 + 120)).encode()
    return _write_members(path, head, mib, tail)


# ----- zips

def many_members(path: Path, members: int = 4000, location_every: int = 1) -> Path:
    """A Takeout-like zip of ``members`` files: every ``location_every``-th a Semantic
    Location History file with one visit, the others photos (as in a whole Takeout)."""
    photo = b"\xff\xd8\xff\xe0" + os.urandom(2000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            if i % location_every:
                zf.writestr(f"Takeout/Google Photos/IMG_{i:05d}.jpg", photo)
                continue
            start = T0 + 3600 * i
            zf.writestr(f"Takeout/Location History/Semantic Location History/{i:05d}.json",
                        json.dumps({"timelineObjects": [{"placeVisit": {
                            "location": {"latitudeE7": 461600000, "longitudeE7": -11500000},
                            "duration": {"startTimestamp": iso(start),
                                         "endTimestamp": iso(start + 600)}}}]}))
    return path


def zip_bomb(path: Path, mib: int = 256) -> Path:
    """A zip with a good Records.json and a ``mib`` MiB member of zeros (~1,000x)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("Takeout/Records.json", json.dumps({"locations": [record(T0)]}))
        with zf.open("Takeout/bomb.json", "w", force_zip64=True) as f:
            block = b"0" * MIB
            for _ in range(mib):
                f.write(block)
    return path


def gzip_bomb(path: Path, mib: int = 1024) -> Path:
    """A gzipped Records.json: two good records, then ``mib`` MiB of blanks (~1,000x)."""
    head = b'{"locations": [' + _record_bytes(T0) + b", " + _record_bytes(T0 + 60)
    member = gzip.compress(b" " * MIB, 9)
    with open(path, "wb") as f:
        f.write(gzip.compress(head))
        for _ in range(mib):
            f.write(member)
        f.write(gzip.compress(b"]}"))
    return path


def entity_gpx(path: Path, external: bool = False) -> Path:
    """Billion laughs (nine levels of ten) or an external entity (XXE) in a GPX."""
    if external:
        dtd = '<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        use = "&xxe;"
    else:
        dtd = '<!ENTITY lol0 "lol">' + "".join(
            f'<!ENTITY lol{k} "{("&lol" + str(k - 1) + ";") * 10}">' for k in range(1, 10))
        use = "&lol9;"
    path.write_text(f'<?xml version="1.0"?><!DOCTYPE gpx [{dtd}]><gpx version="1.1"><trk>'
                    f'<trkseg>{_GPX_POINT.format(iso(T0))}<trkpt lat="1" lon="1"><time>'
                    f'{iso(T0 + 60)}</time><desc>{use}</desc></trkpt></trkseg></trk></gpx>')
    return path


# ----- importing one in a child process

_CHILD = """
import json, sys, time
from gateway import accounts
from gateway.portability.importing import Importer
from gateway.store import Store
store = Store(sys.argv[1]).open()
with store.transaction() as conn:
    accounts.add_member(conn, "alice", None)
t0, c0 = time.perf_counter(), time.process_time()
report = Importer(store, "alice", run_pipeline=False).run(sys.argv[2:])
elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
status = open("/proc/self/status").read().split("\\n")
hwm = next(int(l.split()[1]) for l in status if l.startswith("VmHWM"))
print(json.dumps({"report": report.as_dict(), "elapsed": elapsed, "cpu": cpu,
                  "peak_mb": hwm / 1024}))
"""


def import_in_child(db: Path, *paths, timeout: float = 300) -> dict:
    """Run the real importer on ``paths`` in a fresh interpreter; its report, wall and CPU
    time and peak resident memory (VmHWM, MB)."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", _CHILD, str(db), *map(str, paths)], env=env,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"the import child failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
