"""During a flood of commits ingest comes first: trips wait for a quiet moment, not forever."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from gateway.trips import runner as pipeline_runner
from gateway.trips.runner import PipelineRunner


def _commit(member_id: int):
    device = SimpleNamespace(member_id=member_id)
    return SimpleNamespace(fixes=[(device, None)])


async def _flood(runner, seconds: float, every: float = 0.05):
    for _ in range(int(seconds / every)):
        runner.on_commit(_commit(1))
        await asyncio.sleep(every)


async def test_trips_wait_for_the_flood_to_end(box, monkeypatch):
    monkeypatch.setattr(pipeline_runner, "QUIET_S", 0.5)
    runner = PipelineRunner(box.store, debounce_s=0.1)
    await runner.start()
    await runner.idle()
    runs = runner.runs
    await _flood(runner, 1.0)
    assert runner.runs == runs          # nothing ran while commits kept coming
    await asyncio.sleep(1.2)
    assert runner.runs == runs + 1      # once quiet, one run for the whole flood
    await runner.stop()


async def test_a_flood_never_defers_trips_longer_than_the_limit(box, monkeypatch):
    monkeypatch.setattr(pipeline_runner, "QUIET_S", 0.3)
    monkeypatch.setattr(pipeline_runner, "MAX_DEFER_S", 0.5)
    runner = PipelineRunner(box.store, debounce_s=0.1)
    await runner.start()
    await runner.idle()
    runs = runner.runs
    await _flood(runner, 1.5)
    assert runner.runs > runs           # it ran during the flood, after at most MAX_DEFER_S
    await runner.stop()
