"""What the city link says went wrong, for people."""
from ..said import Said



class LinkError(Said):
    """Something about a member's link the member can fix or should know, said plainly."""


class Unreachable(LinkError):
    """The aggregator could not be reached or gave no usable answer: try again later."""


class KeyMissing(Exception):
    """A link's private key is not in the data dir (deleted, or a database restored alone)."""
