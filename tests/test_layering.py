"""The house keeps its shape: layers, no import cycles, SQL only where it belongs.

The rules are in tests/layering.py (and docs/architecture.md says why). The first test runs
them on the repository; the others plant one violation each in a small synthetic tree and
show that the checker catches it, so that a green first test means something.
"""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from layering import PACKAGES, Tree, check, looks_like_sql, tables_written

REPO = Path(__file__).resolve().parent.parent


def test_the_repository_keeps_its_layers():
    tree = Tree(REPO)
    assert len(tree.modules) > 100          # it did read the project
    violations = check(tree)
    assert not violations, "\n".join(str(v) for v in violations)


def test_violations_planted_in_a_copy_of_the_repository_are_caught(tmp_path):
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    service = tmp_path / "gateway" / "service.py"
    service.write_text(service.read_text() + "\nfrom webui.app import make_app  # planted\n")
    pages = tmp_path / "webui" / "pages.py"
    pages.write_text(pages.read_text() + "\n\ndef planted(conn):\n    return conn.execute("
                     "\"SELECT count(*) FROM fixes WHERE member_id = ?\", (1,))\n")
    found = {(v.rule, v.where.split(":")[0]) for v in check(Tree(tmp_path))}
    assert found == {("layers", "gateway/service.py"), ("no SQL here", "webui/pages.py")}


# ----- the checker itself, on synthetic trees

CLEAN = {
    "carbon/__init__.py": "",
    "carbon/fix.py": "from dataclasses import dataclass\nimport math\n",
    "simulation/__init__.py": "",
    "simulation/household.py": "import random\nfrom carbon.fix import Fix\n",
    "receivers/__init__.py": "",
    "receivers/parse.py": "import json\nfrom carbon.fix import Fix\nfrom gateway.model import Event\n",
    "gateway/__init__.py": "",
    "gateway/model.py": "",
    "gateway/config.py": "",
    "gateway/store/__init__.py": "from .database import connect\n",
    "gateway/store/database.py": (
        "import sqlite3\n"
        "def settings(conn):\n"
        "    return conn.execute('SELECT value FROM settings WHERE key = ?', ('k',))\n"),
    "gateway/trips/__init__.py": "",
    "gateway/trips/pipeline.py": (
        "from ..store import database\n"
        "def save(conn, table):\n"
        "    conn.execute('DELETE FROM stays WHERE member_id = ?', (1,))\n"
        "    conn.execute(f'DELETE FROM {table} WHERE member_id = ?', (1,))\n"),
    "gateway/queries/__init__.py": "",
    "gateway/queries/trips.py": (
        "from ..trips import pipeline\n"
        "def trips(conn):\n"
        "    return conn.execute('SELECT * FROM trips WHERE member_id = ? ORDER BY start_ts')\n"),
    "gateway/cli/__init__.py": "",
    "gateway/cli/trips.py": (
        '"""`selfdata trips`: SELECT nothing FROM here in a docstring is prose."""\n'
        "from ..queries.trips import trips\n"
        "HELP = 'select the member from the list, then update your settings'\n"),
    "gateway/service.py": "from .store import database\n",
    "gateway/demo.py": "from simulation import household\nfrom .service import x\n",
    "webui/__init__.py": "",
    "webui/pages.py": "import jinja2\nfrom gateway.queries.trips import trips\n",
    "selfdata/__init__.py": "from gateway import cli\nfrom webui import pages\n",
}


def tree_with(tmp_path, **changes) -> Tree:
    files = dict(CLEAN)
    for name, text in changes.items():
        files[name.replace("__", "/").replace("_py", ".py")] = text
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return Tree(tmp_path)


def rules(tree) -> set[str]:
    return {v.rule for v in check(tree)}


def test_the_clean_synthetic_tree_passes(tmp_path):
    assert check(tree_with(tmp_path)) == []


@pytest.mark.parametrize("text, rule", [
    ("import numpy\n", "stdlib only"),
    ("import sqlite3\n", "no I/O in the engine"),
    ("def f():\n    import asyncio\n", "no I/O in the engine"),     # a lazy import counts
    ("from gateway import store\n", "layers"),
])
def test_the_engine_imports_only_the_standard_library(tmp_path, text, rule):
    assert rule in rules(tree_with(tmp_path, carbon__geo_py=text))


def test_receivers_import_nothing_of_webui_nor_the_rest_of_the_gateway(tmp_path):
    assert "layers" in rules(tree_with(tmp_path, receivers__bad_py="from webui import pages\n"))
    assert "layers" in rules(tree_with(tmp_path,
                                       receivers__bad_py="from gateway.store import database\n"))


