"""What the city link says went wrong, for people."""


class LinkError(Exception):
    """Something about a member's link the member can fix or should know, said plainly."""


class Unreachable(LinkError):
    """The aggregator could not be reached or gave no usable answer: try again later."""
