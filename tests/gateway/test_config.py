"""Configuration: defaults, the TOML file, the environment, and errors that say where."""
from __future__ import annotations

import pytest

from gateway import config as cfgmod
from gateway.cli import main


def test_defaults_run_without_any_file(tmp_path):
    cfg = cfgmod.load(env={"SELFDATA_DATA_DIR": str(tmp_path)})
    assert cfg.source == "defaults"
    assert cfg.web.port == 8080 and cfg.mqtt.port == 1883 and not cfg.gpsd.enabled
    assert cfg.db_path == tmp_path / "selfdata.db"
    assert cfg.public_url == "http://selfdata.local:8080"


def test_file_then_environment_win(tmp_path):
    path = tmp_path / "gw.toml"
    path.write_text('[web]\nport = 9000\n[mqtt]\nrun_broker = true\n[gpsd]\ninterval_s = 2\n'
                    '[aggregator]\nurl = "https://city.example"\n')
    cfg = cfgmod.load(path, env={"SELFDATA_WEB_PORT": "9100", "SELFDATA_GPSD_ENABLED": "yes"})
    assert cfg.web.port == 9100
    assert cfg.mqtt.run_broker is True
    assert cfg.gpsd.enabled is True and cfg.gpsd.interval_s == 2.0
    assert cfg.extra == {"aggregator": {"url": "https://city.example"}}


@pytest.mark.parametrize("text, message", [
    ('[web]\nport = "eighty"\n', "[web] port: expected int, got 'eighty'"),
    ('[web]\nprot = 80\n', "unknown setting [web] prot"),
    ('[web\nport = 80\n', "not valid TOML"),
    ('port = 80\n', "top-level key 'port' must be a [section]"),
])
def test_bad_settings_say_file_section_and_key(tmp_path, text, message):
    path = tmp_path / "gw.toml"
    path.write_text(text)
    with pytest.raises(cfgmod.ConfigError) as err:
        cfgmod.load(path, env={})
    assert message in str(err.value)
    assert str(path) in str(err.value)


def test_bad_environment_value_names_the_variable():
    with pytest.raises(cfgmod.ConfigError, match="SELFDATA_MQTT_PORT: expected int"):
        cfgmod.load(env={"SELFDATA_MQTT_PORT": "many"})


def test_cli_reports_a_broken_config_in_one_line(tmp_path, capsys):
    path = tmp_path / "gw.toml"
    path.write_text('[web]\nport = "x"\n')
    assert main(["stats", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("selfdata: configuration:") and "[web] port" in err


def test_a_list_setting_from_the_file_or_the_environment(tmp_path):
    path = tmp_path / "gw.toml"
    path.write_text('[web]\nallowed_hosts = ["box.lan", "selfdata.fritz.box"]\n')
    assert cfgmod.load(path, env={}).web.allowed_hosts == ["box.lan", "selfdata.fritz.box"]
    env = {"SELFDATA_WEB_ALLOWED_HOSTS": "box.lan, pi.home ,"}
    assert cfgmod.load(env=env).web.allowed_hosts == ["box.lan", "pi.home"]
    one, two = cfgmod.Config(), cfgmod.Config()
    assert one.web.allowed_hosts == [] and one.web.allowed_hosts is not two.web.allowed_hosts
    path.write_text('[web]\nallowed_hosts = "box.lan"\n')    # a string reads as one name
    assert cfgmod.load(path, env={}).web.allowed_hosts == ["box.lan"]
    path.write_text('[web]\nallowed_hosts = [1, 2]\n')
    with pytest.raises(cfgmod.ConfigError, match=r"\[web\] allowed_hosts: expected a list"):
        cfgmod.load(path, env={})
