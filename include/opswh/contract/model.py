"""What a feed of the landing contract is made of: columns with their row rules, and rules across columns."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One column of a feed: its type in DuckDB terms and the row-level rules it obeys."""

    name: str
    type: str
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    non_negative: bool = False
    max_length: int | None = None
    not_future: bool = False
    currency: bool = False  # an ISO 4217 code with an exchange rate for the row's day (the feed's rate_date)

    @property
    def rules(self) -> str:
        parts = []
        if self.required:
            parts.append("required")
        if self.enum:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.enum))
        if self.non_negative:
            parts.append(">= 0")
        if self.max_length:
            parts.append(f"at most {self.max_length} characters")
        if self.not_future:
            parts.append("not after the partition's day + skew")
        if self.currency:
            parts.append("an ISO 4217 code with an exchange rate for the row's day")
        return "; ".join(parts)


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of one row, as a DuckDB SQL predicate that must hold."""

    name: str
    sql: str
    reason: str
    column: str


@dataclass(frozen=True)
class Feed:
    """A feed: one table a source system delivers once per reporting day."""

    name: str
    source: str
    format: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    row_checks: tuple[RowCheck, ...] = field(default_factory=tuple)
    snapshot: bool = False
    # the column whose reporting day picks the exchange rate of the row's `currency` column
    rate_date: str | None = None
    # what needs the feed: a deployment without it (configuration absent_feeds) gets NULL there
    needed_by: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)
