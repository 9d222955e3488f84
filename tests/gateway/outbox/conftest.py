"""Fixtures of the city link's tests: the real aggregator (SQLite, or a throwaway PostgreSQL
cluster from Debian's package, tests/aggregator/pg_cluster.py) and a capturing proxy."""
from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "aggregator"))
from pg_cluster import Cluster  # noqa: E402

from link_city import CaptureProxy, City  # noqa: E402

_databases = itertools.count()


@pytest.fixture(scope="session")
def link_pg():
    cluster = Cluster().start()   # raises (the test fails) if PostgreSQL cannot start
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def city_dsn(request):
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("link_pg").create_database(f"link_{next(_databases)}")


@pytest.fixture
async def city(tmp_path):
    c = await City(tmp_path / "city").start()
    yield c
    if c.runner is not None:
        await c.stop()


@pytest.fixture
async def proxy(city):
    p = await CaptureProxy(city.url).start()
    yield p
    if p.hold is not None:
        p.hold.set()
    await p.stop()
