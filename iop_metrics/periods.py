"""Period labels -> dates, and the as-of rule.

A period is a month ``2026-10``, a quarter ``2026-Q4`` or a year ``2026``;
``last-month`` and ``last-quarter`` are resolved against a ``today`` that the
caller passes in (never read here, except by ``run_date``, which a notebook calls with
its ``today`` parameter at the top of the flow).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class Period:
    """An inclusive date range with its label; ``kind`` is month, quarter or year."""

    label: str
    start: dt.date
    end: dt.date
    kind: str

    def previous(self) -> Period:
        """The period of the same kind just before this one.

        >>> parse_period("2026-01").previous().label, parse_period("2026-Q1").previous().label
        ('2025-12', '2025-Q4')
        """
        return _of_kind(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return _of_kind(self.kind, self.end + dt.timedelta(days=1))


def _month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def month(year: int, m: int) -> Period:
    return Period(f"{year:04d}-{m:02d}", dt.date(year, m, 1), _month_end(year, m), "month")


def quarter(year: int, q: int) -> Period:
    first = 3 * (q - 1) + 1
    return Period(
        f"{year:04d}-Q{q}", dt.date(year, first, 1), _month_end(year, first + 2), "quarter"
    )


def year(y: int) -> Period:
    return Period(f"{y:04d}", dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


def _of_kind(kind: str, day: dt.date) -> Period:
    if kind == "month":
        return month(day.year, day.month)
    if kind == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    return year(day.year)


def parse_period(text: str, *, today: dt.date | None = None) -> Period:
    """Parse a period label.

    Examples
    --------
    >>> p = parse_period("2026-Q4")
    >>> p.start, p.end
    (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    >>> parse_period("last-month", today=dt.date(2026, 11, 27)).label
    '2026-10'
    >>> parse_period("last-quarter", today=dt.date(2026, 11, 27)).label
    '2026-Q3'
    """
    t = text.strip()
    if m := _MONTH.match(t):
        y, mo = int(m.group(1)), int(m.group(2))
        if not 1 <= mo <= 12:
            raise InputError(f"period {text!r}: month must be 01..12")
        return month(y, mo)
    if m := _QUARTER.match(t):
        return quarter(int(m.group(1)), int(m.group(2)))
    if m := _YEAR.match(t):
        return year(int(m.group(1)))
    if t in ("last-month", "last-quarter"):
        if today is None:
            raise InputError(f"period {text!r} needs today's date to be resolved")
        kind = "month" if t == "last-month" else "quarter"
        return _of_kind(kind, today).previous()
    raise InputError(
        f"period {text!r} is not understood; use a month (2026-10), a quarter (2026-Q4), "
        "a year (2026), last-month or last-quarter"
    )


def run_date(text: str = "") -> dt.date:
    """The date a notebook resolves ``last-month`` and ``last-quarter`` against: ``text``
    (YYYY-MM-DD), or, when empty, the date it runs on.

    >>> run_date("2026-12-01"), parse_period("last-month", today=run_date("2026-12-01")).label
    (datetime.date(2026, 12, 1), '2026-11')
    """
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"today {text!r} is not a date (YYYY-MM-DD)") from None


def resolve_as_of(period: Period, as_of: dt.date | None) -> dt.date:
    """The as-of date: ``period.end`` by default, never before it."""
    if as_of is None:
        return period.end
    if as_of < period.end:
        raise InputError(
            f"as-of {as_of.isoformat()} is before the end of period {period.label} "
            f"({period.end.isoformat()}); figures for a period are computed as of its end or later"
        )
    return as_of


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period of ``first``'s kind from ``first`` through ``last``."""
    if last.kind != first.kind:
        raise InputError(f"--through {last.label} is not a {first.kind} like {first.label}")
    if last.start < first.start:
        raise InputError(f"--through {last.label} is before {first.label}")
    out = [first]
    while out[-1].label != last.label:
        out.append(out[-1].next())
    return out


def us_federal_holidays(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days a typical program closes on: New Year, MLK, Memorial, July 4, Labor Day,
    Thanksgiving, Christmas, for the years around ``start``..``end``.

    >>> [d.isoformat() for d in us_federal_holidays(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    ...  if d.year == 2026][:3]
    ['2026-01-01', '2026-01-19', '2026-05-25']
    """
    days = []
    for y in range(start.year - 1, end.year + 2):

        def nth(month: int, weekday: int, n: int, y: int = y) -> dt.date:
            d = dt.date(y, month, 1)
            d += dt.timedelta(days=(weekday - d.weekday()) % 7)
            return d + dt.timedelta(weeks=n - 1)

        last_may = dt.date(y, 5, 31)
        days += [
            dt.date(y, 1, 1),
            nth(1, 0, 3),  # Martin Luther King Jr. Day
            last_may - dt.timedelta(days=last_may.weekday()),  # Memorial Day
            dt.date(y, 7, 4),
            nth(9, 0, 1),  # Labor Day
            nth(11, 3, 4),  # Thanksgiving
            dt.date(y, 12, 25),
        ]
    return sorted(days)
