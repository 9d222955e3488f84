"""Pure trip and CO2 engine: fixes in, stays/trips/legs/footprints/summaries out.

No I/O, no database, no asyncio: the gateway reads fixes, calls these functions and
stores what they return. See docs/engine.md.
"""
from carbon.fix import Fix
from carbon.model import Leg, Stay, Timeline, Trip
from carbon.params import DEFAULT_PARAMS, Context, Params
from carbon.timeline import build_timeline, recompute_from, update_timeline

__all__ = ["Fix", "Stay", "Trip", "Leg", "Timeline", "Params", "Context", "DEFAULT_PARAMS",
           "build_timeline", "update_timeline", "recompute_from"]
