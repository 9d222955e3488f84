"""The member's data in and out: imports, exports, the full archive and its restore,
erasure and retention (docs/portability.md)."""
