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

Two more, built only on a database with the (optional) noms table, are read by the recovery
SQL through the files ``compute.recovery`` chooses (noms_time_points_derived.sql,
follow_up_due_derived.sql), the long way where they are absent (issue #29's benchmark):

- ``episode_noms``: each discharged episode's admission and discharge noms rows pivoted, with
  their dates (the query keeps a side only when dated on or before as_of);
- ``episode_follow_up``: each discharged episode's follow-up windows with the category and
  items of its contacts, sorted by the window's close.

The outcome tables are sorted by the date a period filters them on, so that a period's rows are
a few row groups.
"""

from __future__ import annotations

import duckdb

from .engine import Reads, forget, with_ctes
from .sqlfiles import sql_code

TABLES = (
    "episode_next",
    "episode_engagement",
    "episode_treatment",
    "episode_scores",
    "episode_score_dates",
)
RECOVERY = ("episode_noms", "episode_follow_up")  # only where the noms table is
# The files a derived table's select reads as CTEs (all over the canonical tables).
READS: dict[str, Reads] = {
    "episode_follow_up": (
        ("windows", "follow_up_windows"),
        ("items", "follow_up_items_all"),
        ("due", "follow_up_due_all"),
        ("answers", "follow_up_answers"),
    ),
}


def select_sql(name: str, schema: str = "main") -> str:
    """The portable select of derived table ``name``, reading the canonical tables in ``schema``."""
    body = with_ctes(
        [(c, sql_code(f)) for c, f in READS.get(name, ())], sql_code(f"derived_{name}")
    )
    return body if schema == "main" else body.replace("main.", f"{schema}.")


def tables_for(con: duckdb.DuckDBPyConnection, schema: str = "main") -> tuple[str, ...]:
    """The derived tables ``schema`` can hold: ``TABLES``, and ``RECOVERY`` when it has noms."""
    has_noms = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = $schema and table_name = 'noms'",
        {"schema": schema},
    ).fetchall()[0][0]
    return TABLES + RECOVERY if has_noms else TABLES


def build(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Create every derived table in ``schema`` from the canonical tables there (the recovery
    ones when it holds the noms table)."""
    for name in tables_for(con, schema):
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
