"""An aggregator on loopback, on SQLite and on a throwaway PostgreSQL cluster (one per session)."""
import itertools
from datetime import date

import aiohttp
import pytest
from aiohttp import web

from aggregator import enrol
from aggregator.app import STATE, Settings, build_app
from box_client import Member
from pg_cluster import Cluster

TODAY = date(2026, 9, 3)   # July and August 2026 are over; September is not
_db_names = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = Cluster().start()   # raises (the tests fail) if PostgreSQL cannot start
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def dsn(request):
    if request.param == "sqlite":
        return None
    cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(f"agg_{next(_db_names)}")


class Aggregator:
    def __init__(self, url, app, session):
        self.url, self.app, self.session = url, app, session

    @property
    def state(self):
        return self.app[STATE]

    @property
    def store(self):
        return self.state.store

    async def tokens(self, n: int) -> list:
        return await enrol.issue_tokens(self.store, n)

    async def members(self, n: int) -> list:
        """n enrolled members, each with their own token and key."""
        out = []
        for token in await self.tokens(n):
            m = Member(self.url, self.session)
            status, answer = await m.enrol(token)
            assert status == 200, answer
            out.append(m)
        return out

    async def get(self, path: str):
        async with self.session.get(self.url + path) as r:
            body = await r.text()
            return r.status, r.headers.get("Content-Type", ""), body


@pytest.fixture
async def aggregator(tmp_path, dsn):
    settings = Settings(str(tmp_path / "city"), dsn, k=10, publish_every=0, today=lambda: TODAY)
    app = build_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    async with aiohttp.ClientSession() as session:
        yield Aggregator(f"http://127.0.0.1:{port}", app, session)
    await runner.cleanup()
