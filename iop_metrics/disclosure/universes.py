"""The records of a report's recovery and data-quality counts (issue 30 item 1, the
universes beyond episodes, sessions, client-weeks and outcome courses): read by the membership
SQL that states each count's own rule, for ``atoms.document_members``.

- ``noms_cells.sql``: the ``noms`` key and the trends' abstinence at discharge; an ended episode
  is ``e:<id>`` (the period's discharges), what its noms rows say ``n:<id>``;
- ``follow_up_cells.sql``: the ``follow_up`` key and the trends' rolling 3-month response; a due
  episode-window is ``f:<window>:<id>``;
- ``quality_cells.sql``: rows read, loaded and set aside per table, records of the load.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .atoms import _group, _rows, _values

if TYPE_CHECKING:
    from ..compute.query import Con, Query
    from ..periods import Period


def _span(q: Query, start: dt.date, end: dt.date) -> Query:
    from ..compute.query import Query
    from ..periods import Period

    return Query(Period("span", start, end, "span"), q.as_of, q.scope, q.window_days)


def recovery_members(con: Con, q: Query, months: list[Period], into: dict[str, set[str]]) -> None:
    """The records of the report's recovery and data-quality counts for
    ``q`` and its trends' ``months``, added to ``into`` (cell -> record keys)."""
    table = _values(((p.label, p.start, p.end) for p in months), "label, month_start, month_end")
    period = {"period_start": q.period.start, "period_end": q.period.end}
    end = max(q.period.end, months[-1].end)
    # ended episodes: the trends' months and the period
    ended = _span(q, min(months[0].start, q.period.start), end)
    _group(_rows(con, "noms_cells", ended, {"months": table}, **period), into, kind="")
    # windows closed in the 12 months ending with each month of the trends and with the period
    first = min(months[0].end - dt.timedelta(days=364), q.period.end - dt.timedelta(days=364))
    closed = _span(q, min(first, q.period.start), end)
    _group(_rows(con, "follow_up_cells", closed, {"months": table}, **period), into, kind="")
    _group(_rows(con, "quality_cells", q, {}), into, kind="")
