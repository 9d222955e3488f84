"""JSON items with bounded memory, from ijson's event stream.

``ijson.items`` builds each item whole, so one item can be as large or as deep as the file
(and ``ijson.parse`` keeps a prefix string per level: a 20,000-deep array costs a gigabyte).
Here items are built from ``basic_parse`` events (no prefixes) and every item is held to
``Limits``: an item that nests too deep or holds too much is dropped as it streams and comes
out as a ``TooBig`` naming the limit, and the next items are read as usual.

Two things cannot be skipped, because the parser itself would hold them: nesting beyond
``MAX_NESTING`` (yajl keeps a byte per open level) and a single string or number longer
than ``MAX_TOKEN`` (yajl buffers a token whole). Both stop the file with ``JsonLimit``, an
``ijson.JSONError``: the items before are kept.

Building in Python costs ~5 us a record, so ordinary files are read on a fast path first
(``_fast_items``): ijson's own C builder, for as long as the bytes read prove the item being
built too small to break the limits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import ijson

try:  # the C backend is ~10x faster; the pure Python one is the fallback ijson ships with
    from ijson.backends import yajl2_c as _backend
except ImportError:  # pragma: no cover - depends on the wheel
    _backend = ijson

# An item of Google's exports nests at most ~8 levels (activity > activity > list > object)
# and the deepest GeoJSON (a MultiLineString vertex) 5: 64 is far beyond any real file and
# keeps a builder's stack trivial.
MAX_DEPTH = 64
# Beyond this the file stops: skipping costs nothing per level in Python, but yajl keeps a
# byte per open level, so a 1 GB run of "[" would grow it by a gigabyte.
MAX_NESTING = 10_000
# yajl holds a whole string or number before handing it over (and we copy it again): one
# of 16 MiB is no location history (a Takeout record is ~300 bytes).
MAX_TOKEN = 16 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """What one item may hold. ``values`` counts scalars and containers (each key comes
    with one, so keys are bounded too); ``chars`` the characters of all its strings and
    keys together (at most 4 bytes each in memory)."""

    depth: int = MAX_DEPTH
    values: int = 100_000       # a Records item has ~25, a Semantic segment with paths ~2,000
    chars: int = 1 << 20


# One JSON value costs 50-100 bytes as Python objects: 100,000 values stay under ~10 MB.
ITEM = Limits()
# A GeoJSON feature is a whole track: 1,000,000 values is ~250,000 timed vertices (69 h at
# 1 Hz), ~70 MB at worst as Python lists, still inside the 150 MB an import may use.
FEATURE = Limits(values=1_000_000, chars=8 << 20)


@dataclass(frozen=True, slots=True)
class TooBig:
    """An item refused by a limit; ``reason`` is stable (it is counted), e.g.
    ``nests deeper than 64 levels``."""

    reason: str


class JsonLimit(ijson.JSONError):
    """The rest of the file cannot be read with bounded memory."""


class _Unsafe(Exception):
    """The fast path's next chunk could build an item past its bounds."""


# The fast path: ijson's C builder (3x faster than building in Python) on 16 KiB chunks,
# while an item cannot be longer than 128 KiB (so fewer than 100,000 values and 1 MiB of
# text) nor open more than 2,000 brackets (ijson keeps a prefix per level: ~10 MB then).
# A Takeout record is ~300 bytes and 3 brackets; a 16 KiB chunk of them opens ~200.
FAST_CHUNK = 16 * 1024
FAST_BYTES = 128 * 1024
FAST_OPENS = 2_000


