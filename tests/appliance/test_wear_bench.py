"""`bench/wear.py` in the default run (issue #12): a real `selfdata serve` with its child
broker, a phone publishing QoS 1 locations, and the bytes the box writes scaled to a day of
one location every 30 s, printed beside the 50 MB/day target. The figure itself is the
bench's to report (docs/operations.md, "Wear"); what is checked here is that it measures
something: every location stored, bytes counted from the serve process, a day's total."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIGURE = re.compile(r"^(?P<label>.+?)\s{2,}(?P<mb>[\d,.]+) MB/day\s*(?P<rest>.*)$")


def figures(out: str) -> dict:
    found = {}
    for text in out.splitlines():
        match = FIGURE.match(text)
        if match:
            found[match["label"].strip()] = (float(match["mb"].replace(",", "")), match["rest"])
    return found


def test_wear_bench_prints_the_bytes_a_day_beside_the_target():
    done = subprocess.run([sys.executable, str(REPO / "bench" / "wear.py"), "--messages", "60"],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    # The bench exits with an error unless every location it sent was stored.
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"^60 locations \(moving, one every [\d.]+ s\) over MQTT", out, re.M), out
    found = figures(out)
    serve, _ = found["serve process write_bytes"]
    _total, target = found["processes, in all"]
    # Sixty stored fixes, each its own commit and fsync, cannot have written nothing: at
    # least one 1 kB WAL frame each, scaled to a day's 2,880.
    assert serve >= 2880 * 1024 / 1e6, out
    assert "target <= 50" in target, out
    if os.geteuid() == 0:
        # As root the data directory is a loop-mounted ext4 and its journal is counted too.
        device, device_target = found["ext4 device, journal included (+ the estimates)"]
        assert device > 0 and "target <= 50" in device_target, out
