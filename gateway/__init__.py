"""The appliance core: the store, accounts, ingest, trips, portability, the read side
(queries), the service and the `selfdata` CLI (docs/architecture.md)."""
# The one place the version is written: pyproject.toml reads it from here (setuptools'
# `attr:`, without importing the package), so the wheel's metadata, `/healthz` and the
# backups' manifest always agree, from a wheel or a source tree alike.
__version__ = "0.1.0"
