"""Errors a user can act on, split by whether trying again can help.

A ``PermanentError`` is deterministic: the same input fails the same way (a quality gate, a
missing required column, a contract violation, a bad argument), so Airflow must not retry the
task; the message says what was wrong, where, and what to do. Every other error (a lock, a
killed process, a full disk) may pass, and is retried.
"""

from __future__ import annotations


class PermanentError(Exception):
    """Retrying cannot help: the input has to change first."""