class Guarded:
    """The binary stream ijson reads, counting bytes and stopping an over-long token.

    yajl holds a string or number whole until it ends; an array of a million numbers is
    fine (yajl hands each over). So the reader follows whether each chunk ends inside a
    string (unescaped quotes, counted at C speed; escapes only looked at in chunks that
    have a backslash) and how long the current string or number has run.
    """

    def __init__(self, stream, fast: bool = False):
        self._read = stream.read
        self.count = 0
        self._run = 0               # bytes of the string or number still open
        self._in_string = False
        self._escape = False        # the previous chunk ended with a lone backslash
        # On the fast path: bytes and brackets read since the chunk in which the last item
        # ended (the item being built began there), and those of the last chunk.
        self.fast = fast
        self.region_bytes = self.region_opens = self.last_bytes = self.last_opens = 0

    def item_done(self) -> None:
        self.region_bytes, self.region_opens = self.last_bytes, self.last_opens

    def read(self, size: int = -1) -> bytes:
        chunk = self._read(size)
        self.count += len(chunk)
        if self.fast:
            opens = chunk.count(b"[") + chunk.count(b"{")
            if (self.region_opens + opens > FAST_OPENS
                    or self.region_bytes + len(chunk) > FAST_BYTES):
                raise _Unsafe
            self.region_opens += opens
            self.region_bytes += len(chunk)
            self.last_opens, self.last_bytes = opens, len(chunk)
        if b"\\" in chunk or self._escape:
            quotes, last = self._quotes_escaped(chunk)
        else:
            quotes = chunk.count(b'"')
            last = chunk.rfind(b'"') if quotes else -1
        if quotes:
            self._in_string ^= quotes & 1
            self._run = len(chunk) - last - 1 if self._in_string else 0
        elif self._in_string or not chunk.translate(None, _NUMBER):
            self._run += len(chunk)     # inside one string, or a chunk of only a number
        else:
            self._run = 0
        if self._run > MAX_TOKEN:
            raise JsonLimit(f"a string or number longer than {MAX_TOKEN >> 20} MiB near byte "
                            f"{self.count:,}: not a location history")
        return chunk

    def _quotes_escaped(self, chunk: bytes) -> tuple[int, int]:
        """Unescaped quotes in ``chunk`` and the last one's position."""
        quotes, last, start = 0, -1, 1 if self._escape else 0
        for match in _ESCAPE_OR_QUOTE.finditer(chunk, start):
            if match.end() - match.start() == 1:
                quotes += 1
                last = match.start()
        tail = len(chunk) - len(chunk.rstrip(b"\\"))
        if tail == len(chunk):
            tail -= start
        self._escape = bool(tail & 1)
        return quotes, last


_NUMBER = b"0123456789+-.eE"
_ESCAPE_OR_QUOTE = re.compile(rb'\\.|"', re.S)


def events(stream):
    """(event, value) pairs of ``stream``, numbers as floats, over-long tokens refused.

    Floats, not Decimals: integers past 2**63 then fail in yajl with a parse error instead
    of an exception ijson's C code cannot report (a SystemError).
    """
    return _backend.basic_parse(Guarded(stream), use_float=True)


_OPEN = frozenset(("start_map", "start_array"))
_CLOSE = frozenset(("end_map", "end_array"))


def build(events, event: str, value, limits: Limits = ITEM):
    """The value that starts with ``(event, value)``, read from ``events`` up to its end;
    a ``TooBig`` (the rest of the value consumed, not kept) when it breaks a limit."""
    if event not in _OPEN:
        if event == "string" and len(value) > limits.chars:
            return TooBig(_chars(limits))
        return value
    root = {} if event == "start_map" else []
    stack, top, in_map, key = [], root, event == "start_map", None
    max_depth, max_values, max_chars = limits.depth, limits.values, limits.chars
    values = chars = 0
    # ~25 events a record: one branch per event kind in order of frequency, each checking
    # only the limit it can break.
    for event, value in events:
        if event == "map_key":
            key = value
            chars += len(value)
            if chars > max_chars:
                return _skip(events, len(stack) + 1, _chars(limits))
            continue
        if event == "number":
            values += 1
            if values > max_values:
                return _skip(events, len(stack) + 1, _values(limits))
        elif event == "string":
            values += 1
            chars += len(value)
            if values > max_values:
                return _skip(events, len(stack) + 1, _values(limits))
            if chars > max_chars:
                return _skip(events, len(stack) + 1, _chars(limits))
        elif event == "end_map" or event == "end_array":
            if not stack:
                return root
            top, in_map = stack.pop()
            continue
        elif event == "start_map" or event == "start_array":
            values += 1
            if values > max_values:
                return _skip(events, len(stack) + 2, _values(limits))
            if len(stack) + 1 >= max_depth:
                return _skip(events, len(stack) + 2, f"nests deeper than {max_depth} levels")
            child = {} if event == "start_map" else []
            if in_map:
                top[key] = child
            else:
                top.append(child)
            stack.append((top, in_map))
            top, in_map = child, event == "start_map"
            continue
        else:  # boolean, null
            values += 1
            if values > max_values:
                return _skip(events, len(stack) + 1, _values(limits))
        if in_map:
            top[key] = value
        else:
            top.append(value)
    raise ijson.IncompleteJSONError("the file ends inside an item")


