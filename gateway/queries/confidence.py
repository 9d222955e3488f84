"""How sure the box is of a leg's mode: the one place the page asks.

The engine stores a confidence (0..1) per leg (``legs.confidence``; the engine issue makes
it a calibrated probability). A leg the member corrected is certain. When a store has no
such column (an engine that does not give one) every leg counts as certain, so the page's
"is this right?" marks simply do not appear.
"""
from __future__ import annotations

# Below this the page asks "is this right?"; at most ASK_PER_DAY legs a day, least sure first
# (a question on every leg would be nagging, not help).
UNSURE_BELOW = 0.6
ASK_PER_DAY = 3


def leg_certainty(leg: dict) -> float:
    if leg.get("corrected"):
        return 1.0
    value = leg.get("confidence")
    return 1.0 if value is None else float(value)


def to_ask(legs: list[dict], limit: int = ASK_PER_DAY) -> set:
    """The ids of the legs to ask about: the least sure under UNSURE_BELOW, at most limit."""
    unsure = sorted((leg_certainty(g), g["id"]) for g in legs if leg_certainty(g) < UNSURE_BELOW)
    return {leg_id for _, leg_id in unsure[:limit]}
