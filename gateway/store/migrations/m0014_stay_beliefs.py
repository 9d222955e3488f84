"""Where the member's vehicles are at each stay (docs/engine.md, "Incremental processing"):
``stays.parked`` holds the engine's belief of where the member's car and bike may be when
the member was at that stay (``carbon.Timeline.beliefs`` there, as JSON: the stay's start,
a key of the leg corrections before it, the spots of each vehicle with their
probabilities), for every stay lasting ``stay_min_s`` or more. A late batch (a phone's
queue arriving hours late, an import) recomputes from such a stay, and starts from the
belief a rebuild has there instead of one read back from the stored trips; a window that
ends at a stay whose belief came out the same leaves the trips after it alone, and one
whose belief changed runs on. NULL (every stay stored before this migration, a stay the
member's edits made): not known, read back from the stored trips as before (m0013's
``pipeline_state.parked`` is the belief at the resume point, as before).
"""

SCHEMA = """
ALTER TABLE stays ADD COLUMN parked TEXT;
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
