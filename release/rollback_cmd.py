"""Entry module of `impressions rollback` (the CLI imports one module per command)."""

from release.cli import rollback_main as main

__all__ = ["main"]
