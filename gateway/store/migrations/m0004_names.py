"""One name per concept (issue #8), data kept.

* ``shares`` becomes ``visibility``: "share" is reserved for a signed summary sent to the
  city; what one member lets another see is visibility. Rows are kept as they are.
* ``pipeline_state.member`` becomes ``member_id`` like every other column naming a member.
  It was spelled ``member`` so that exports and erasure, which find a member's tables by a
  ``member_id`` column, would skip it; they now skip the tables declared as bookkeeping
  (``gateway.store.tables.BOOKKEEPING``) by name.
"""

SCHEMA = """
ALTER TABLE shares RENAME TO visibility;
ALTER TABLE pipeline_state RENAME COLUMN member TO member_id;
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
