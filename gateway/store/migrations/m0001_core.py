"""Members, devices, fixes, OwnTracks events and ingest rejections."""

SCHEMA = """
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT,
    password_hash TEXT,
    is_admin INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}',
    created_ts INTEGER NOT NULL
);
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    tid TEXT NOT NULL,
    -- mosquitto's own PBKDF2-SHA512 format, also checked for HTTP Basic auth
    secret_hash TEXT NOT NULL,
    encryption_key TEXT,
    card_name TEXT,
    card_face TEXT,
    last_seen_ts REAL,
    created_ts INTEGER NOT NULL,
    UNIQUE (member_id, name)
);
-- viewer may see owner's positions (friends in the OwnTracks sense)
CREATE TABLE shares (
    owner_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    viewer_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (owner_id, viewer_id)
) WITHOUT ROWID;
CREATE TABLE fixes (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    acc REAL, alt REAL, vel REAL, cog REAL, batt INTEGER,
    activity TEXT,
    source TEXT NOT NULL,
    received_ts REAL NOT NULL,
    raw TEXT,
    UNIQUE (device_id, ts)
);
CREATE INDEX fixes_member_ts ON fixes (member_id, ts);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    ts INTEGER,
    topic TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    received_ts REAL NOT NULL,
    digest TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (device_id, digest)
);
CREATE INDEX events_member_ts ON events (member_id, type, ts);
CREATE TABLE rejections (
    id INTEGER PRIMARY KEY,
    received_ts REAL NOT NULL,
    source TEXT NOT NULL,
    device_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,
    member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    payload_head TEXT NOT NULL
);
CREATE INDEX rejections_member ON rejections (member_id, received_ts);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