def _values(limits: Limits) -> str:
    return f"holds more than {limits.values:,} values"


def _chars(limits: Limits) -> str:
    return f"holds more than {limits.chars:,} characters of text"


def _skip(events, depth: int, reason: str) -> TooBig:
    """Consume the rest of a value ``depth`` levels deep, keeping nothing."""
    for event, _ in events:
        if event in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                raise JsonLimit(f"nesting deeper than {MAX_NESTING:,} levels")
        elif event in _CLOSE:
            depth -= 1
            if not depth:
                return TooBig(reason)
    raise ijson.IncompleteJSONError("the file ends inside an item")


def skip(events, event: str) -> None:
    """Consume a value that is not wanted (Google's userLocationProfile...)."""
    if event in _OPEN:
        _skip(events, 1, "")


def items(stream, arrays: dict, limits: Limits = ITEM):
    """``(name, index, value or TooBig)`` for each item of the arrays named in ``arrays``
    (``{("locations",): "locations"}``; ``()`` for a top-level array), in file order, in
    one pass whatever their order. Everything else is skipped without being kept.

    One array of ordinary items in a seekable stream is read on the fast path first."""
    if len(arrays) == 1 and limits == ITEM and _seekable(stream):
        yield from _fast_items(stream, *next(iter(arrays.items())), limits)
    else:
        yield from _items(stream, arrays, limits)


def _seekable(stream) -> bool:
    try:
        return stream.seekable()
    except (AttributeError, ValueError, OSError):
        return False


def _fast_items(stream, path: tuple, name: str, limits: Limits):
    """ijson's C builder, as long as the bytes read since the last complete item prove the
    item being built small (``FAST_BYTES``) and shallow (``FAST_OPENS`` brackets at most):
    then it cannot break ``ITEM``'s limits on values and text, and its depth costs ijson's
    prefixes little. The first chunk that could break that goes to no parser: the stream is
    read again from the start on the bounded path, the items already given skipped."""
    guard = Guarded(stream, fast=True)
    prefix = ".".join((*path, "item"))
    n = 0
    try:
        for value in _backend.items(guard, prefix, use_float=True, buf_size=FAST_CHUNK):
            guard.item_done()
            yield name, n, value
            n += 1
        return
    except _Unsafe:
        pass
    stream.seek(0)
    yield from _items(stream, {path: name}, limits, skip_first=n)


def _items(stream, arrays: dict, limits: Limits, skip_first: int = 0):
    evs = events(stream)
    counts = dict.fromkeys(arrays.values(), 0)
    prefixes = {path[:k] for path in arrays for k in range(len(path) + 1)}
    path: list = []        # keys down to the current map; None marks an array level
    for event, value in evs:
        if event == "map_key":
            path[-1] = value
            continue
        if event in _CLOSE:
            path.pop()
            continue
        where = tuple(path)
        if where not in prefixes:
            skip(evs, event)
            continue
        if event == "start_map":
            path.append(None)
        elif event == "start_array":
            name = arrays.get(where)
            if name is None:
                skip(evs, event)
                continue
            for event, value in evs:
                if event == "end_array":
                    break
                if counts[name] < skip_first:
                    skip(evs, event)          # given already, on the fast path
                else:
                    yield name, counts[name], build(evs, event, value, limits)
                counts[name] += 1
        # a scalar where an array was expected: nothing to read there


def document(stream, limits: Limits = ITEM):
    """The whole document as one item (a lone GeoJSON Feature), held to ``limits``."""
    evs = events(stream)
    for event, value in evs:
        return build(evs, event, value, limits)
    raise ijson.IncompleteJSONError("empty document")
