"""The city link on the box (issue #11, docs/city-link.md): members' keys and links to an
aggregator, studies and consent, the outbox of signed monthly summaries that survives restarts
and power cuts, the ledger of receipts, and "households like yours".

`Outbox` (outbox.py) is the entry point; reads for display are in gateway.queries.link.
It is imported on first use: a box whose members never link to a city does not hold the
link's HTTP client and Ed25519 code (a few MB of the Pi's 512).
"""
from .errors import KeyMissing, LinkError, Unreachable

__all__ = ["Outbox", "LinkError", "Unreachable", "KeyMissing"]


def __getattr__(name: str):
    if name == "Outbox":
        from .outbox import Outbox
        return Outbox
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
