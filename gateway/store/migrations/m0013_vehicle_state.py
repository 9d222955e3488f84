"""Where the member's vehicles are, kept with the pipeline's resume point (docs/engine.md,
"Where the vehicles are"): ``pipeline_state.parked`` holds the engine's own belief of where
the member's car and bike may be at ``resume_ts`` (``carbon.Timeline.parked``, as JSON:
the resume point it is for, a key of the leg corrections it knew, the spots of each
vehicle with their probabilities), so that the live path, resuming there, decides the next
trips from the same state a rebuild from the first fix has, instead of reading it back
from the stored trips. NULL: not known, read back from the trips as before.
"""

SCHEMA = """
ALTER TABLE pipeline_state ADD COLUMN parked TEXT;
"""


from . import run_script  # noqa: E402


def up(conn):
    run_script(conn, SCHEMA)
