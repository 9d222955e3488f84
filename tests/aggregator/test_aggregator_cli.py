"""`selfdata-aggregator` as a city runs it: tokens, a study from TOML, serve, revoke, publish."""
import asyncio
import json
import socket
import subprocess
import sys
import time

import aiohttp

from box_client import Member

STUDY_TOML = """
id = "velo-2026"
title = "Vélo au travail"
purpose = "Count the days people bike to work, to size the forfait mobilités durables."
fields = ["bike_days", "commune"]
k = 12
runs_it = "Ville de La Rochelle, service mobilité"

[period]
from = "2026-01"
to = "2026-12"
"""


def cli(*args, check=True):
    return subprocess.run([sys.executable, "-m", "aggregator.cli", *args], capture_output=True,
                          text=True, timeout=120, check=check)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_commands_drive_a_real_server(tmp_path, dsn):
    data = str(tmp_path / "city")
    store_args = ["--data-dir", data] + (["--dsn", dsn] if dsn else [])
    tokens = cli("token", "new", *store_args, "--count", "3").stdout.split()
    assert len(tokens) == 3 and len(set(tokens)) == 3
    (tmp_path / "velo.toml").write_text(STUDY_TOML)
    assert "study velo-2026 published" in cli("study", "add", str(tmp_path / "velo.toml"), *store_args).stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(STUDY_TOML.replace('"bike_days"', '"home_address"'))
    refused = cli("study", "add", str(bad), *store_args, check=False)
    assert refused.returncode != 0 and "unknown fields home_address" in refused.stderr

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "aggregator.cli", "serve", *store_args,
                               "--port", str(port), "--publish-every", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            await _until_up(session, url)
            async with session.get(url + "/studies") as r:
                ids = [s["id"] for s in (await r.json())["studies"]]
            assert ids == ["carbon-monthly", "velo-2026"]
            member = Member(url, session)
            assert (await member.enrol(tokens[0]))[0] == 200
            # The CLI revokes while the server runs: the next summary is refused.
            assert f"revoked {member.pseudonym}" in cli("key", "revoke", member.pseudonym, *store_args).stdout
            status, answer = await member.send(member.summary(month="2026-01"))
            assert answer["error"]["code"] == "revoked_key"
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = cli("publish", *store_args).stdout
    assert out == ""   # nothing was taken, so nothing to publish


async def _until_up(session, url):
    deadline = time.monotonic() + 30
    while True:
        try:
            async with session.get(url + "/status") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the aggregator did not start")
        await asyncio.sleep(0.1)
