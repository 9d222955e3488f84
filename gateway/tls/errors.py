"""The TLS library's errors, apart so that catching them loads no cryptography."""
from __future__ import annotations


class ClockNotSet(Exception):
    """The system clock is before EARLIEST_PLAUSIBLE: wait for NTP."""
