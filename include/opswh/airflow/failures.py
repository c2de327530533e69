"""Deterministic failures end a task at once; only transient ones are retried.

A ``PermanentError`` (a quality gate, a missing required column, a contract violation, a bad
run conf) fails the same way on every try, so the task raises Airflow's
``AirflowFailException``, which skips the retries; anything else is retried as configured.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from opswh.errors import PermanentError

F = TypeVar("F", bound=Callable[..., Any])


def fail_fast(fn: F) -> F:
    """Decorate a task function: its ``PermanentError``s fail the task without retries."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PermanentError as e:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(f"{type(e).__name__}: {e}") from e

    return wrapper  # type: ignore[return-value]
