"""The appliance core: the store, accounts, ingest, trips, portability, the read side
(queries), the service and the `selfdata` CLI (docs/architecture.md)."""
__version__ = "0.1.0"
