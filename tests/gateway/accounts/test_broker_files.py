"""The broker's password file and ACL follow the devices table; the Pi's conf loads."""
from __future__ import annotations

import subprocess
import time

from harness import REPO, Household, free_port, make_config, require, wait_port

from gateway import accounts
from gateway.accounts import broker
from gateway.store import Store


def test_acl_gives_each_device_its_own_topic_and_what_its_member_sees(tmp_path):
    h = Household(make_config(tmp_path / "data"))
    store = Store(h.config.db_path).open()
    acl = broker.render_acl(h.config, store.conn)
    alice = acl.split("user alice/phone\n")[1].split("\n\n")[0].splitlines()
    assert alice == ["topic readwrite owntracks/alice/phone/#",
                     "topic read owntracks/alice/+", "topic read owntracks/alice/+/event",
                     "topic read owntracks/alice/+/info"]
    with store.transaction() as conn:
        accounts.show_to(conn, "bob", "alice")
        assert broker.sync_broker_files(h.config, conn) is True
        assert broker.sync_broker_files(h.config, conn) is False  # nothing changed
    acl = (h.config.broker_dir / "acl").read_text()
    assert "topic read owntracks/bob/+\n" in acl.split("user alice/phone\n")[1].split("\n\n")[0]
    assert "owntracks/alice" not in acl.split("user bob/phone\n")[1].split("\n\n")[0].replace(
        "owntracks/bob", "")
    assert oct((h.config.broker_dir / "passwd").stat().st_mode & 0o777) == "0o640"
    assert oct((h.config.broker_dir / "gateway.secret").stat().st_mode & 0o777) == "0o600"
    store.close()


def test_pi_broker_conf_matches_the_gateway_tuning_and_loads_in_mosquitto(tmp_path):
    require("mosquitto")
    conf = (REPO / "systemd" / "mosquitto-selfdata.conf").read_text()
    lines = conf.splitlines()
    for line in broker.BROKER_TUNING:
        assert line in lines
    # Listener options bind to the listener above them: each listener line is followed by all.
    listeners = [i for i, line in enumerate(lines) if line.startswith("listener ")]
    assert listeners
    for i in listeners:
        options = [line for line in lines[i + 1:] if not line.startswith("#")]
        assert options[:len(broker.LISTENER_OPTIONS)] == list(broker.LISTENER_OPTIONS)
    generated = broker.render_mosquitto_conf(make_config(tmp_path / "gen")).splitlines()
    at = next(i for i, line in enumerate(generated) if line.startswith("listener "))
    assert generated[at + 1:at + 1 + len(broker.LISTENER_OPTIONS)] == list(broker.LISTENER_OPTIONS)
    assert set(broker.BROKER_TUNING) <= set(generated)
    h = Household(make_config(tmp_path / "data"))
    port = free_port()
    local = (conf.replace("/var/lib/selfdata/mosquitto", str(h.config.broker_dir))
             .replace("listener 1883", f"listener {port} 127.0.0.1"))
    local += f"\nuser {__import__('getpass').getuser()}\n"
    path = tmp_path / "pi.conf"
    path.write_text(local)
    proc = subprocess.Popen(["mosquitto", "-c", str(path)], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL)
    try:
        wait_port(port)
        time.sleep(0.2)
        assert proc.poll() is None, proc.stderr.read().decode()
    finally:
        proc.terminate()
        proc.wait(10)
