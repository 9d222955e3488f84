"""A household with history, for the read side's and the pages' tests: alice (admin) and
bob, each with a phone and two weeks of the simulated La Rochelle household
(simulation/household.py: commutes by bike and bus, car and carpool, a train day), trips
computed. Built once per test session into a SQLite file; each test gets its own copy.
"""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from carbon.fix import Fix
from gateway import accounts
from gateway.accounts import broker
from gateway.store import Store, insert_fixes
from gateway.trips import pipeline
from harness import PASSWORD, make_config
from simulation.household import START_DATE, simulate_household

DAYS = 14
TZ = ZoneInfo("Europe/Paris")
FIRST_DAY = START_DATE
WORKDAY = START_DATE + timedelta(days=2)        # a Wednesday: two commutes
LAST_DAY = START_DATE + timedelta(days=DAYS - 1)


def build(folder: Path) -> Path:
    """The store file of the household, computed once into ``folder``."""
    db = folder / "selfdata.db"
    if db.exists():
        return db
    sim = simulate_household(days=DAYS, seed=1)
    store = Store(db).open()
    with store.transaction() as conn:
        for name in ("alice", "bob"):
            accounts.add_member(conn, name, PASSWORD, display_name=name.title(),
                                is_admin=name == "alice")
            accounts.add_device(conn, name, "phone")
    for name in ("alice", "bob"):
        device = accounts.get_device(store.conn, name, "phone")
        with store.transaction() as conn:
            insert_fixes(conn, device,
                         [Fix(p.ts, p.lat, p.lon, p.acc, vel=p.vel, activity=p.activity)
                          for p in sim.points[sim.devices[name]]], "owntracks-http")
        pipeline.rebuild_member(store, device.member_id)
    store.close()
    return db


def config_with(source: Path, folder: Path):
    """A gateway configuration whose data dir holds a fresh copy of the household."""
    config = make_config(folder / "data")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, config.db_path)
    store = Store(config.db_path).open()
    with store.transaction() as conn:
        broker.sync_broker_files(config, conn)
    store.close()
    return config


def member_id(store, name: str) -> int:
    return accounts.get_member(store.conn, name).id


def day_of(ts: int) -> date:
    from datetime import datetime
    return datetime.fromtimestamp(ts, TZ).date()
