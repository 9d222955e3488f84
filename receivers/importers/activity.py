"""Google's activity types in our mode names (carbon.modes.MODES).

Google's labels are evidence, never the answer: the trip engine weighs them against speed.
Types with no travel meaning (STILL, TILTING, UNKNOWN...) map to None rather than
"unknown" so they do not dilute the evidence.
"""
from __future__ import annotations

from functools import lru_cache

from carbon.modes import MODES

_MODES = {
    "walk": ("WALKING", "ON_FOOT", "HIKING", "WALKING_NORDIC", "IN_WHEELCHAIR",
             "SNOWSHOEING", "CATCHING_POKEMON", "FOOT"),
    "run": ("RUNNING",),
    "bike": ("ON_BICYCLE", "CYCLING", "BICYCLE"),
    "e-scooter": ("SKATEBOARDING", "SKATING"),
    "motorcycle": ("MOTORCYCLING", "IN_TWO_WHEELER_VEHICLE"),
    "car": ("IN_VEHICLE", "IN_ROAD_VEHICLE", "IN_CAR", "IN_PASSENGER_VEHICLE",
            "IN_FOUR_WHEELER_VEHICLE", "IN_TAXI", "DRIVING", "AUTOMOTIVE", "SNOWMOBILE"),
    "bus": ("IN_BUS", "BUS"),
    "tram": ("IN_TRAM", "TRAM", "IN_CABLECAR", "IN_GONDOLA_LIFT", "IN_FUNICULAR"),
    "train": ("IN_TRAIN", "IN_RAIL_VEHICLE", "TRAIN"),
    "metro": ("IN_SUBWAY", "SUBWAY", "METRO"),
    "boat": ("IN_FERRY", "BOATING", "SAILING", "KAYAKING", "ROWING", "FERRY"),
    "plane": ("FLYING", "PARAGLIDING"),
}
_TYPE_TO_MODE = {t: mode for mode, types in _MODES.items() for t in types}


def _normalise(google_type: str) -> str:
    """``onBicycle`` (pre-2015 files), ``walking`` (iOS), ``IN_BUS`` all to ``ON_BICYCLE`` form."""
    text = str(google_type).strip()
    if any(c.islower() for c in text) and any(c.isupper() for c in text[1:]):
        text = "".join("_" + c if c.isupper() else c for c in text)
    return text.upper().replace(" ", "_").lstrip("_")


def mode_of(google_type) -> str | None:
    """Our mode for one of Google's activity types (or an OwnTracks motion activity, or one
    of our own mode names, as our exports write), None when it says nothing about travel."""
    # Only short strings reach the cache: it holds its keys, and a crafted file could
    # otherwise fill it with megabyte-long "types".
    if isinstance(google_type, str) and 0 < len(google_type) <= 64:
        return _mode_of(google_type)
    return None


@lru_cache(maxsize=512)   # a few dozen distinct types, a million lookups
def _mode_of(google_type: str) -> str | None:
    if google_type in MODES:
        return google_type
    return _TYPE_TO_MODE.get(_normalise(google_type))


def best_mode(candidates) -> str | None:
    """The most confident travel mode among ``(type, confidence)`` pairs, ignoring STILL etc."""
    best, best_conf = None, -1.0
    for google_type, confidence in candidates:
        mode = mode_of(google_type)
        conf = float(confidence or 0)
        if mode and conf > best_conf:
            best, best_conf = mode, conf
    return best