def test_the_gateway_imports_nothing_of_webui(tmp_path):
    tree = tree_with(tmp_path, gateway__service_py="from webui.pages import trips\n")
    [violation] = check(tree)
    assert violation.rule == "layers" and violation.where == "gateway/service.py:1"
    assert "gateway.service may not import webui.pages" in str(violation)


def test_inside_the_gateway_the_read_side_does_not_reach_up(tmp_path):
    tree = tree_with(tmp_path, gateway__queries__bad_py="from ..cli import trips\n")
    assert {"inside gateway", "imported only by"} <= rules(tree)


def test_only_the_demo_runs_a_simulated_household(tmp_path):
    tree = tree_with(tmp_path, gateway__trips__sim_py="from simulation.household import x\n")
    assert "simulation is the demo's" in rules(tree)


def test_an_import_cycle_is_found(tmp_path):
    tree = tree_with(tmp_path,
                     gateway__trips__a_py="from . import b\n",
                     gateway__trips__b_py="def f():\n    from .a import g\n")
    [violation] = [v for v in check(tree) if v.rule == "no import cycles"]
    assert violation.what == "gateway.trips.a -> gateway.trips.b -> gateway.trips.a"


@pytest.mark.parametrize("name, text", [
    ("webui__pages_py", "def home(conn):\n    return conn.execute(q)\n"),
    ("webui__pages_py", "Q = 'SELECT d.name FROM devices d WHERE d.member_id = ?'\n"),
    ("webui__pages_py", "def q(t):\n    return f'select count(*) from {t} where member_id = ?'\n"),
    ("gateway__cli__trips_py", "SQL = ('UPDATE devices SET card_name = ? '\n       'WHERE id = ?')\n"),
    ("gateway__service_py", "def f(conn):\n    conn.executemany('INSERT INTO fixes VALUES (?)', [])\n"),
    ("receivers__parse_py", "X = 'PRAGMA journal_mode = WAL'\n"),
])
def test_sql_in_pages_commands_or_the_service_is_found(tmp_path, name, text):
    assert "no SQL here" in rules(tree_with(tmp_path, **{name: text}))


def test_a_domain_package_writes_only_its_own_tables(tmp_path):
    tree = tree_with(tmp_path, gateway__trips__bad_py=(
        "def f(conn):\n    conn.execute('UPDATE members SET settings = ? WHERE id = ?')\n"))
    [violation] = check(tree)
    assert violation.rule == "owner writes"
    assert violation.what == "gateway.trips.bad writes members, which gateway.accounts owns"
    tree = tree_with(tmp_path, gateway__trips__bad_py="Q = 'INSERT INTO secrets (k) VALUES (?)'\n")
    assert "undeclared table" in rules(tree)


def test_a_migration_may_rebuild_any_table_and_nothing_else_of_the_store_may(tmp_path):
    rebuild = "Q = 'INSERT INTO members_rebuilt SELECT * FROM members'\n"
    assert check(tree_with(tmp_path / "a", gateway__store__migrations__m0099_x_py=rebuild)) == []
    assert "undeclared table" in rules(tree_with(tmp_path / "b", gateway__store__bad_py=rebuild))


def test_what_counts_as_sql():
    for sql in ("SELECT 1 FROM members LIMIT 1", "  DELETE FROM fixes WHERE id = ?",
                "INSERT OR IGNORE INTO visibility (owner_id, viewer_id) VALUES (?, ?)",
                "select ts from fixes where device_id = ? order by ts",
                "ON CONFLICT (member_id) DO UPDATE SET months = excluded.months",
                "CREATE INDEX legs_trip ON legs (trip_id, seq)"):
        assert looks_like_sql(sql), sql
    for prose in ("select the device from the list", "update your settings", "Delete it?",
                  "the member's place, selected from their stays", "--from needs --to"):
        assert not looks_like_sql(prose), prose
    assert tables_written("UPDATE devices SET last_seen_ts = ? WHERE id = ?") == {"devices"}
    assert tables_written("INSERT INTO x ON CONFLICT (k) DO UPDATE SET v = 1") == {"x"}
    assert tables_written("SELECT * FROM fixes WHERE id = ?") == set()


def test_the_aggregator_uses_only_the_wire_format_of_the_project(tmp_path):
    assert "layers" in rules(tree_with(tmp_path, aggregator__app_py="from gateway import store\n"))
    assert "layers" in rules(tree_with(tmp_path, aggregator__app_py="from carbon import legs\n"))
    assert not rules(tree_with(tmp_path, carbon__summary_wire_py="import json\n",
                               aggregator__app_py="from carbon import summary_wire\n"))
