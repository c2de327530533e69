"""The ``opswh`` command line: ``app`` gathers the commands of ``operate``, ``inspect`` and ``demo``."""

from opswh.cli import dashboard, demo, inspect, operate  # noqa: F401  (each module registers its commands)
from opswh.cli.app import app

__all__ = ["app"]
