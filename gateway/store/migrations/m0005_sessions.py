"""Server-side web sessions (issue #7): logout and a password change end them.

The cookie carries a random 256-bit token; only its SHA-256 is stored, so a copy of the
database (a backup, an archive) cannot be turned into a logged-in browser.
"""

SCHEMA = """
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    last_seen_ts INTEGER NOT NULL,
    expires_ts INTEGER NOT NULL,
    user_agent TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_member ON sessions (member_id);
CREATE INDEX sessions_expires ON sessions (expires_ts);
-- The key that signed the old stateless cookies: they are worthless now, so is it.
DELETE FROM settings WHERE key = 'session_key';
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
