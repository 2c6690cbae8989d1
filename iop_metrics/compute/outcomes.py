"""Outcome figures (spec outcomes.md): did people get better, counted as NHS Talking Therapies
counts it, and how regularly they were measured.

Every figure comes from the SQL files ``outcomes_*.sql`` (the cohort of ended episodes and
courses, one row per course and instrument, one row per course combined over PHQ-9 and GAD-7,
the combined figures, the per-instrument figures, the measurement-based care cadence); this
module shapes the rows into the document's ``outcomes`` key (each file's header says which
files it reads), with every key of the spec present and ``None`` where a figure is not defined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .engine import DuckDBEngine, engine_of
from .query import Con, Query, records, run
from .sqlfiles import compose

if TYPE_CHECKING:
    import pandas as pd

COMBINED_KEYS = (
    "ended",
    "courses",
    "paired",
    "paired_rate",
    "at_caseness",
    "reliable_improvement",
    "reliable_improvement_rate",
    "reliable_deterioration",
    "reliable_deterioration_rate",
    "no_reliable_change",
    "recovery",
    "recovery_rate",
    "reliable_recovery",
    "reliable_recovery_rate",
)
INSTRUMENT_KEYS = (
    "paired",
    "case_at_start",
    "mean_first",
    "mean_last",
    "reliable_improvement",
    "reliable_deterioration",
    "not_case_at_end",
    "response",
    "response_rate",
    "remission",
    "remission_rate",
)
CADENCE_KEYS = (
    "measured_at_intake",
    "intake_eligible",
    "measured_at_intake_rate",
    "measured_last_30d",
    "open_30d",
    "measured_last_30d_rate",
)


def by_instrument(con: Con, q: Query) -> list[dict[str, Any]]:
    """One row per instrument with a course paired on it (``remission_base`` included: the
    courses with a first PHQ-9 of 10 or more, remission's denominator)."""
    return records(con, "outcomes_by_instrument", q)


def outcomes_key(con: Con, q: Query) -> dict[str, Any]:
    """The document's ``outcomes`` key: every key of the spec, ``None`` where undefined.

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> o = outcomes_key(example_connection(), Query.of(parse_period("2026-05")))
    >>> o["ended"], o["courses"], o["paired"], o["paired_rate"], o["by_instrument"]
    (2, 1, 0, 0.0, {})
    """
    eng = engine_of(con)
    if isinstance(eng, DuckDBEngine):
        combined, instruments, cadence = _shared(eng, q)
    else:
        combined, instruments = records(con, "outcomes", q)[0], by_instrument(con, q)
        cadence = records(con, "outcomes_cadence", q)[0]
    return {
        **{k: combined[k] for k in COMBINED_KEYS},
        "by_instrument": {
            row["instrument"]: {k: row[k] for k in INSTRUMENT_KEYS} for row in instruments
        },
        **{k: cadence[k] for k in CADENCE_KEYS},
    }


SHARED = ("ended", "detail")  # the rows outcomes.sql and outcomes_by_instrument.sql both read


def _shared(
    eng: DuckDBEngine, q: Query
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """outcomes.sql's row and outcomes_by_instrument.sql's rows over one computation of the
    outcome cohort and its detail rows (outcomes_ended.sql, outcomes_detail.sql), held in temp
    tables for the two queries and dropped after: the rows those files compose, computed once
    instead of twice (DuckDB; other engines run the two queries as composed); and
    outcomes_cadence.sql's row, on the same prepared connection."""
    params = q.params()
    given: dict[str, str] = {}

    def rows(text: str) -> list[dict[str, Any]]:
        return eng._rows(eng.execute(text, params)).records()

    try:
        for cte in SHARED:  # detail reads ended
            text = compose(f"outcomes_{cte}", given=given)
            eng.execute(f"create or replace temp table outcomes_{cte}_rows as {text}", params)
            given[cte] = f"select * from temp.outcomes_{cte}_rows"
        combined = rows(compose("outcomes", given=given))[0]
        instruments = rows(compose("outcomes_by_instrument", given=given))
    finally:
        for cte in SHARED:
            eng.con.execute(f"drop table if exists temp.outcomes_{cte}_rows")
    return combined, instruments, rows(compose("outcomes_cadence"))[0]


def outcomes(con: Con, q: Query, *, frame: bool = False) -> dict[str, Any] | pd.DataFrame:
    """The outcome figures of ``q``: the document's ``outcomes`` key as a dict, or with
    ``frame`` one row per figure (``figure``, ``value``; instruments as ``PHQ-9.paired``).

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> outcomes(example_connection(), Query.of(parse_period("2026-05")))["intake_eligible"]
    2
    """
    key = outcomes_key(con, q)
    if not frame:
        return key
    import pandas as pd

    rows = [(k, v) for k, v in key.items() if k != "by_instrument"]
    for code, figures in key["by_instrument"].items():
        rows += [(f"{code}.{k}", v) for k, v in figures.items()]
    return pd.DataFrame(rows, columns=["figure", "value"])


def outcomes_detail(con: Con, q: Query) -> pd.DataFrame:
    """One row per course of treatment ended in the period and instrument scored in it: dates,
    first and last score (same-day scores averaged), ``worse`` and every flag of the spec
    (``None`` where the instrument does not define it or the course is not paired on it).

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> d = outcomes_detail(example_connection(), Query.of(parse_period("2026-05")))
    >>> len(d), list(d.columns[:4])  # the worked example has no scores
    (0, ['episode_id', 'instrument', 'paired', 'dates'])
    """
    return run(con, "outcomes_detail", q)


def outcome_courses(con: Con, q: Query) -> pd.DataFrame:
    """One row per course of treatment ended in the period with its site, track and the
    combined PHQ-9/GAD-7 flags (``classified`` = paired on either; flags ``None`` when not):
    the per-episode rows the site comparison aggregates."""
    return run(con, "outcomes_episodes", q)
