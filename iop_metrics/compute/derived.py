"""Derived tables: per-episode facts computed once at load, read by the metric SQL where the
as_of rules stay exact (issue #11).

Each derived table is one portable SQL file ``sql/derived_<name>.sql`` over the canonical
tables (``main.<table>``), so any engine that holds the canonical tables can build it with a
plain ``create table <name> as <that select>``. Macros that read them live in
``sql/_macros_derived.sql`` and replace the full computation only on databases that have every
derived table; a database loaded before they existed gives the same figures the long way.

- ``episode_next``: each discharged episode's next episode with no window and no as_of;
  ``next_episode(as_of, w)`` filters it (read by transitions and inflow).
- ``episode_engagement``: each initiated episode's first attended session on day 0..13 and the
  date of the third attended session in the 35 days from it; ``engagement(as_of, ...)``
  filters it (read by the retention cohort: initiation and engagement).
- ``episode_treatment``: each discharged episode's attended sessions that are not assessments,
  dated admission to discharge; ``treatment_sessions(first, last)`` reads it (the courses of
  treatment of the outcome cohort).
- ``episode_scores``: each discharged episode's first and last score per instrument dated
  admission to discharge (a date's scores averaged), with the number of dates and scores;
  ``course_scores(first, last)`` reads it (the outcome detail rows).
- ``episode_score_dates``: each episode's dates with a score, sorted by date;
  ``score_dates(first, last)`` reads it (the measurement-based care cadence).

The outcome tables are sorted by the date a period filters them on, so that a period's rows are
a few row groups.
"""

from __future__ import annotations

import duckdb

from .engine import forget
from .sqlfiles import sql_code

TABLES = (
    "episode_next",
    "episode_engagement",
    "episode_treatment",
    "episode_scores",
    "episode_score_dates",
)


def select_sql(name: str, schema: str = "main") -> str:
    """The portable select of derived table ``name``, reading the canonical tables in ``schema``."""
    body = sql_code(f"derived_{name}")
    return body if schema == "main" else body.replace("main.", f"{schema}.")


def build(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Create every derived table in ``schema`` from the canonical tables there."""
    for name in TABLES:
        con.execute(f"create or replace table {schema}.{name} as {select_sql(name, schema)}")
    forget(con)  # its next query makes the macros that read them


def present(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database behind ``con`` has every derived table (in its main schema)."""
    names = ", ".join(f"'{t}'" for t in TABLES)
    rows = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        f"and schema_name = 'main' and table_name in ({names})"
    ).fetchall()
    return rows[0][0] == len(TABLES)
