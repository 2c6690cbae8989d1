"""What every metric takes and how it runs: a ``Query`` (period, as-of date, ``Scope``, the
transitions window) and a named SQL file run for it by an engine (``engine.py``: DuckDB, or
Spark through ``spark.py``), as a DataFrame (``run``) or plain rows (``records``); a summary
file reads the rows of its ``*_detail.sql`` file as the CTE ``detail``. Also the period to
report on when none is named, and the worked example of metrics.md as a connection.
Values always go in as parameters; nothing here imports pandas until a frame is asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from ..contract import DEFAULT_LEVELS
from ..periods import Period, resolve_as_of
from .engine import Engine, Rows, engine_of

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

Con: TypeAlias = "Engine | duckdb.DuckDBPyConnection"


@dataclass(frozen=True)
class Scope:
    """Which episodes a report is about: levels of care (``None`` = all), site, track.

    One level may be given as a string, several as any sequence of strings:

    >>> Scope(levels="2.1").levels, Scope(levels=["2.1", "2.5"]).levels
    (('2.1',), ('2.1', '2.5'))

    Whether the data has them is checked when a figure is computed (``coverage.check_query``).
    """

    levels: tuple[str, ...] | None = DEFAULT_LEVELS
    site: str | None = None
    track: str | None = None

    def __post_init__(self) -> None:
        levels: Any = self.levels
        if isinstance(levels, str):
            levels = (levels,)
        elif levels is not None:
            levels = tuple(levels)
            if not levels or not all(isinstance(v, str) and v for v in levels):
                raise ValueError(f"levels must be level codes such as '2.1', not {self.levels!r}")
        object.__setattr__(self, "levels", levels)
        for name in ("site", "track"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a code (a string) or None, not {value!r}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "levels_of_care": None if self.levels is None else list(self.levels),
            "site": self.site,
            "track": self.track,
        }


@dataclass(frozen=True)
class Query:
    """A period, its as-of date, a scope and the transitions window: what every metric takes."""

    period: Period
    as_of: dt.date
    scope: Scope = field(default_factory=Scope)
    window_days: int = 14

    @classmethod
    def of(
        cls,
        period: Period | str,
        *,
        as_of: dt.date | str | None = None,
        scope: Scope | None = None,
        window_days: int = 14,
    ) -> Query:
        """The query of ``period`` (a ``Period`` or its label, ``"2026-10"``, ``"2026-Q4"``),
        as of ``as_of`` (a date or ``"YYYY-MM-DD"``; default the period's end).

        >>> q = Query.of("2026-10", as_of="2026-11-15")
        >>> q.period.label, q.as_of
        ('2026-10', datetime.date(2026, 11, 15))
        """
        if isinstance(period, str):
            from ..periods import parse_period

            period = parse_period(period)
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of)
        return cls(period, resolve_as_of(period, as_of), scope or Scope(), window_days)

    def params(self) -> dict[str, Any]:
        return {
            "start": self.period.start,
            "end": self.period.end,
            "as_of": self.as_of,
            "levels": None if self.scope.levels is None else list(self.scope.levels),
            "site": self.scope.site,
            "track": self.scope.track,
            "window": self.window_days,
        }


def run(
    con: Con,
    name: str,
    q: Query,
    *,
    bind: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Run SQL file ``name`` for ``q``, after the files its header says it reads (``bind``
    chooses the file of a CTE it leaves to the caller)."""
    return _query(con, name, q, bind, extra).frame()


def records(
    con: Con,
    name: str,
    q: Query,
    *,
    bind: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Like ``run`` but as plain Python rows (exact ints and floats, ``None`` for null)."""
    return _query(con, name, q, bind, extra).records()


def _query(
    con: Con, name: str, q: Query, bind: dict[str, str] | None, extra: dict[str, Any] | None
) -> Rows:
    return engine_of(con).query(name, {**q.params(), **(extra or {})}, bind=bind)


def latest_complete_month(con: Con) -> Period:
    """The latest calendar month that ends on or before the last date in the data."""
    from ..errors import InputError
    from ..periods import month
    from .coverage import last_activity

    last = last_activity(con)
    if last is None:
        raise InputError("the database holds no episode or session; nothing to report on")
    candidate = month(last.year, last.month)
    return candidate if candidate.end <= last else candidate.previous()


def resolve_period(con: Con, text: str, *, today: dt.date | None = None) -> Period:
    """``text`` parsed as a period, or the latest complete month in the data when empty."""
    from ..periods import parse_period

    return parse_period(text, today=today) if text else latest_complete_month(con)
