"""What an import says it did: per file, in total, and its progress while it runs."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from receivers.importers.base import Bad

EXAMPLES = 3     # locations kept per rejection reason, to show where the problems are


@dataclass
class Progress:
    bytes_done: int
    bytes_total: int
    elapsed: float
    current: str
    fixes: int
    phase: str = "import"

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        rate = self.rate
        return (self.bytes_total - self.bytes_done) / rate if rate > 0 else None


@dataclass
class FileReport:
    name: str
    kind: str | None = None
    device: str | None = None
    fixes: int = 0
    duplicates: int = 0
    events: int = 0
    segments: int = 0
    rejected: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)
    stopped: str | None = None      # where a truncated or damaged file stopped
    refused: str | None = None      # not a location history: what it was recognised as
    skipped: bool = False           # a refused member of a zip or directory: a note only

    def reject(self, bad: Bad) -> None:
        self.rejected[bad.reason] += 1
        where = self.examples.setdefault(bad.reason, [])
        if len(where) < EXAMPLES:
            where.append(bad.where)

    def as_dict(self) -> dict:
        return {"file": self.name, "format": self.kind, "device": self.device,
                "fixes_imported": self.fixes, "duplicates_skipped": self.duplicates,
                "events": self.events, "labelled_segments": self.segments,
                "rejected": dict(self.rejected), "rejected_examples": self.examples,
                "stopped": self.stopped, "refused": self.refused, "skipped": self.skipped}


@dataclass
class ImportReport:
    member: str
    files: list = field(default_factory=list)
    devices_created: list = field(default_factory=list)
    first_ts: int | None = None
    last_ts: int | None = None
    elapsed: float = 0.0
    pipeline: str = ""
    restored: dict | None = None     # counts when a selfdata archive was restored

    @property
    def ok(self) -> bool:
        """False when a file the user named was refused or stopped early."""
        return not any((f.refused and not f.skipped) or f.stopped for f in self.files)

    def totals(self) -> dict:
        rejected = sum(sum(f.rejected.values()) for f in self.files)
        return {"fixes_imported": sum(f.fixes for f in self.files),
                "duplicates_skipped": sum(f.duplicates for f in self.files),
                "rejected": rejected, "events": sum(f.events for f in self.files),
                "labelled_segments": sum(f.segments for f in self.files)}

    def as_dict(self) -> dict:
        return {"member": self.member, "ok": self.ok, **self.totals(),
                "first_ts": self.first_ts, "last_ts": self.last_ts,
                "elapsed_s": round(self.elapsed, 3), "devices_created": self.devices_created,
                "pipeline": self.pipeline, "restored": self.restored,
                "files": [f.as_dict() for f in self.files]}

    def widen(self, lo: int, hi: int) -> None:
        self.first_ts = lo if self.first_ts is None else min(self.first_ts, lo)
        self.last_ts = hi if self.last_ts is None else max(self.last_ts, hi)
