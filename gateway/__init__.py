"""The appliance core: config, store, accounts, ingest, pipeline, service and CLI."""
__version__ = "0.1.0"
