"""Logging for the box: one format, and no flood.

A phone (or an attacker) sending 22,000 junk MQTT messages once wrote 3.6 MiB of log lines
that all said the same thing, on an SD card, burying everything else. ``RepeatFilter``
lets the first few records of each message template through per interval, counts the
rest, and says "... repeated N times" when the interval is over.
"""
from __future__ import annotations

import logging
import sys
import threading
import time

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RepeatFilter(logging.Filter):
    """At most ``burst`` records per (logger, level, template) every ``interval_s``.

    The template is the record's unformatted message (``"refused %s: %s"``), so the same
    complaint about different topics or addresses counts as one. The count of the records
    held back is logged by the first record after the interval (any template) or by
    ``flush()``; a key idle for a whole interval is forgotten.
    """

    def __init__(self, interval_s: float = 60.0, burst: int = 5, max_keys: int = 1000,
                 clock=time.monotonic):
        super().__init__()
        self.interval_s, self.burst, self.max_keys = interval_s, burst, max_keys
        self.clock = clock
        self._windows: dict[tuple, list] = {}   # key -> [start, passed, held back, record]
        self._lock = threading.Lock()
        self._emitting = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(self._emitting, "on", False):
            return True  # our own "repeated" line
        now = self.clock()
        key = (record.name, record.levelno, str(record.msg))
        with self._lock:
            ended = self._close_windows(now)
            window = self._windows.get(key)
            if window is None:
                if len(self._windows) >= self.max_keys:
                    ended += self._close_windows(now, everything=True)
                window = self._windows[key] = [now, 0, 0, record]
            window[3] = record
            keep = window[1] < self.burst
            window[1 if keep else 2] += 1
        self._report(ended)
        return keep

    def flush(self) -> None:
        """Report what ended windows held back (the service calls it now and then, so a
        flood that stopped is summed up even if nothing else is logged)."""
        with self._lock:
            ended = self._close_windows(self.clock())
        self._report(ended)

    def _close_windows(self, now: float, *, everything: bool = False) -> list:
        done = [k for k, w in self._windows.items()
                if everything or now - w[0] >= self.interval_s]
        return [(k, self._windows.pop(k)) for k in done]

    def _report(self, ended: list) -> None:
        for (name, level, template), (start, _, held, record) in ended:
            if held:
                self._emitting.on = True
                try:
                    logging.getLogger(name).log(
                        level, "... %r repeated %d more times in %d s (last: %s)",
                        template, held, self.interval_s, record.getMessage()[:200])
                finally:
                    self._emitting.on = False


def setup(level: str = "INFO", stream=None, *, force: bool = False) -> RepeatFilter | None:
    """The box's logging: one stderr handler (the journal on the Pi), repeats collapsed.
    Like ``logging.basicConfig``, it leaves logging alone when the process already set it
    up (a test runner, a program embedding the CLI), unless ``force``."""
    root = logging.getLogger()
    if root.handlers and not force:
        return None
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    repeats = RepeatFilter()
    handler.addFilter(repeats)
    root.handlers[:] = [handler]
    return repeats


def flush_repeats() -> None:
    """Flush every RepeatFilter on the root logger's handlers."""
    for handler in logging.getLogger().handlers:
        for f in handler.filters:
            if isinstance(f, RepeatFilter):
                f.flush()
