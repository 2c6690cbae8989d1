"""What the loaded data covers: its last activity date, its sites and its tracks.

A report is asked for a period and a scope; these checks run before any figure is
computed, so a stale export (a period that begins after the data's last activity date)
or a misspelt site or track is an error naming the date or the known codes (exit 2),
never an empty report that reads like a real month. ``allow_empty`` lets a period with
no data through on purpose.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any

from ..errors import InputError, Violation
from ..periods import Period
from .engine import engine_of

LAST_ACTIVITY = (
    "select max(d) as last_day from (select max(session_date) as d from main.sessions "
    "union all select max(coalesce(discharge_date, admit_date)) as d from main.episodes)"
)


def last_activity(con: Any) -> dt.date | None:
    """The last date anything happens in the data: a session, an admission or a discharge.

    >>> from iop_metrics.compute.query import example_connection
    >>> last_activity(example_connection())
    datetime.date(2026, 6, 3)
    """
    value = engine_of(con).sql(LAST_ACTIVITY).data[0][0]
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(value)


def stale_message(period: Period, last: dt.date, source: str) -> str:
    """The sentence for a period that begins after the data's last activity date."""
    return (
        f"period {period.label} ({period.start} – {period.end}) begins after the last activity "
        f"in {source}: the export ends {last.isoformat()}; is it stale? (load a newer export, "
        "or pass --allow-empty to report the empty period anyway)"
    )


def check_period(con: Any, period: Period, *, source: str, allow_empty: bool = False) -> None:
    """Refuse ``period`` when it begins after the data's last activity date.

    >>> from iop_metrics.compute.query import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> check_period(example_connection(), parse_period("2026-07"), source="the example")
    Traceback (most recent call last):
    ...
    iop_metrics.errors.InputError: period 2026-07 (2026-07-01 – 2026-07-31) begins after ...
    """
    if allow_empty:
        return
    last = last_activity(con)
    if last is None:
        raise InputError(f"{source} holds no episode or session; nothing to report on")
    if period.start > last:
        raise InputError(stale_message(period, last, source))


def known_codes(con: Any, column: str) -> tuple[str, ...]:
    """The distinct non-null ``site`` or ``track`` codes of the episodes, sorted."""
    if column not in ("site", "track"):
        raise ValueError(f"column must be site or track, not {column!r}")
    rows = engine_of(con).sql(
        f"select distinct {column} as code from main.episodes where {column} is not null"
    )
    return tuple(sorted(str(r[0]) for r in rows.data))


def check_scope(con: Any, *, site: str | None, track: str | None, source: str) -> None:
    """Refuse a ``site`` or ``track`` that no episode has, naming the known ones.

    >>> from iop_metrics.compute.query import example_connection
    >>> check_scope(example_connection(), site="mian", track=None, source="the example")
    Traceback (most recent call last):
    ...
    iop_metrics.errors.InputError: --site 'mian' is not a site in the example (known: main); did ...
    """
    problems = []
    for flag, value in (("site", site), ("track", track)):
        if value is None:
            continue
        known = known_codes(con, flag)
        if value in known:
            continue
        close = difflib.get_close_matches(value, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(known) or "none"
        msg = f"--{flag} {value!r} is not a {flag} in {source} (known: {listed}){hint}"
        problems.append(Violation("", 0, "", msg))
    if problems:
        raise InputError(problems)
