"""The ``opswh`` command line."""

from opswh.cli.commands import app

__all__ = ["app"]
