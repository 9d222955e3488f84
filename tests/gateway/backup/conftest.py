"""The backup tests use the ingest tests' `selfdata serve` subprocess and the city link's
households and real aggregator."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for folder in ("ingest", "outbox", "../aggregator"):
    path = str((HERE.parent / folder).resolve())
    if path not in sys.path:
        sys.path.insert(0, path)

from link_city import City  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
async def city(tmp_path):
    c = await City(tmp_path / "city").start()
    yield c
    if c.runner is not None:
        await c.stop()
