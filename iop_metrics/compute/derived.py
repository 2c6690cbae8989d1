"""Derived tables and the macros that read them: per-episode facts computed once at every load,
read by the metric SQL where the as_of rules stay exact (issues #11, #14, #29, #31).

Each derived table is one portable SQL file ``sql/derived_<name>.sql`` over the canonical
tables (``main.<table>``), so any engine that holds the canonical tables can build it with a
plain ``create table <name> as <that select>`` (the export writes them for Spark). ``build``
makes them, then the macros of ``sql/_macros.sql`` in the database itself (DuckDB binds a table
macro's tables when it is made, so after the tables they read); the load calls it and records
``db.SCHEMA_VERSION`` in ``load_log``, and ``db.connect`` refuses a database of an older
version with the command that reloads it. There is one way to a figure: the long way the
macros once had survives as a test reference (tests/sql/long_way_macros.sql, test_derived.py).

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

Two more are read by the recovery SQL (noms_time_points_derived.sql, follow_up_due_derived.sql
and follow_up_answers_derived.sql; the noms table is always there, empty when not given):

- ``episode_noms``: each discharged episode's admission and discharge noms rows pivoted, with
  their dates (the query keeps a side only when dated on or before as_of);
- ``episode_follow_up``: each discharged episode's follow-up windows with the category and
  items of its contacts, sorted by the window's close.

The outcome tables are sorted by the date a period filters them on, so that a period's rows are
a few row groups.
"""

from __future__ import annotations

import duckdb

from .sqlfiles import compose, macro_statements

TABLES = (
    "episode_next",
    "episode_engagement",
    "episode_treatment",
    "episode_scores",
    "episode_score_dates",
    "episode_noms",
    "episode_follow_up",
)


def select_sql(name: str, schema: str = "main") -> str:
    """The portable select of derived table ``name``, reading the canonical tables in ``schema``."""
    body = compose(f"derived_{name}")
    return body if schema == "main" else body.replace("main.", f"{schema}.")


def build(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Create every derived table in ``schema`` from the canonical tables there, then the
    macros of ``sql/_macros.sql`` (``schema`` is ``main`` or an attached database's name)."""
    build_tables(con, schema)
    build_macros(con, schema)


def build_tables(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Create (or replace) every derived table in ``schema`` from the canonical tables there:
    ``build`` without the macros, for a database whose macros are made already (they read the
    tables by name, so a table made again needs no macro made again)."""
    for name in TABLES:
        con.execute(f"create or replace table {schema}.{name} as {select_sql(name, schema)}")


def build_macros(con: duckdb.DuckDBPyConnection, schema: str = "main") -> None:
    """Make the macros of ``sql/_macros.sql`` in ``schema``, after the tables they read."""
    (current,) = con.execute("select current_database()").fetchall()[0]
    con.execute(f"use {schema}")  # the macros' main.<table> is that database's
    try:
        for statement in macro_statements():
            con.execute(statement)
    finally:
        con.execute(f'use "{current}"')
