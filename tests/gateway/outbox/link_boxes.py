"""Households for the city link's tests: each box a data dir of its own with members whose
phones' history is simulated (simulation/household.py), run through the real trip engine.

A box can be moved to another commune: its whole history is shifted so that home lands near
that commune's centre (the trips keep their shapes and lengths)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from carbon.communes import COMMUNES
from carbon.fix import Fix
from gateway import accounts
from gateway.config import Config
from gateway.store import Store, insert_fixes
from gateway.trips import pipeline
from gateway.trips.context import configure
from simulation.household import PLACES, iter_points

TZ = ZoneInfo("Europe/Paris")
START = date(2026, 3, 23)        # two weeks over the end of March: March and April
DAYS = 14
HOME = PLACES["home"]            # Tasdon, La Rochelle (17300)


def local_ts(text: str) -> float:
    """'2026-04-10 12:00' in the household's zone, as epoch seconds (the box's clock)."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


class Clock:
    """The box's clock in a test: it runs (backoff delays pass as in life) from a local time
    the test sets, and jumps when the test says a month has gone by."""

    def __init__(self, text: str):
        self.set(text)

    def set(self, text: str) -> None:
        self.offset = local_ts(text) - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Member:
    name: str
    profile: str = "alice"        # whose simulated life: "alice" (bike, bus) or "bob" (car)
    seed: int = 1
    device: str = "phone"


@dataclass
class Box:
    config: Config
    members: list
    commune: str
    ids: dict = field(default_factory=dict)
    fixes: dict = field(default_factory=dict)    # member -> [(lat, lon)] as stored

    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    def store(self) -> Store:
        return Store(self.config.db_path).open()


def make_config(data_dir: Path, hostname: str) -> Config:
    cfg = Config()
    cfg.gateway.data_dir = str(data_dir)
    cfg.gateway.hostname = hostname
    cfg.gateway.zeroconf = False
    cfg.web.host, cfg.web.port = "127.0.0.1", 0
    cfg.mqtt.enabled = False
    cfg.link.jitter_s = 0.0            # tests look at jitter on its own
    cfg.link.backoff_min_s = 1.0
    cfg.link.backoff_max_s = 4.0
    cfg.link.send_interval_s = 0.2
    cfg.link.timeout_s = 10.0
    return cfg


def make_box(path: Path, hostname: str, members: list, commune: str = "17300",
             start: date = START, days: int = DAYS) -> Box:
    """A box with these members, each with a phone and simulated history, trips computed."""
    box = Box(make_config(path, hostname), members, commune)
    dlat, dlon = COMMUNES[commune][1] - HOME[0], COMMUNES[commune][2] - HOME[1]
    if commune == "17300":
        dlat = dlon = 0.0                 # Tasdon is in La Rochelle already
    store = box.store()
    configure(store, box.config)
    with store.transaction() as conn:
        for m in members:
            box.ids[m.name] = accounts.add_member(conn, m.name, None,
                                                  display_name=m.name.title()).id
            accounts.add_device(conn, m.name, m.device)
    for m in members:
        device = accounts.get_device(store.conn, m.name, m.device)
        fixes = [Fix(ts=p.ts, lat=round(p.lat + dlat, 7), lon=round(p.lon + dlon, 7), acc=p.acc,
                     vel=p.vel, activity=p.activity)
                 for p in iter_points(m.profile, days, seed=m.seed, start=start)]
        box.fixes[m.name] = [(f.lat, f.lon) for f in fixes]
        with store.transaction() as conn:
            insert_fixes(conn, device.id, device.member_id, fixes, "import:simulator")
        pipeline.rebuild_member(store, box.ids[m.name])
    store.close()
    return box
