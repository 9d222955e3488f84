"""The trip engine on the box: a member's stored fixes through ``carbon`` into the stays,
trips, legs and places tables, incrementally (``pipeline``), with what the member decided
(``decisions``) applied after every detection."""
