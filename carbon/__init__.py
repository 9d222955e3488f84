"""Pure trip and CO2 engine: fixes in, stays/trips/legs/footprints/summaries out.

No I/O, no database, no asyncio: the gateway reads fixes, calls these functions and
stores what they return. See docs/engine.md.

The names below load on first use: the receivers and the store only need ``carbon.fix``,
and an idle box should not hold the whole engine (issue #8, the Pi Zero's 512 MB).
"""
import importlib

_WHERE = {"Fix": "carbon.fix", "Stay": "carbon.model", "Trip": "carbon.model",
          "Leg": "carbon.model", "Timeline": "carbon.model", "Params": "carbon.params",
          "Context": "carbon.params", "DEFAULT_PARAMS": "carbon.params",
          "build_timeline": "carbon.timeline", "update_timeline": "carbon.timeline",
          "recompute_from": "carbon.timeline"}

__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'carbon' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
