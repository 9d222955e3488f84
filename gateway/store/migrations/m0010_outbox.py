"""The city link (issue #11): members' links to aggregators, the studies they publish, each
member's consent per study and its log, the outbox of signed messages and the ledger of what
was sent with the aggregator's signed receipt. Owned by gateway/outbox/.

Times here are the box's own records (when a member joined, when a message left), never sent
anywhere; they are named ``*_at`` rather than ``ts`` so that erasing a period of positions
(gateway/portability/erasure.py, which deletes rows by ``ts`` or ``start_ts``/``end_ts``) never
erases the record of what was shared and agreed to.
"""

SCHEMA = """
-- One member's link to one aggregator: their own Ed25519 key pair (the private key in
-- <data_dir>/keys/<key_file>, never in the database) and the pseudonym the city knows.
CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    aggregator TEXT NOT NULL,                -- base URL, without a trailing slash
    key_file TEXT NOT NULL UNIQUE,           -- a random name, nothing about the member
    public_key TEXT NOT NULL UNIQUE,         -- base64url, as enrolled
    pseudonym TEXT NOT NULL UNIQUE,
    aggregator_key TEXT NOT NULL,            -- the key that signs its receipts (base64url)
    state TEXT NOT NULL DEFAULT 'active'
        CHECK (state IN ('active', 'revoking', 'revoked')),
    enrolled_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX links_member ON links (member_id, aggregator);
-- The studies each aggregator publishes, as last fetched (the box's, not a member's).
CREATE TABLE link_studies (
    aggregator TEXT NOT NULL,
    study_id TEXT NOT NULL,
    definition TEXT NOT NULL,                -- JSON, checked by summary_wire.check_study
    fetched_at INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0,    -- 1: the aggregator no longer lists it
    PRIMARY KEY (aggregator, study_id)
) WITHOUT ROWID;
-- A member's current decision per study of a link.
CREATE TABLE consents (
    link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    study_id TEXT NOT NULL,
    joined INTEGER NOT NULL CHECK (joined IN (0, 1)),
    agreed TEXT NOT NULL,                    -- JSON {fields, k}: the study as the member saw it
    commune INTEGER NOT NULL DEFAULT 0,      -- 1: the member ticked "send my commune"
    from_month TEXT NOT NULL,                -- the first month that may be sent
    changed_at INTEGER NOT NULL,
    PRIMARY KEY (link_id, study_id)
);
-- Every decision, in order, with what the member was shown: never rewritten.
CREATE TABLE consent_log (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    study_id TEXT,                           -- NULL: the link itself (enrol, revoke)
    action TEXT NOT NULL CHECK (action IN ('enrol', 'join', 'leave', 'delete', 'revoke')),
    at INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'        -- JSON: fields, commune, the preview shown
);
CREATE INDEX consent_log_member ON consent_log (member_id, id);
-- Signed messages waiting to go, stored exactly as they go on the wire (canonical bytes), so
-- that a message resent after a crash or a power cut is the same message, byte for byte.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('summary', 'delete', 'revoke')),
    study_id TEXT,                           -- '*': every study (a deletion)
    month TEXT,
    revision INTEGER,
    body TEXT,                               -- a summary's canonical body, to compare
    message TEXT NOT NULL,
    digest TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sent', 'superseded', 'cancelled', 'refused')),
    created_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,                 -- not before: jitter, then backoff
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at INTEGER,
    last_error TEXT,
    done_at INTEGER
);
CREATE INDEX outbox_pending ON outbox (state, link_id, id);
CREATE INDEX outbox_month ON outbox (link_id, study_id, month, revision);
-- What left the box and what the aggregator answered: its signed receipt.
CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    outbox_id INTEGER NOT NULL UNIQUE REFERENCES outbox(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    study_id TEXT,
    month TEXT,
    revision INTEGER,
    digest TEXT NOT NULL,
    message TEXT NOT NULL,                   -- the bytes sent
    receipt TEXT NOT NULL,                   -- the aggregator's signed receipt (JSON)
    status TEXT NOT NULL,                    -- the receipt's: stored, deleted, revoked
    count INTEGER,                           -- contributions cleared (deletion, revocation)
    sent_at INTEGER NOT NULL
);
CREATE INDEX ledger_member ON ledger (member_id, id);
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
