"""File importers: turn exported location histories into fixes.

Each format is one module exposing ``read(stream, name="")``, a generator over a binary file
object that yields ``Fix`` objects, ``Segment`` objects (labelled visits and activity
segments, evidence for the trip engine) and ``Bad`` records (something that could not be
used, with a specific reason and where it was). Importers never touch the store:
``gateway.portability.importing`` sniffs the format (``detect``), streams and writes.
"""
from .base import Bad, NotLocationHistory, Segment

__all__ = ["Bad", "NotLocationHistory", "Segment"]
