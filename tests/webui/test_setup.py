"""First-run setup cannot be stolen: the review's slow-body race, a LAN neighbour without the
box's code, a DNS-rebinding page. And the owner's way in: the code printed, logged, in a
0600 file, shown by `selfdata setup-code` and the doctor, gone once set up."""
from __future__ import annotations

import asyncio
import logging
import stat
import subprocess
import sys
import threading

import aiohttp
import pytest

from gateway import accounts
from gateway.accounts import first_run
from gateway.store import Store
from harness import base_url, make_config
from web_helpers import browser, fresh_box
from webui.keys import MEMBER_AUTH
from webui.throttle import LoginThrottle

OWNER_PASSWORD = "the owner's own password"


def _members(gw) -> list[str]:
    return [m.name for m in accounts.list_members(gw.store.conn)]


def _setup_form(code: str, name: str = "owner", password: str = OWNER_PASSWORD) -> dict:
    return {"code": code, "name": name, "display_name": name.title(), "password": password}


async def test_the_owner_sets_up_the_box_with_its_code_and_the_code_is_then_gone(tmp_path):
    async with fresh_box(tmp_path) as gw:
        code = gw.setup_code
        path = first_run.code_path(gw.config)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert first_run.normalize(path.read_text()) == code and len(code) == 12
        async with browser() as b:
            async with b.get(base_url(gw) + "/setup") as r:
                assert r.status == 200 and 'name="code"' in await r.text()
            # Typed in lower case with spaces: still the code.
            typed = " ".join(first_run.display(code).lower().split("-"))
            async with b.post(base_url(gw) + "/setup", data=_setup_form(typed),
                              allow_redirects=False) as r:
                assert r.status == 302, await r.text()
            async with b.get(base_url(gw) + "/api/0/list") as r:
                assert r.status == 200        # logged in as the new admin
        assert _members(gw) == ["owner"]
        assert accounts.get_member(gw.store.conn, "owner").is_admin
        assert not path.exists()
        async with browser() as late:
            async with late.post(base_url(gw) + "/setup", data=_setup_form(code, "mallory"),
                                 allow_redirects=False) as r:
                assert r.status == 403
            async with late.get(base_url(gw) + "/setup", allow_redirects=False) as r:
                assert r.status == 302 and r.headers["Location"] == "/login"
        assert _members(gw) == ["owner"]


async def test_slow_body_sent_before_the_owner_finishes_makes_no_second_admin(tmp_path):
    """The review: headers first, the owner completes setup, then the body arrives. Even
    with the right code in that body, the late request finds the household set up."""
    async with fresh_box(tmp_path) as gw:
        code = gw.setup_code
        body = "&".join(f"{k}={v}" for k, v in _setup_form(code, "mallory", "mallory's pass"
                                                            ).items()).replace("'", "%27")
        body = body.replace(" ", "+").encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", gw.web_port)
        writer.write((f"POST /setup HTTP/1.1\r\nHost: 127.0.0.1:{gw.web_port}\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Accept-Language: en\r\n"       # else the household's French
                      f"Content-Length: {len(body)}\r\n\r\n").encode())
        await writer.drain()
        await asyncio.sleep(0.3)  # the attacker's request is in, waiting for its body
        async with browser() as owner:
            async with owner.post(base_url(gw) + "/setup", data=_setup_form(code),
                                  allow_redirects=False) as r:
                assert r.status == 302, await r.text()
        writer.write(body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(4096), 20)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 403 ") and b"already set up" in answer, answer
        assert _members(gw) == ["owner"]


def test_racing_setups_inside_the_transaction_make_one_member(tmp_path):
    """Both pass the early checks (code right, nobody yet) before either commits: the check
    inside BEGIN IMMEDIATE is what lets exactly one through."""
    config = make_config(tmp_path / "data")
    store = Store(config.db_path).open()
    code = first_run.ensure_setup_code(config, store.conn)
    entered = threading.Semaphore(0)

    class SignallingStore(Store):
        def transaction(self):
            entered.release()        # early checks passed, Argon2 done: about to BEGIN
            return super().transaction()

    holder = Store(config.db_path)
    holder.conn.execute("BEGIN IMMEDIATE")   # hold the write lock so both must wait
    results = []

    def attempt(name):
        try:
            results.append(first_run.create_first_member(
                SignallingStore(config.db_path), config, code=code, name=name,
                password=OWNER_PASSWORD).name)
        except accounts.AccountError as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("owner", "mallory")]
    for t in threads:
        t.start()
    assert entered.acquire(timeout=20) and entered.acquire(timeout=20)
    holder.conn.execute("ROLLBACK")
    for t in threads:
        t.join(30)
    assert len([r for r in results if r in ("owner", "mallory")]) == 1, results
    assert "SetupClosed" in results, results
    assert len(accounts.list_members(store.conn)) == 1
    store.close()
    holder.close()


