"""The runner's catch-up at start names exactly the members `pipeline.process_new` has
something to compute for, without loading the engine (issue #8: a box that has nothing new
never holds it)."""
from __future__ import annotations

import subprocess
import sys

from pipeline_helpers import points
from gateway.trips import pipeline
from gateway.trips.runner import catch_up


def _computes(box, name: str) -> bool:
    return pipeline.process_new(box.store, box.ids[name]) > 0


def test_catch_up_names_the_members_with_fixes_not_yet_computed(box):
    assert catch_up(box.store.conn) == []                       # nobody has a fix
    pts = points("alice", days=2)
    box.add("alice", pts[: len(pts) // 2])
    assert catch_up(box.store.conn) == [box.ids["alice"]]      # never computed
    assert _computes(box, "alice")
    assert catch_up(box.store.conn) == []                       # all seen
    box.add("alice", pts[len(pts) // 2:])
    box.add("bob", points("bob", days=1))
    assert catch_up(box.store.conn) == [box.ids["alice"], box.ids["bob"]]
    assert _computes(box, "alice") and _computes(box, "bob")
    assert catch_up(box.store.conn) == []
    assert not _computes(box, "alice") and not _computes(box, "bob")   # it agreed


def test_a_fixes_table_emptied_and_filled_again_is_caught_up(box):
    pts = points("alice", days=2)
    box.add("alice", pts)
    assert _computes(box, "alice")
    with box.store.transaction() as conn:
        conn.execute("DELETE FROM fixes")                       # ids start again from 1
    box.add("alice", pts[:50])
    assert box.ids["alice"] in catch_up(box.store.conn)
    assert _computes(box, "alice")


def test_the_runner_imports_no_engine_while_nothing_is_new(tmp_path):
    code = (
        "import asyncio, sys\n"
        "from gateway.store import Store\n"
        "from gateway.trips.runner import PipelineRunner\n"
        "from gateway import accounts\n"
        f"store = Store({str(tmp_path / 'x.db')!r}).open()\n"
        "with store.transaction() as conn:\n"
        "    accounts.add_member(conn, 'alice', None)\n"
        "async def main():\n"
        "    runner = PipelineRunner(store)\n"
        "    await runner.start(); await runner.idle(); await runner.stop()\n"
        "asyncio.run(main())\n"
        "print('gateway.trips.pipeline' in sys.modules, 'carbon.timeline' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]
