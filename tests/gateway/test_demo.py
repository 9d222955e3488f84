"""`./dev demo` as a newcomer meets it: the gateway on a simulated household, started as a
subprocess on free ports in a temporary data dir. What its banner says must work, every
command pointed at its data dir must find the demo's real ports, and the phones' live
replay must make real trips: the test waits two minutes of real time while Alice rides to
work, and checks the trip against the simulation's ground truth."""
from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from gateway import demo
from harness import free_port, require

PARIS = ZoneInfo("Europe/Paris")
BEFORE_ARRIVAL_S = 90   # the replay starts this long before Alice arrives
LIVE_WAIT_S = 150       # real seconds of live replay before the trips are read


def _request(url, user=None, password=None, body: dict | None = None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if user:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, resp.headers, resp.read()


def _selfdata(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "selfdata", *args], capture_output=True,
                          text=True, timeout=120)


def _a_bike_morning():
    """The latest simulated day (today or before) whose first trip of Alice's is one bike
    leg, and that trip (the simulation's ground truth, in simulated time)."""
    today = datetime.now(PARIS).date()
    for back in range(14):
        day = today - timedelta(days=back)
        _, truths = next(itertools.islice(demo.simulated_days("alice", day),
                                          demo.HISTORY_DAYS, None))
        if [leg.mode for leg in truths[0].legs] == ["bike"]:
            return truths[0]
    raise AssertionError("no bike commute in two weeks of simulated days")


def _banner(path, proc, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if "Ctrl-C stops the demo." in text:
            return text
        assert proc.poll() is None, f"the demo exited with {proc.returncode}"
        time.sleep(0.5)
    raise AssertionError(f"no banner within {timeout}s:\n{text}")


def _check_the_banner_login_reports(url: str, banner: str) -> None:
    """Bob's phone login from the banner posts a location through /pub; it is stored."""
    login, password = re.search(r"Bob's phone  login (\S+)  password (\S+)", banner).groups()
    tst = int(time.time()) - 400 * 86400   # long ago: nothing of today's trips changes
    status, headers, _ = _request(url + "/pub", login, password,
                                  {"_type": "location", "lat": 46.1591, "lon": -1.152,
                                   "tst": tst, "tid": "bb"})
    assert status == 200 and "X-Selfdata-Rejected" not in headers
    window = {"user": "bob", "device": login.split("/")[1],
              "from": _utc(tst - 1), "to": _utc(tst + 1)}
    _, _, body = _request(f"{url}/api/0/locations?{urllib.parse.urlencode(window)}",
                          "bob", "bob-demo")
    assert [d["tst"] for d in json.loads(body)["data"]] == [tst]


def _utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _check_commands_find_the_demo(data: str, port: int, mqtt_port: int) -> None:
    doctor = _selfdata("doctor", "--data-dir", data, "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    statuses = {c["name"]: c["status"] for c in json.loads(doctor.stdout)}
    assert statuses["broker"] == statuses["service"] == "ok", statuses
    added = _selfdata("device", "add", "bob", "tablet", "--data-dir", data)
    assert added.returncode == 0, added.stderr
    assert f"port {mqtt_port}" in added.stdout
    assert f"http://127.0.0.1:{port}/pub" in added.stdout
    assert "1883" not in added.stdout and "selfdata.local" not in added.stdout
    stats = json.loads(_selfdata("stats", "--json", "--data-dir", data).stdout)
    sources = stats["fixes_by_source"]
    # Three weeks of history, and both phones reporting through the real paths at once.
    assert sources.get("import:simulator", 0) > 5000
    assert sources.get("owntracks-http", 0) >= 1 and sources.get("owntracks-mqtt", 0) >= 1


def test_the_demo_as_a_newcomer_meets_it(tmp_path):
    require("mosquitto")
    truth = _a_bike_morning()
    replay = datetime.fromtimestamp(truth.end_ts - BEFORE_ARRIVAL_S, PARIS)
    port, data, out = free_port(), str(tmp_path / "demo"), tmp_path / "demo.out"
    with open(out, "w") as stdout, open(tmp_path / "demo.err", "w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "selfdata", "demo", "--port", str(port), "--data-dir", data,
             "--replay-from", replay.strftime("%Y-%m-%dT%H:%M:%S"), "--duration", "600"],
            stdout=stdout, stderr=stderr, text=True)
    try:
        banner = _banner(out, proc, timeout=240)
        live = time.time()
        url = f"http://127.0.0.1:{port}"
        mqtt_port = int(re.search(r"MQTT broker  127\.0\.0\.1:(\d+)", banner).group(1))
        assert "alice / alice-demo" in banner and f"-p {mqtt_port}" in banner
        status, _, page = _request(url + "/", "alice", "alice-demo")
        # `/` is the day view of the member logged in (the household page, issue #10).
        assert status == 200 and b"Alice" in page and b'id="timeline-h"' in page
        _check_the_banner_login_reports(url, banner)
        _check_commands_find_the_demo(data, port, mqtt_port)
        time.sleep(max(0.0, live + LIVE_WAIT_S - time.time()))
        listed = _selfdata("trips", "--member", "alice", "--format", "json", "--data-dir", data)
    finally:
        proc.terminate()
        proc.wait(60)
    assert proc.returncode == 0, (tmp_path / "demo.err").read_text()[-3000:]
    ride = max(json.loads(listed.stdout), key=lambda t: t["end_ts"])
    # The ride ended live, as the simulation has it: by bike, as long and as far.
    assert ride["end_ts"] > live
    assert [leg["mode"] for leg in ride["legs"]] == ["bike"]
    duration = truth.end_ts - truth.start_ts
    assert abs((ride["end_ts"] - ride["start_ts"]) - duration) < 180
    assert abs(ride["distance_m"] - truth.legs[0].distance_m) < 0.3 * truth.legs[0].distance_m
