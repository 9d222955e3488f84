"""Shared fixtures: a real mosquitto on loopback, and a real gateway in this process."""
from __future__ import annotations

import pytest

from gateway.service import Gateway

from webui.app import make_app
from browser import chromium as _chromium
from harness import Household, Mosquitto, free_port, make_config, require


@pytest.fixture
def household(tmp_path) -> Household:
    return Household(make_config(tmp_path / "data"))


@pytest.fixture
def mqtt_household(tmp_path):
    """A household whose gateway talks to a real mosquitto on loopback."""
    require("mosquitto")
    port = free_port()
    h = Household(make_config(tmp_path / "data", mqtt_port=port))
    h.broker = Mosquitto(h.config, port).start()
    yield h
    h.broker.stop()


@pytest.fixture
async def gateway(household):
    gw = Gateway(household.config, web_app=make_app)
    await gw.start()
    gw.household = household
    yield gw
    await gw.stop()


@pytest.fixture
async def mqtt_gateway(mqtt_household):
    gw = Gateway(mqtt_household.config, web_app=make_app)
    await gw.start()
    gw.household = mqtt_household
    yield gw
    await gw.stop()


@pytest.fixture
async def chromium():
    """A real headless Chromium (tests/browser.py); skipped where it is not installed."""
    async with _chromium() as browser:
        yield browser
