"""The household's settings the trip engine computes with (its time zone, the network's bus
and boat factors), copied into the `settings` table by `configure(store, config)`, so that
every caller of the pipeline (the service, the CLI, the importer, erasure) computes with the
same values even when it was given only a store.

Apart from `context` (the member's context, which needs the engine's types): the service
records these at start and the pages when the household changes, without loading the
engine (issue #8: an idle box holds it only once it has computed trips).
"""
from __future__ import annotations

from .. import accounts

SETTINGS_KEY = "pipeline"


def household_settings(config) -> dict:
    section = getattr(config, "pipeline", None)
    return {"timezone": config.gateway.timezone,
            "bus_g_pkm": (section.bus_g_pkm or None) if section else None,
            "boat_g_pkm": section.boat_g_pkm if section else 0.0}


def configure(store, config) -> None:
    """Record the household's settings for the pipeline (written only when they change)."""
    wanted = household_settings(config)
    # The household's zone as first-run setup or the admin chose it wins over the file's.
    chosen = (store.get_setting(accounts.preferences.HOUSEHOLD_KEY) or {}).get("timezone")
    if chosen:
        wanted["timezone"] = chosen
    if store.get_setting(SETTINGS_KEY) != wanted:
        store.set_setting(SETTINGS_KEY, wanted)
