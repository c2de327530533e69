"""Reporting days: a range of them, and where a day starts and ends in UTC.

A reporting day runs from midnight to midnight in the reporting time zone (configuration
``reporting_tz``). Timestamps in the warehouse are naive UTC instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Timestamps may run this far past the end of their partition's day (clock skew) before
# they count as "in the future".
FUTURE_SKEW = timedelta(hours=1)


class DayRangeError(ValueError):
    """A run's days cannot be resolved; the message says what was given."""


@dataclass(frozen=True)
class DayRange:
    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return date_range(self.start, self.end)

    def __str__(self) -> str:
        return str(self.start) if self.start == self.end else f"{self.start}..{self.end}"

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DayRange:
        return cls(date.fromisoformat(d["start"]), date.fromisoformat(d["end"]))


def date_range(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def day_bounds_utc(dt: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants (naive) where reporting day ``dt`` starts and ends."""
    zone = ZoneInfo(tz)
    start = datetime(dt.year, dt.month, dt.day, tzinfo=zone)
    end = start + timedelta(days=1)
    utc = ZoneInfo("UTC")
    return start.astimezone(utc).replace(tzinfo=None), end.astimezone(utc).replace(tzinfo=None)


def run_days(
    data_interval_start: datetime | None,
    data_interval_end: datetime | None,
    conf: dict[str, Any] | None,
    tz: str,
    max_days: int | None = None,
    today: date | None = None,
) -> DayRange:
    """The reporting days a run covers: ``conf`` start/end (a history run) or its data interval. A
    triggered range may not end after ``today`` (in ``tz``; a day not yet begun cannot be delivered)
    nor cover more than ``max_days`` days, so one run never holds the daily schedule up for ever."""
    conf = conf or {}
    if conf.get("start"):
        try:
            start = date.fromisoformat(conf["start"])
            end = date.fromisoformat(conf.get("end") or conf["start"])
        except (TypeError, ValueError):
            raise DayRangeError(f"conf {conf!r}: start and end must be dates, YYYY-MM-DD") from None
        if end < start:
            raise DayRangeError(f"conf end {end} is before start {start}")
        today = today or datetime.now(ZoneInfo(tz)).date()
        if end > today:
            raise DayRangeError(
                f"conf end {end} is in the future (today is {today} in {tz}); it cannot be delivered yet"
            )
        if max_days is not None and (end - start).days + 1 > max_days:
            raise DayRangeError(
                f"conf {start}..{end} covers {(end - start).days + 1} days, more than max_run_days ({max_days}): "
                "load a long history in several runs, or raise max_run_days on purpose"
            )
        return DayRange(start, end)
    if data_interval_start is None or data_interval_end is None:
        raise DayRangeError("a run needs a data interval or conf {'start': 'YYYY-MM-DD', 'end': 'YYYY-MM-DD'}")
    zone = ZoneInfo(tz)
    first = data_interval_start.astimezone(zone).date()
    last = data_interval_end.astimezone(zone).date() - timedelta(days=1)
    return DayRange(first, max(first, last))
