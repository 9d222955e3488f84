"""The aggregator's tables, written once in the SQL subset SQLite and PostgreSQL share.

Portable rules: TEXT and BIGINT only (booleans are 0/1), no autoincrement (keys are natural),
`?` placeholders (the PostgreSQL adapter numbers them), upserts with ON CONFLICT. A migration is
a list of statements applied in one transaction; `meta.schema_version` says how far a database is.
"""
FAMILY_COLUMNS = ("active", "public_transport", "car", "two_wheeler", "plane", "unknown")
METRE_COLUMNS = tuple(f"m_{f}" for f in FAMILY_COLUMNS)
GRAM_COLUMNS = tuple(f"g_{f}" for f in FAMILY_COLUMNS)
# The figures of one contribution, as flat columns so the same SQL aggregates on both engines.
FIGURE_COLUMNS = ("commune", "trips", "bike_days", "avoided_g") + METRE_COLUMNS + GRAM_COLUMNS

_figures_sql = ",\n    ".join(
    ["commune TEXT", "trips BIGINT", "bike_days BIGINT", "avoided_g BIGINT"]
    + [f"{c} BIGINT" for c in METRE_COLUMNS + GRAM_COLUMNS])

MIGRATIONS = [
    (1, [
        # Tokens are stored hashed and never linked to the key they enrolled.
        "CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, used BIGINT NOT NULL DEFAULT 0)",
        """CREATE TABLE contributors (
    pseudonym TEXT PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    revoked BIGINT NOT NULL DEFAULT 0)""",
        "CREATE TABLE studies (id TEXT PRIMARY KEY, definition TEXT NOT NULL)",
        # One row per pseudonym + study + month. A deletion clears the figures and keeps the
        # revision and digest, so an old signed copy replayed later cannot come back.
        f"""CREATE TABLE contributions (
    pseudonym TEXT NOT NULL,
    study TEXT NOT NULL,
    month TEXT NOT NULL,
    revision BIGINT NOT NULL,
    digest TEXT NOT NULL,
    receipt TEXT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    {_figures_sql},
    PRIMARY KEY (pseudonym, study, month))""",
        "CREATE INDEX contributions_by_month ON contributions (study, month, deleted)",
        # Nonces of signed deletion and revocation requests already applied (replays refused).
        """CREATE TABLE control_nonces (
    pseudonym TEXT NOT NULL, nonce TEXT NOT NULL, PRIMARY KEY (pseudonym, nonce))""",
        # Each release of a study-month table, and who was counted in which cell of it: the
        # release rule compares the contributors of a new release with every earlier one.
        """CREATE TABLE releases (
    study TEXT NOT NULL, month TEXT NOT NULL, number BIGINT NOT NULL,
    k BIGINT NOT NULL, suppressed TEXT NOT NULL, tables TEXT NOT NULL,
    PRIMARY KEY (study, month, number))""",
        """CREATE TABLE release_members (
    study TEXT NOT NULL, month TEXT NOT NULL, number BIGINT NOT NULL,
    atom TEXT NOT NULL, pseudonym TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (study, month, number, pseudonym))""",
    ]),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
META_TABLE = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
