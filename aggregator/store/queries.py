"""Every query the aggregator makes, the same text on SQLite and PostgreSQL."""
import functools
import json

from aggregator.store.schema import FIGURE_COLUMNS, META_TABLE, MIGRATIONS

_FIG = ", ".join(FIGURE_COLUMNS)
_FIG_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in FIGURE_COLUMNS)
_FIG_CLEAR = ", ".join(f"{c} = NULL" for c in FIGURE_COLUMNS)
# A contribution row: (pseudonym, study, month, revision, digest, receipt, *figures).
_ROW_COLUMNS = ("pseudonym", "study", "month", "revision", "digest", "receipt") + FIGURE_COLUMNS
# The first row of a VALUES list is typed with casts, because PostgreSQL cannot infer a
# parameter's type from an INSERT ... SELECT target (CAST is the spelling both engines share);
# the other rows take the column types of the first.
_FIRST_ROW = "(" + ", ".join(
    ["CAST(? AS TEXT)"] * 3 + ["CAST(? AS BIGINT)"] + ["CAST(? AS TEXT)"] * 3
    + ["CAST(? AS BIGINT)"] * (len(FIGURE_COLUMNS) - 1)) + ")"
_OTHER_ROW = "(" + ", ".join("?" for _ in _ROW_COLUMNS) + ")"
# Both engines name a VALUES list's columns column1, column2...
_VALUE_COLUMNS = ", ".join(f"v.column{i}" for i in range(1, len(_ROW_COLUMNS) + 1))

PUT_ROWS = 256   # rows in one statement at most: 22 values a row, well under both engines' limits


@functools.lru_cache(maxsize=16)
def _put_sql(count: int) -> str:
    """Store.put_chunk's statement for `count` rows: built once per size (one same string
    object, so the drivers' statement caches find it without rebuilding or rehashing it).
    One VALUES list joined to the contributors (a UNION ALL of one SELECT a row, as before,
    cost PostgreSQL's planner more per row the longer the batch: 0.2 ms a row at 256)."""
    values = ", ".join([_FIRST_ROW] + [_OTHER_ROW] * (count - 1))
    return (f"INSERT INTO contributions ({', '.join(_ROW_COLUMNS)}, deleted) "
            f"SELECT {_VALUE_COLUMNS}, 0 FROM (VALUES {values}) AS v "
            f"JOIN contributors ON contributors.pseudonym = v.column1 AND contributors.revoked = 0 "
            # WHERE: SQLite needs it to read the ON CONFLICT that follows as the upsert's
            f"WHERE true "
            f"ON CONFLICT (pseudonym, study, month) DO UPDATE SET revision = excluded.revision, "
            f"digest = excluded.digest, receipt = excluded.receipt, deleted = 0, {_FIG_UPDATE} "
            f"WHERE contributions.revision < excluded.revision "
            f"RETURNING pseudonym, study, month")


