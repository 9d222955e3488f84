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


@pytest.fixture(scope="session")
def household_db(tmp_path_factory):
    """The SQLite file of a household with two weeks of trips (tests/pagebox.py), built
    once per session; copy it, never write it."""
    import pagebox
    return pagebox.build(tmp_path_factory.mktemp("pagebox"))


@pytest.fixture
def history_store(household_db, tmp_path):
    """A store of its own holding the household with history."""
    import shutil
    from gateway.store import Store
    path = tmp_path / "selfdata.db"
    shutil.copy(household_db, path)
    store = Store(path).open()
    yield store
    store.close()


@pytest.fixture
async def history_gateway(household_db, tmp_path):
    """A real gateway on loopback over a copy of the household with history."""
    import pagebox
    gw = Gateway(pagebox.config_with(household_db, tmp_path), web_app=make_app)
    await gw.start()
    yield gw
    await gw.stop()
@pytest.fixture
async def chromium():
    """A real headless Chromium (tests/browser.py); skipped where it is not installed."""
    async with _chromium() as browser:
        yield browser
