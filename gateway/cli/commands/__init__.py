"""One module per `selfdata` subcommand (see gateway/cli.py for the contract)."""
