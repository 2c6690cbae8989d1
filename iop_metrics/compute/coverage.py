"""What the loaded data covers: its first and last dates, its levels, sites and tracks.

A report is asked for a period and a scope; these checks run before any figure is
computed, so a period the data does not cover is an error naming the date (exit 2), never
a report that reads like a real month: a period that ends before the data begins, one
that begins after it ends (a stale export; ``allow_empty`` lets it through on purpose), or
one whose as-of date reaches past the end of the data (a partial export, or a period not
over yet; ``allow_partial`` lets it through, and the report then says so on every page).
A level, site or track that no episode has is refused naming the known codes.

Where the data ends (``data_end``): the date the export was taken when the load recorded
it (``load --export-date``, or the mapping's ``export_date``), the data being taken as
complete through that day; else the last activity date (the last session, admission or
discharge) plus ``GAP_DAYS``, so that a month whose last sessions fell before a weekend
or a holiday is not refused.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, Violation
from ..periods import Period
from .engine import engine_of

# Days with no activity allowed at the end of a period when the export date is not known: a
# weekend and a holiday (Thanksgiving Thursday to Sunday), or a long weekend.
GAP_DAYS = 4
# What a period reaching past the data's end shortens (the report's header and data quality).
SHORTENED = (
    "admissions, discharges, attendance and hours of care per client-week read low (weeks "
    "after it count no sessions); the census at the end is off (its admissions and discharges "
    "after it are missing); step-down and continuity read low (care after it is not seen); "
    "retention reads high (people look engaged up to the as-of date); outcome scores after it "
    "are missing"
)


class ScopeError(InputError, ValueError):
    """A level, site or track the data does not have (exit 2 in the CLI, a ValueError in the
    API)."""


def _date(value: Any) -> dt.date | None:
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(value)


def last_activity(con: Any) -> dt.date | None:
    """The last date anything happens in the data: a session, an admission or a discharge.

    >>> from iop_metrics.ingest.sample import example_connection
    >>> last_activity(example_connection())
    datetime.date(2026, 6, 3)
    """
    return _date(engine_of(con).query("data_last_day", {}).data[0][0])


def first_activity(con: Any) -> dt.date | None:
    """The first date anything happens in the data: a session or an admission.

    >>> from iop_metrics.ingest.sample import example_connection
    >>> first_activity(example_connection())
    datetime.date(2026, 2, 2)
    """
    return _date(engine_of(con).query("data_first_day", {}).data[0][0])


def export_date(con: Any) -> dt.date | None:
    """The date the export was taken, when the load recorded it (``load_log.export_date``)."""
    return _date(engine_of(con).query("data_export_day", {}).data[0][0])


@dataclass(frozen=True)
class DataEnd:
    """Where the data ends: ``last`` is the last date it covers (the export date, else the last
    activity date), ``taken`` whether that is the recorded export date, ``limit`` the last
    as-of date it supports (``last``, plus ``GAP_DAYS`` for the last activity date)."""

    last: dt.date
    taken: bool

    @property
    def limit(self) -> dt.date:
        return self.last if self.taken else self.last + dt.timedelta(days=GAP_DAYS)

    @property
    def what(self) -> str:
        return "the export was taken on" if self.taken else "its last activity is on"

    def shortens(self, as_of: dt.date) -> bool:
        """Whether figures as of ``as_of`` reach past the data."""
        return as_of > self.limit

    def sentence(self, as_of: dt.date) -> str:
        """What a report as of ``as_of`` says when it reaches past the data (its header and
        data-quality section)."""
        return (
            f"The data ends on {self.last.isoformat()} ({self.what} that date), before the "
            f"as-of date {as_of.isoformat()}: what happened after it is missing, so the "
            f"figures that reach past it are off: {SHORTENED}."
        )


def data_end(con: Any) -> DataEnd | None:
    """Where the data ends (``None``: it holds no episode or session).

    >>> from iop_metrics.ingest.sample import example_connection
    >>> end = data_end(example_connection())
    >>> end.last, end.taken, end.limit
    (datetime.date(2026, 6, 3), False, datetime.date(2026, 6, 7))
    """
    taken = export_date(con)
    if taken is not None:
        return DataEnd(taken, True)
    last = last_activity(con)
    return None if last is None else DataEnd(last, False)


def stale_message(period: Period, last: dt.date, source: str) -> str:
    """The sentence for a period that begins after the data's last activity date."""
    return (
        f"period {period.label} ({period.start} – {period.end}) begins after the last activity "
        f"in {source}: the export ends {last.isoformat()}; is it stale? (load a newer export, "
        "or pass --allow-empty to report the empty period anyway)"
    )


