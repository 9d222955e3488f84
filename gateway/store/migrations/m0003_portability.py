"""Imports (jobs with progress), labelled segments from other tools, retention settings."""

SCHEMA = """
-- One row per `selfdata import` or web upload: the web page polls it for progress.
CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    started_ts REAL NOT NULL,
    finished_ts REAL,
    status TEXT NOT NULL DEFAULT 'running',      -- running | done | failed
    paths TEXT NOT NULL,                         -- JSON list of what was given
    bytes_total INTEGER NOT NULL DEFAULT 0,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    current TEXT NOT NULL DEFAULT '',
    fixes INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    report TEXT                                  -- JSON: the per-file report once finished
);
CREATE INDEX import_jobs_member ON import_jobs (member_id, started_ts);
-- Visits and activity segments another tool already inferred (Google Timeline): evidence
-- for the trip engine and labelled data to measure it against. `label` is the tool's
-- activity type or the visit's place id; `mode` is in our mode names.
CREATE TABLE labelled_segments (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('visit', 'activity')),
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    lat REAL, lon REAL, end_lat REAL, end_lon REAL,
    label TEXT NOT NULL DEFAULT '',
    mode TEXT,
    confidence REAL,
    distance_m REAL,
    place_name TEXT,
    semantic_type TEXT,
    source TEXT NOT NULL,
    UNIQUE (member_id, kind, start_ts, end_ts, label)
);
CREATE INDEX labelled_segments_member_ts ON labelled_segments (member_id, start_ts);
-- Keep raw fixes for `months` (trips are kept forever). No row = keep everything.
CREATE TABLE retention (
    member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    months INTEGER NOT NULL CHECK (months > 0),
    updated_ts INTEGER NOT NULL,
    last_applied_ts INTEGER
);
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
