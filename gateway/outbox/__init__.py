"""The city link on the box (issue #11, docs/city-link.md): members' keys and links to an
aggregator, studies and consent, the outbox of signed monthly summaries that survives restarts
and power cuts, the ledger of receipts, and "households like yours".

`Outbox` (outbox.py) is the entry point; reads for display are in gateway.queries.link.
"""
from .errors import LinkError, Unreachable
from .keys import KeyMissing
from .outbox import Outbox

__all__ = ["Outbox", "LinkError", "Unreachable", "KeyMissing"]
