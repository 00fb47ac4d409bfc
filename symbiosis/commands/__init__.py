"""CLI command modules. Each module here registers its commands on ``symbiosis.cli.app``
when imported; :func:`symbiosis.cli.main` imports them all."""
