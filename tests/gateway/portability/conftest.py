"""Fixtures for the portability tests (helpers live in portability_helpers.py)."""
from __future__ import annotations

import pytest

from gateway import accounts
from gateway.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "data" / "selfdata.db").open()
    with s.transaction() as conn:
        accounts.add_member(conn, "alice", None)
    yield s
    s.close()