async def test_setup_without_the_code_or_with_a_wrong_one_is_refused_and_throttled(tmp_path):
    async with fresh_box(tmp_path) as gw:
        # A clock that stands still: a wait never runs out while the test looks.
        gw._runner.app[MEMBER_AUTH].setup_throttle = LoginThrottle(free=5, clock=lambda: 1.0)
        async with browser() as neighbour:
            neighbour.headers["Accept-Language"] = "en"    # else the box's default, French
            url = base_url(gw) + "/setup"
            no_code = _setup_form("")
            async with neighbour.post(url, data=no_code, allow_redirects=False) as r:
                assert r.status == 403 and "that is not this box" in await r.text()
            statuses = []
            for guess in range(12):
                async with neighbour.post(url, data=_setup_form(f"AAAA-AAAA-AA{guess:02d}"),
                                          allow_redirects=False) as r:
                    statuses.append(r.status)
                    if r.status == 429:
                        assert int(r.headers["Retry-After"]) >= 1
            assert statuses == [403] * 4 + [429] * 8, statuses   # 5 wrong codes, then waits
            # While that address waits, even the right code is not tried from it ...
            async with neighbour.post(url, data=_setup_form(gw.setup_code),
                                      allow_redirects=False) as r:
                assert r.status == 429
        assert _members(gw) == []
        # ... but the owner, from their own address, gets in.
        async with browser("127.0.0.2") as owner:
            async with owner.post(url, data=_setup_form(gw.setup_code),
                                  allow_redirects=False) as r:
                assert r.status == 302
        assert _members(gw) == ["owner"]


@pytest.mark.parametrize("host", ["attacker.example", "selfdata.local.attacker.example",
                                  "192.0.2.7", "0.0.0.0"])
async def test_a_dns_rebinding_host_is_refused(tmp_path, host):
    """A page whose name now resolves to the box sends its own name as Host."""
    async with fresh_box(tmp_path) as gw:
        async with aiohttp.ClientSession() as page:
            for method, path in (("GET", "/setup"), ("POST", "/setup"), ("GET", "/login"),
                                 ("GET", "/healthz")):
                async with page.request(method, base_url(gw) + path, headers={"Host": host},
                                        data=_setup_form(gw.setup_code),
                                        allow_redirects=False) as r:
                    assert r.status == 421, (method, path, r.status)
                    assert "allowed_hosts" in await r.text()
        assert _members(gw) == []


async def test_the_box_s_own_names_are_accepted(tmp_path):
    async with fresh_box(tmp_path, allowed_hosts=["box.lan"]) as gw:
        port = gw.web_port
        async with aiohttp.ClientSession() as s:
            for host in ("localhost", f"localhost:{port}", "selfdata.local", "SELFDATA.local.",
                         f"selfdata.local:{port}", "box.lan", f"[::1]:{port}",
                         f"127.0.0.1:{port}"):
                async with s.get(base_url(gw) + "/setup", headers={"Host": host}) as r:
                    assert r.status == 200, host


async def test_any_host_when_the_admin_says_so(tmp_path):
    async with fresh_box(tmp_path, allowed_hosts=["*"]) as gw:
        async with aiohttp.ClientSession() as s:
            async with s.get(base_url(gw) + "/setup", headers={"Host": "anything.example"}) as r:
                assert r.status == 200


async def test_setup_from_another_origin_is_refused_even_with_the_code(tmp_path):
    """A page on another port of the same host (or anywhere) cannot submit the form."""
    async with fresh_box(tmp_path) as gw:
        async with browser() as b:
            async with b.post(base_url(gw) + "/setup", data=_setup_form(gw.setup_code),
                              headers={"Origin": "http://127.0.0.1:1"},
                              allow_redirects=False) as r:
                assert r.status == 403
        assert _members(gw) == []


async def test_the_code_is_logged_at_start_and_stays_the_same_across_restarts(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="gateway.service")
    async with fresh_box(tmp_path) as gw:
        code = gw.setup_code
    assert first_run.display(code) in caplog.text and "/setup" in caplog.text
    async with fresh_box(tmp_path) as again:
        assert again.setup_code == code


def test_setup_code_command_and_doctor_show_it_until_setup(tmp_path):
    data = tmp_path / "data"
    run = lambda *a: subprocess.run([sys.executable, "-m", "selfdata", *a, "--data-dir", str(data)],
                                    capture_output=True, text=True, timeout=60,
                                    env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    shown = run("setup-code")
    assert shown.returncode == 0, shown.stderr
    code = first_run.read_setup_code(make_config(data))
    assert first_run.display(code) in shown.stdout
    assert first_run.display(code) in run("doctor").stdout
    store = Store(data / "selfdata.db").open()
    with store.transaction() as conn:
        accounts.add_member(conn, "owner", OWNER_PASSWORD)
    store.close()
    after = run("setup-code")
    assert after.returncode == 1 and "set up already" in after.stdout
    assert not first_run.code_path(make_config(data)).exists()
