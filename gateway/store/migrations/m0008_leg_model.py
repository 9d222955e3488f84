"""The mode model's view of each leg, and what a correction teaches (issue #9).

legs.probs: the engine's probabilities of the leading modes for the leg (JSON {mode: p},
before any correction), so the household page can ask the member about the least certain
legs first; `detected_confidence` is the probability of the detected mode.
legs.features: what the engine measured on the leg (JSON: speeds, halts, waits), so that a
correction made on it teaches the member's own speeds (carbon.priors) and the footprint
can tell a high-speed train from a regional one without re-reading fixes.
corrections.was / corrections.leg_features: the mode the member corrected away from and
the leg's measures at that moment: the member's priors are learned from them, so they
survive rebuilds like the correction itself.

Numbered 8: the number the round reserved for the engine (m0007 read side, m0009 web pages,
m0010 outbox). The runner records each migration by number, so a box that already has
m0010 still gets this one.
"""

COLUMNS = (("legs", "probs"), ("legs", "features"), ("corrections", "was"),
           ("corrections", "leg_features"))


def up(conn):
    # The tables come from m0002; a column already there (added by hand, a re-run) is left.
    for table, column in COLUMNS:
        have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        if have and column not in have:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