class Store:
    def __init__(self, db):
        self.db = db
        self.engine = db.name

    async def close(self):
        await self.db.close()

    # --- migrations ---------------------------------------------------------------------

    async def schema_version(self) -> int:
        await self.db.execute(META_TABLE)
        row = await self.db.fetchone("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        current = await self.schema_version()
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            async with self.db.transaction() as tx:
                for sql in statements:
                    await tx.execute(sql)
                await tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(version),))
            current = version
        return current

    # --- tokens and contributors --------------------------------------------------------

    async def add_tokens(self, hashes) -> None:
        await self.db.executemany("INSERT INTO tokens (token_hash) VALUES (?)", [(h,) for h in hashes])

    async def enrol(self, token_hash: str, pseudonym: str, public_key: str) -> str:
        """Spend a token on one key, atomically: "ok", "token_unknown", "token_used" or "key_taken"."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone("SELECT used FROM tokens WHERE token_hash = ?", (token_hash,))
            if row is None:
                return "token_unknown"
            if row[0]:
                return "token_used"
            if await tx.fetchone("SELECT 1 FROM contributors WHERE pseudonym = ?", (pseudonym,)):
                return "key_taken"
            await tx.execute("UPDATE tokens SET used = 1 WHERE token_hash = ?", (token_hash,))
            await tx.execute("INSERT INTO contributors (pseudonym, public_key) VALUES (?, ?)",
                             (pseudonym, public_key))
        return "ok"

    async def add_contributors(self, rows) -> None:
        """Bulk enrolment (the bench): (pseudonym, public_key) pairs, no tokens."""
        await self.db.executemany(
            "INSERT INTO contributors (pseudonym, public_key) VALUES (?, ?)", list(rows))

    async def contributor(self, pseudonym: str):
        return await self.db.fetchone(
            "SELECT public_key, revoked FROM contributors WHERE pseudonym = ?", (pseudonym,))

    async def revoke(self, pseudonym: str) -> bool:
        return await self.db.execute(
            "UPDATE contributors SET revoked = 1 WHERE pseudonym = ? AND revoked = 0", (pseudonym,)) == 1

    async def use_nonce(self, pseudonym: str, nonce: str) -> bool:
        """False if this signed control message was already applied (a replay)."""
        return await self.db.execute(
            "INSERT INTO control_nonces (pseudonym, nonce) VALUES (?, ?) "
            "ON CONFLICT (pseudonym, nonce) DO NOTHING", (pseudonym, nonce)) == 1

    # --- studies ------------------------------------------------------------------------

    async def put_study(self, study: dict) -> None:
        await self.db.execute(
            "INSERT INTO studies (id, definition) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET definition = excluded.definition",
            (study["id"], json.dumps(study, sort_keys=True)))

    async def studies(self) -> dict:
        rows = await self.db.fetchall("SELECT id, definition FROM studies ORDER BY id")
        return {r[0]: json.loads(r[1]) for r in rows}

    # --- contributions ------------------------------------------------------------------

    async def intake_state(self, pseudonym: str, study: str, month: str):
        """(public_key, revoked, revision, digest, receipt) in one round trip; None if no key
        is enrolled. (Grouping these lookups was measured: slower on PostgreSQL.)"""
        return await self.db.fetchone(
            "SELECT c.public_key, c.revoked, k.revision, k.digest, k.receipt "
            "FROM contributors c LEFT JOIN contributions k "
            "ON k.pseudonym = c.pseudonym AND k.study = ? AND k.month = ? "
            "WHERE c.pseudonym = ?", (study, month, pseudonym))

    async def put_contributions(self, rows: list) -> set:
        """put_chunk in one statement (one round trip, atomic: no transaction to open) for up
        to PUT_ROWS rows; more go in chunks inside one transaction and one commit."""
        if len(rows) <= PUT_ROWS:
            return await self.put_chunk(self.db, rows)
        written = set()
        async with self.db.transaction() as tx:
            for start in range(0, len(rows), PUT_ROWS):
                written |= await self.put_chunk(tx, rows[start:start + PUT_ROWS])
        return written

    @staticmethod
    async def put_chunk(db, rows: list) -> set:
        """Insert, or replace only by a higher revision, many contributions in one statement.
        The database itself checks the revision (two racing copies cannot both win) and that
        the contributor is enrolled and not revoked (a revocation from another process counts
        at once). rows: (pseudonym, study, month, revision, digest, receipt, *figures), at
        most one per key. Returns the (pseudonym, study, month) keys actually written.
        The statement has a power-of-two number of rows (a few texts, each prepared once, serve
        every batch size); the rows beyond the batch are all NULL, and a NULL pseudonym
        joins no contributor, so they insert nothing."""
        if not rows:
            return set()
        size = 1 << (len(rows) - 1).bit_length()
        args = [value for row in rows for value in row]
        args += [None] * ((size - len(rows)) * len(_ROW_COLUMNS))
        return {tuple(r) for r in await db.fetchall(_put_sql(size), args)}

    async def public_keys(self) -> dict:
        """Every enrolled pseudonym's public key (intake keeps them in memory: keys never change)."""
        return dict(await self.db.fetchall("SELECT pseudonym, public_key FROM contributors"))

    async def delete_contributions(self, pseudonym: str, study: str | None, months) -> int:
        """Clear the figures of a contributor's stored contributions at once (tombstones keep
        only revision and digest). `study` None = all studies; `months` None = all months."""
        where, args = ["pseudonym = ?", "deleted = 0"], [pseudonym]
        if study is not None:
            where.append("study = ?")
            args.append(study)
        if months is not None:
            where.append("month IN (" + ", ".join("?" for _ in months) + ")")
            args.extend(months)
        return await self.db.execute(
            f"UPDATE contributions SET deleted = 1, {_FIG_CLEAR} WHERE " + " AND ".join(where), args)

    async def month_rows(self, study: str, month: str) -> list:
        """(pseudonym, digest, figures...) of the live contributions of one study-month."""
        return await self.db.fetchall(
            f"SELECT pseudonym, digest, {_FIG} FROM contributions "
            f"WHERE study = ? AND month = ? AND deleted = 0", (study, month))

    async def study_months(self) -> list:
        """Every (study, month) that has or had contributions, oldest first."""
        return await self.db.fetchall(
            "SELECT DISTINCT study, month FROM contributions ORDER BY month, study")

    async def stored_figures(self, pseudonym: str) -> list:
        """What is stored for one pseudonym (tests and the contributor's own right of access)."""
        return await self.db.fetchall(
            f"SELECT study, month, revision, deleted, {_FIG} FROM contributions "
            f"WHERE pseudonym = ? ORDER BY study, month", (pseudonym,))

    # --- releases -----------------------------------------------------------------------

    async def releases(self, study: str, month: str) -> list:
        """[(number, k, suppressed atoms, tables)] of one study-month, oldest first."""
        rows = await self.db.fetchall(
            "SELECT number, k, suppressed, tables FROM releases WHERE study = ? AND month = ? "
            "ORDER BY number", (study, month))
        return [(r[0], r[1], json.loads(r[2]), json.loads(r[3])) for r in rows]

    async def release_members(self, study: str, month: str, number: int) -> list:
        return await self.db.fetchall(
            "SELECT atom, pseudonym, digest FROM release_members "
            "WHERE study = ? AND month = ? AND number = ?", (study, month, number))

    async def add_release(self, study, month, number, k, suppressed, tables, members) -> None:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO releases (study, month, number, k, suppressed, tables) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (study, month, number, k, json.dumps(sorted(suppressed)), json.dumps(tables)))
            # Multi-row statements: a month's release can name 100,000 contributors.
            rows = [(study, month, number, atom, p, d) for atom, p, d in members]
            for chunk in (rows[i:i + 500] for i in range(0, len(rows), 500)):
                await tx.execute(
                    "INSERT INTO release_members (study, month, number, atom, pseudonym, digest) "
                    "VALUES " + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chunk),
                    [v for row in chunk for v in row])

    async def latest_releases(self, month: str | None = None) -> list:
        """[(study, month, number, tables)] of the newest release of each study-month."""
        where, args = "", ()
        if month is not None:
            where, args = "WHERE r.month = ? ", (month,)
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in await self.db.fetchall(
            "SELECT r.study, r.month, r.number, r.tables FROM releases r "
            "JOIN (SELECT study, month, MAX(number) AS n FROM releases GROUP BY study, month) m "
            "ON m.study = r.study AND m.month = r.month AND m.n = r.number "
            + where + "ORDER BY r.month, r.study", args)]
