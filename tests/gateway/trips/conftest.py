"""Fixtures for the pipeline tests (helpers live in pipeline_helpers.py)."""
from __future__ import annotations

import pytest

from pipeline_helpers import Box


@pytest.fixture
def box(tmp_path):
    b = Box(tmp_path / "data" / "selfdata.db")
    yield b
    b.store.close()
