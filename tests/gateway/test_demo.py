"""`selfdata demo`: a newcomer gets a running household with history and live phones."""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import urllib.request

from harness import free_port, require, wait_port


def _get(url, user=None, password=None):
    req = urllib.request.Request(url)
    if user:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, resp.read()


def test_demo_household_runs_with_history_and_live_phones(tmp_path):
    require("mosquitto")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "selfdata", "demo", "--port", str(port), "--duration", "60",
         "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(port, timeout=60)
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert json.loads(body)["status"] == "ok"
        deadline = time.monotonic() + 30
        sources = {}
        while time.monotonic() < deadline and len(sources) < 3:
            out = subprocess.run([sys.executable, "-m", "selfdata", "stats", "--json",
                                  "--data-dir", str(tmp_path / "demo")],
                                 capture_output=True, text=True, timeout=30)
            sources = json.loads(out.stdout)["fixes_by_source"]
            time.sleep(1)
        # Three weeks of history, and both phones reporting live through the real paths.
        assert sources.get("import:simulator", 0) > 5000
        assert sources.get("owntracks-http", 0) >= 1
        assert sources.get("owntracks-mqtt", 0) >= 1
        status, body = _get(f"http://127.0.0.1:{port}/", "alice", "alice-demo")
        assert status == 200 and b"Hello Alice" in body
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert "alice / alice-demo" in out
