"""The trip engine's tables: stays, trips, legs (derived), places and corrections (member
input), the pipeline's bookkeeping and the imported public-transport feed.

Derived rows (stays, trips, legs) can always be recomputed from fixes plus corrections.
Legs keep the engine's own guess (`detected_mode`) beside the mode shown (`mode`, after
corrections and recurring-trip learning), so a correction, a new place or new vehicle
settings are applied again without re-reading a single fix.
"""

SCHEMA = """
CREATE TABLE stays (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    n_points INTEGER NOT NULL DEFAULT 0,
    place TEXT                              -- places.place_key, when it is a known place
);
CREATE INDEX stays_member_ts ON stays (member_id, start_ts);
CREATE TABLE trips (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    distance_m REAL NOT NULL,
    co2_g REAL,                             -- sum of the legs' footprints
    avoided_g REAL,                         -- kept apart, never subtracted
    purpose TEXT,                           -- commute, home, work, other (or the member's)
    start_place TEXT,
    end_place TEXT,
    start_lat REAL, start_lon REAL, end_lat REAL, end_lon REAL
);
CREATE INDEX trips_member_ts ON trips (member_id, start_ts);
CREATE TABLE legs (
    id INTEGER PRIMARY KEY,
    trip_id INTEGER NOT NULL REFERENCES trips(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    distance_m REAL NOT NULL,
    mode TEXT NOT NULL,
    confidence REAL NOT NULL,
    detected_mode TEXT NOT NULL,            -- the engine's guess before any correction
    detected_confidence REAL NOT NULL,
    corrected INTEGER NOT NULL DEFAULT 0,   -- 1: the member set this mode themselves
    n_points INTEGER NOT NULL DEFAULT 0,
    co2_g REAL,
    avoided_g REAL,
    factor_version TEXT
);
CREATE INDEX legs_trip ON legs (trip_id, seq);
CREATE INDEX legs_member_ts ON legs (member_id, start_ts);
-- Recurring stay locations. source 'auto' rows are recomputed from stays after processing;
-- 'member' rows are what the member named or labelled and are never overwritten.
CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    place_key TEXT NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    label TEXT,                             -- home, work or NULL
    name TEXT,                              -- given by the member
    source TEXT NOT NULL DEFAULT 'auto' CHECK (source IN ('auto', 'member')),
    visits INTEGER NOT NULL DEFAULT 0,
    dwell_s INTEGER NOT NULL DEFAULT 0,
    UNIQUE (member_id, source, place_key)
);
-- What the member corrected, keyed by time span (carbon.corrections.Correction): rows
-- survive every rebuild; they are erased with the period they describe.
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('leg_mode', 'trip_purpose')),
    start_ts INTEGER NOT NULL,
    end_ts INTEGER NOT NULL,
    value TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    trip_start_lat REAL, trip_start_lon REAL, trip_end_lat REAL, trip_end_lon REAL,
    trip_distance_m REAL,
    main_leg INTEGER NOT NULL DEFAULT 0,
    UNIQUE (member_id, kind, start_ts, end_ts, created_ts)
);
CREATE INDEX corrections_member ON corrections (member_id, start_ts);
-- Where the live path resumes. The column is `member`, not `member_id`, on purpose: this
-- is bookkeeping of this box, not the member's data, so exports and restores skip it.
CREATE TABLE pipeline_state (
    member INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    resume_ts INTEGER,                      -- carbon's Timeline.resume_ts after the last run
    last_fix_id INTEGER NOT NULL DEFAULT 0, -- fixes with a larger id are not processed yet
    places_digest TEXT NOT NULL DEFAULT '',
    updated_ts INTEGER NOT NULL
);
-- One imported GTFS feed, reduced to what the engine reads (CSV text); the engine's
-- TransitIndex is rebuilt from it when the pipeline starts.
CREATE TABLE transit_feed (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    imported_ts INTEGER NOT NULL,
    summary TEXT NOT NULL,                  -- JSON counts, for `selfdata gtfs show`
    routes TEXT NOT NULL,
    trips TEXT NOT NULL,
    stops TEXT NOT NULL,
    shapes TEXT NOT NULL,
    stop_times TEXT NOT NULL
);
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
