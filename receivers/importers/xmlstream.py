"""Streaming XML with bounded memory: a pull parser over expat that keeps nothing it was not
asked for.

``ElementTree.iterparse`` keeps the text of every element until it closes (a 300 MiB
``<desc>`` is 300 MiB) and the elements of a whole document unless detached. Here expat
hands its pieces to ``events``, which yields ``start``/``end`` per element and keeps the
text of an element only when the reader asked for it (``text_cap``), up to that cap: text
over the cap comes out as ``TooLong`` and the rest of it is dropped as it streams.

What a reader cannot skip stops the file with ``XmlLimit`` (an ``ET.ParseError``, so the
importer reports where it stopped and keeps what came before): nesting beyond
``MAX_NESTING``, a single tag, comment or declaration longer than ``MAX_TOKEN`` (expat holds
a token whole), and any entity declaration (GPX and KML have no use for them; they are how
billion-laughs and external-entity attacks are built).
"""
from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable

from xml.parsers import expat

# GPX nests 7 levels (gpx > trk > trkseg > trkpt > extensions > TrackPointExtension > speed),
# KML a dozen with folders: deeper content is dropped and the enclosing record refused.
MAX_DEPTH = 64
# Beyond this the file stops: expat keeps every open tag's name on its stack.
MAX_NESTING = 10_000
# The longest tag, comment or processing instruction expat may buffer: real files have
# tags of a few hundred bytes; a megabyte without a single complete token is an attack.
MAX_TOKEN = 1 << 20
CHUNK = 64 * 1024


def local(tag: str) -> str:
    """``{http://www.topografix.com/GPX/1/1}trkpt`` or expat's ``uri}trkpt`` -> ``trkpt``."""
    return tag.rpartition("}")[2]


class XmlLimit(ET.ParseError):
    """The rest of the file cannot be read with bounded memory."""


@dataclass(frozen=True, slots=True)
class TooLong:
    """The text of an element that was over its cap (and was not kept)."""

    name: str
    cap: int

    @property
    def reason(self) -> str:
        return f"<{self.name}> longer than {self.cap} characters"


class _Pull:
    """expat's callbacks, collecting events of one fed chunk for ``events`` to yield."""

    def __init__(self, text_cap: Callable[[str, str], int]):
        self.text_cap = text_cap
        self.out: list = []
        # One entry per open element: [name, cap, pieces, length]; text only where cap > 0.
        self.stack: list = []
        self.depth = 0
        self.progressed = False
        p = self.parser = expat.ParserCreate(namespace_separator="}")
        p.buffer_text = True
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        p.CharacterDataHandler = self.data
        p.CommentHandler = self.mark
        p.ProcessingInstructionHandler = self.mark_pi
        p.EntityDeclHandler = self.entity
        p.StartDoctypeDeclHandler = self.mark_doctype

    def start(self, tag, attrs):
        self.progressed = True
        self.depth += 1
        if self.depth > MAX_DEPTH:
            if self.depth > MAX_NESTING:
                raise XmlLimit(f"elements nest deeper than {MAX_NESTING:,} levels at line "
                               f"{self.parser.CurrentLineNumber:,}")
            if self.depth == MAX_DEPTH + 1:
                self.out.append(("deep", local(tag), None))
            return
        name = local(tag)
        parent = self.stack[-1][0] if self.stack else ""
        self.stack.append([name, self.text_cap(name, parent), [], 0])
        self.out.append(("start", name, attrs))

    def end(self, tag):
        self.progressed = True
        self.depth -= 1
        if self.depth >= MAX_DEPTH:
            return
        name, cap, pieces, length = self.stack.pop()
        if length > cap:
            text = TooLong(name, cap)
        else:
            text = "".join(pieces) if cap else None
        self.out.append(("end", name, text))

    def data(self, text):
        self.progressed = True
        if self.depth > MAX_DEPTH or not self.stack:
            return
        entry = self.stack[-1]
        if entry[1]:
            entry[3] += len(text)
            if entry[3] <= entry[1]:
                entry[2].append(text)

    def mark(self, *_):
        self.progressed = True

    def mark_pi(self, *_):
        self.progressed = True

    def mark_doctype(self, *_):
        self.progressed = True

    def entity(self, name, *_):
        raise XmlLimit(f"the file declares the entity {name!r} at line "
                       f"{self.parser.CurrentLineNumber:,}: entity declarations are refused "
                       "(GPX and KML never need them; they carry entity-expansion and "
                       "external-entity attacks)")


def events(stream, text_cap: Callable[[str, str], int]):
    """``(event, local name, value)``: ``start`` with the attributes, ``end`` with the text
    (``None`` unless ``text_cap(name, parent_name)`` > 0, ``TooLong`` when over it), and
    ``deep`` once where content starts nesting beyond ``MAX_DEPTH`` (it is dropped)."""
    pull = _Pull(text_cap)
    parser, stall = pull.parser, 0
    while True:
        chunk = stream.read(CHUNK)
        pull.progressed = False
        try:
            parser.Parse(chunk, not chunk)
        except expat.ExpatError as exc:
            yield from pull.out   # what the chunk held before the error
            raise ET.ParseError(f"{expat.errors.messages[exc.code]}: line {exc.lineno}, "
                                f"column {exc.offset}") from None
        if pull.out:
            yield from pull.out
            pull.out = []
        if not chunk:
            return
        stall = 0 if pull.progressed else stall + len(chunk)
        if stall > MAX_TOKEN:
            raise XmlLimit(f"more than {MAX_TOKEN >> 20} MiB without a complete tag near line "
                           f"{parser.CurrentLineNumber:,}: a tag, comment or declaration this "
                           "long is not GPX or KML")


def root_name(head: bytes) -> str | None:
    """The local name of the first element in ``head``, None when it does not get there."""
    try:
        for event, name, _ in events(io.BytesIO(head), lambda name, parent: 0):
            if event == "start":
                return name
    except ET.ParseError as exc:
        if isinstance(exc, XmlLimit):
            raise
    return None

