"""`selfdata link ...` as a household runs it, against `selfdata-aggregator serve` in its own
process: enrol, see the studies, join two studies (one only wants bike days), preview in JSON
and in French words, send, read the ledger and the status, compare with households like
yours, leave one study with deletion, revoke; and the mistakes a person makes, each with a
sentence."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from link_boxes import Member, make_box

SELFDATA = Path(sys.executable).with_name("selfdata")
AGGREGATOR = Path(sys.executable).with_name("selfdata-aggregator")
BIKE_STUDY = """
id = "velo-2026"
title = "Vélo au travail"
purpose = "Count the days people bike to work, to size the forfait mobilités durables."
fields = ["bike_days", "commune"]
k = 5
runs_it = "Ville de La Rochelle, service mobilité"

[period]
from = "2026-01"
to = "2026-12"
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def aggregator(tmp_path):
    data = str(tmp_path / "city")
    run = lambda *a: subprocess.run([str(AGGREGATOR), *a, "--data-dir", data], check=True,  # noqa: E731
                                    capture_output=True, text=True, timeout=120).stdout
    tokens = run("token", "new", "--count", "3").split()
    (tmp_path / "velo.toml").write_text(BIKE_STUDY)
    run("study", "add", str(tmp_path / "velo.toml"))
    port = _port()
    proc = subprocess.Popen([str(AGGREGATOR), "serve", "--data-dir", data, "--port", str(port),
                             "--k", "5", "--publish-every", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/status", timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None, "aggregator did not start"
            time.sleep(0.1)
    yield url, tokens
    proc.terminate()
    proc.wait(30)


def link(box, *args, ok=True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELFDATA_")}
    done = subprocess.run([str(SELFDATA), "link", *args, "--data-dir", str(box.data_dir)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert (done.returncode == 0) == ok, done.stderr or done.stdout
    return done


def test_the_link_commands_against_the_city_s_server(tmp_path, aggregator):
    url, tokens = aggregator
    box = make_box(tmp_path / "box", "maison-dupont", [Member("alice"), Member("bob", "bob")])

    # mistakes: not enrolled yet, a token mistyped, then enrolled
    assert "not enrolled" in link(box, "join", "--member", "alice", ok=False).stderr
    assert "is not an enrolment token" in link(box, "enrol", url, "1234", "--member", "alice",
                                               ok=False).stderr
    out = link(box, "enrol", url, tokens[0], "--member", "alice").stdout
    assert "alice enrolled with" in out and "carbon-monthly, velo-2026" in out
    assert "already enrolled" in link(box, "enrol", url, tokens[1], "--member", "alice",
                                      ok=False).stderr
    link(box, "enrol", url, tokens[1], "--member", "bob")   # bob enrols but joins nothing
    studies = link(box, "studies", "--member", "alice").stdout
    assert "velo-2026: Vélo au travail" in studies and "days with a commute mainly by bike" in studies

    # alice joins both studies from March, her commune only for the bike study
    joined = link(box, "join", "--member", "alice", "--from", "2026-03").stdout
    assert "joined carbon-monthly" in joined and "without the commune" in joined
    assert '"month":"2026-03"' in joined                       # the exact bytes shown
    link(box, "join", "--member", "alice", "--study", "velo-2026", "--commune", "--from", "2026-03")
    assert "publishes no study" in link(box, "join", "--member", "alice", "--study", "nope-2026",
                                        ok=False).stderr

    preview = json.loads(link(box, "preview", "--member", "alice", "--month", "2026-03",
                              "--json", "--lang", "fr").stdout)
    by_study = {s["study"]: s for s in preview["studies"]}
    assert set(by_study["velo-2026"]["message"]["body"]) == {"bike_days", "commune", "factor_version"}
    assert "commune" not in by_study["carbon-monthly"]["message"]["body"]
    assert "Commune du domicile: La Rochelle (17300)" in by_study["velo-2026"]["words"]
    words = link(box, "preview", "--member", "alice", "--month", "2026-03").stdout
    assert by_study["carbon-monthly"]["wire"] in words.splitlines()   # the bytes, on their own line

    assert "goes after" in link(box, "send").stdout            # queued, each at its moment
    sent = link(box, "send", "--now").stdout
    assert sent.count("stored") == 4                           # two studies, March and April
    ledger = json.loads(link(box, "ledger", "--member", "alice", "--json").stdout)
    assert sorted((g["study"], g["month"]) for g in ledger) == [
        ("carbon-monthly", "2026-03"), ("carbon-monthly", "2026-04"),
        ("velo-2026", "2026-03"), ("velo-2026", "2026-04")]
    assert all(g["receipt"]["type"] == "receipt" and g["receipt"]["status"] == "stored" for g in ledger)
    assert {g["message"]["body"]["commune"] for g in ledger if g["study"] == "velo-2026"} == {"17300"}
    assert "nothing was sent for bob" in link(box, "ledger", "--member", "bob").stdout
    assert "nothing is due" in link(box, "send").stdout       # sent once, not again
    status = link(box, "status").stdout
    assert "alice ->" in status and "4 sent" in status and "bob ->" in status and "0 sent" in status

    compare = link(box, "compare", "--member", "alice").stdout
    assert "your commune: La Rochelle (17300)" in compare and "nothing published" in compare

    left = link(box, "leave", "--member", "alice", "--study", "velo-2026", "--delete").stdout
    assert "left velo-2026" in left and "deleted by the city, 2 contributions cleared" in left
    revoked = link(box, "revoke", "--member", "alice").stdout
    assert "revocation: revoked by the city" in revoked
    assert list((box.data_dir / "keys").glob("*.pem")) != []   # bob's key stays
    assert len(list((box.data_dir / "keys").glob("*.pem"))) == 1
    assert "not enrolled" in link(box, "preview", "--member", "alice", "--month", "2026-03",
                                  ok=False).stderr
    assert "nothing is due" in link(box, "send").stdout
