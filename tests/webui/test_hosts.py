"""The box's names and same-origin: the edge cases of Host and Origin values."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness import make_config
from webui.hosts import HostPolicy, split_host


def _request(host: str, origin: str | None = None, referer: str | None = None):
    headers = {"Host": host}
    if origin is not None:
        headers["Origin"] = origin
    if referer is not None:
        headers["Referer"] = referer
    return SimpleNamespace(headers=headers)


@pytest.fixture
def policy(tmp_path):
    config = make_config(tmp_path)
    config.web.public_url = "https://box.example.org"
    config.mqtt.public_host = "mqtt.example.org"
    return HostPolicy(config)


@pytest.mark.parametrize("value, expected", [
    ("selfdata.local:8080", ("selfdata.local", 8080)), ("SelfData.Local.", ("selfdata.local", None)),
    ("[::1]:8080", ("::1", 8080)), ("[::1]", ("::1", None)), ("::1", ("::1", None)),
    ("10.0.0.2", ("10.0.0.2", None)), ("host:notaport", ("host:notaport", None)),
])
def test_split_host(value, expected):
    assert split_host(value) == expected


def test_the_configured_names_are_the_box(policy):
    for host in ("box.example.org", "mqtt.example.org:8080", "selfdata.local", "localhost",
                 "127.0.0.53", "[::1]:80"):
        assert policy.allows(host), host
    for host in ("box.example.org.attacker.example", "example.org", "0.0.0.0", "224.0.0.1",
                 "[::]:80"):
        assert not policy.allows(host), host
    assert policy.allows("10.9.8.7", sockname=("10.9.8.7", 8080))   # the address it came in on


@pytest.mark.parametrize("host, origin, same", [
    ("127.0.0.1:8080", "http://127.0.0.1:8080", True),
    ("127.0.0.1:8080", "http://127.0.0.1:8081", False),          # another port: another origin
    ("127.0.0.1:8080", "http://localhost:8080", False),
    ("selfdata.local", "http://selfdata.local", True),
    ("selfdata.local", "https://selfdata.local", True),          # a TLS proxy in front
    ("selfdata.local", "http://selfdata.local:8080", False),
    ("selfdata.local:80", "http://selfdata.local", True),
    ("[::1]:8080", "http://[::1]:8080", True),
    ("10.0.0.2:8080", "https://box.example.org", True),           # public_url, Host rewritten
    ("10.0.0.2:8080", "http://box.example.org", False),
    ("127.0.0.1:8080", "null", False),
    ("127.0.0.1:8080", "file://", False),
])
def test_same_origin(policy, host, origin, same):
    assert policy.same_origin(_request(host, origin)) is same


def test_referer_stands_in_for_a_missing_origin(policy):
    assert policy.same_origin(_request("127.0.0.1:8080", referer="http://127.0.0.1:8080/day")) is True
    assert policy.same_origin(_request("127.0.0.1:8080", referer="http://evil.example/")) is False
    assert policy.same_origin(_request("127.0.0.1:8080")) is None   # a tool: neither header
