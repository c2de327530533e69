"""The ``opswh`` command line: ``app`` gathers the commands of ``operate``, ``inspect``, ``demo``, ``dashboard`` and ``audience``."""

from opswh.cli import audience, dashboard, demo, inspect, operate  # noqa: F401  (each module registers its commands)
from opswh.cli.app import app

__all__ = ["app"]