def partial_message(period: Period, as_of: dt.date, end: DataEnd, source: str) -> str:
    """The sentence for a period (or as-of date) that reaches past the end of the data."""
    reach = (
        f"period {period.label} ({period.start} – {period.end})"
        if as_of == period.end
        else f"as-of date {as_of.isoformat()} of period {period.label}"
    )
    why = (
        f"the export was taken on {end.last.isoformat()}"
        if end.taken
        else f"its last activity date is {end.last.isoformat()} (a gap of up to {GAP_DAYS} "
        "days with no activity is allowed)"
    )
    return (
        f"{reach} reaches past the end of the data in {source}: {why}, so its figures would "
        f"be short of the real ones (load the complete export, or record the date it was taken "
        "with `load --export-date`; or pass --allow-partial to report the partial period, "
        "which every page then says)"
    )


def check_period(
    con: Any,
    period: Period,
    *,
    source: str,
    allow_empty: bool = False,
    allow_partial: bool = False,
    as_of: dt.date | None = None,
) -> None:
    """Refuse ``period`` when the data does not cover it: it ends before the data begins
    (always), it begins after the data's last activity date (unless ``allow_empty``), or its
    as-of date (default its end) reaches past the end of the data (unless ``allow_partial``
    or ``allow_empty``).

    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> check_period(example_connection(), parse_period("2026-07"), source="the example")
    Traceback (most recent call last):
    ...
    iop_metrics.errors.InputError: period 2026-07 (2026-07-01 – 2026-07-31) begins after ...
    """
    last = last_activity(con)
    if last is None:
        raise InputError(f"{source} holds no episode or session; nothing to report on")
    first = first_activity(con)
    if first is not None and period.end < first:
        raise InputError(
            f"period {period.label} ({period.start} – {period.end}) ends before the data in "
            f"{source} begins: its first activity date is {first.isoformat()}; nothing to "
            "report on"
        )
    if allow_empty:
        return
    if period.start > last:
        raise InputError(stale_message(period, last, source))
    end = data_end(con)
    reach = as_of or period.end
    if not allow_partial and end is not None and end.shortens(reach):
        raise InputError(partial_message(period, reach, end, source))


KNOWN = {"level": "data_levels", "site": "data_sites", "track": "data_tracks"}  # sql/<file>


def known_codes(con: Any, column: str) -> tuple[str, ...]:
    """The known ``level`` codes (the loaded levels_of_care table: ASAM's and the program's
    own; a level with no episode this period is a scope of no one, not a misspelling, and the
    continuity of a level's report counts other levels' discharges), or the distinct ``site``
    or ``track`` codes of the episodes; sorted."""
    if column not in KNOWN:
        raise ValueError(f"column must be level, site or track, not {column!r}")
    return tuple(sorted(str(r[0]) for r in engine_of(con).query(KNOWN[column], {}).data))


def check_scope(
    con: Any,
    *,
    site: str | None,
    track: str | None,
    source: str,
    levels: tuple[str, ...] | None = None,
    flag: str = "--",
) -> None:
    """Refuse a level of care that is not in the levels table, or a ``site`` or ``track`` that
    no episode has, naming the known ones and the closest (``ScopeError``: bad input, and a
    ``ValueError``). ``flag`` is put before the word (``--site`` for the command line).

    >>> from iop_metrics.ingest.sample import example_connection
    >>> check_scope(example_connection(), site="mian", track=None, source="the example")
    Traceback (most recent call last):
    ...
    iop_metrics.compute.coverage.ScopeError: --site 'mian' is not a site in the example (known: ...
    >>> check_scope(example_connection(), site=None, track=None, levels=("2.2",), source="x")
    Traceback (most recent call last):
    ...
    iop_metrics.compute.coverage.ScopeError: --level '2.2' is not a level of care in x (known: ...
    """
    asked = [("level", v) for v in levels or ()]
    asked += [(word, v) for word, v in (("site", site), ("track", track)) if v is not None]
    problems: list[Violation] = []
    known_of: dict[str, tuple[str, ...]] = {}
    for word, value in asked:
        known = known_of.setdefault(word, known_codes(con, word))
        if value in known:
            continue
        close = difflib.get_close_matches(value, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(known) or "none"
        noun = "level of care" if word == "level" else word
        msg = f"{flag}{word} {value!r} is not a {noun} in {source} (known: {listed}){hint}"
        problems.append(Violation("", 0, "", msg))
    if problems:
        raise ScopeError(problems)


def check_query(con: Any, q: Any, *, source: str = "the data") -> None:
    """Refuse a query whose scope names a level, site or track the data does not have
    (``ScopeError``, a ``ValueError``): what the API's document and site comparison check
    before computing, so that a misspelt code is not a page of zeros."""
    s = q.scope
    check_scope(con, site=s.site, track=s.track, levels=s.levels, source=source, flag="")
