"""Streaming XML with bounded memory: each wanted element is handed over complete, then
detached from its parent so a million-point track never accumulates in the tree."""
from __future__ import annotations

import xml.etree.ElementTree as ET


def local(tag: str) -> str:
    """``{http://www.topografix.com/GPX/1/1}trkpt`` -> ``trkpt`` (GPX 1.0 and 1.1 alike)."""
    return tag.rpartition("}")[2]


def elements(stream, wanted: set[str]):
    """Yield every element whose local name is in ``wanted``, once complete."""
    stack = []
    inside = 0          # how many wanted elements are open: their children must stay
    for event, elem in ET.iterparse(stream, events=("start", "end")):
        is_wanted = local(elem.tag) in wanted
        if event == "start":
            stack.append(elem)
            inside += is_wanted
            continue
        stack.pop()
        inside -= is_wanted
        if is_wanted:
            yield elem
        # Finished elements outside any wanted one (names, links, emptied segments) go too.
        if stack and inside == 0:
            stack[-1].remove(elem)


def child_text(elem, name: str) -> str | None:
    for child in elem.iter():
        if child is not elem and local(child.tag) == name:
            return (child.text or "").strip()
    return None
