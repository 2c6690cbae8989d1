"""Recovery figures (spec recovery.md): did people stop using, keep a home and a job, stay out of
jail, from admission to discharge (the document's ``noms`` key) and 1-12 months after discharge
(its ``follow_up`` key).

Every figure comes from the SQL files ``noms*.sql`` and ``follow_up*.sql`` (each header says
which files it reads; they read the derived tables episode_noms and episode_follow_up that every
load builds); this module shapes the rows into the two keys, every key of the spec present and
``None`` exactly where a denominator is 0. The contract table ``noms`` is optional: a program
that ships none has an empty one, so its figures are zeros.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .query import Con, Query, records, run

if TYPE_CHECKING:
    import pandas as pd

DOMAINS = ("abstinent", "employed_or_student", "housed", "no_arrests", "self_help")
WINDOWS = ("1m", "3m", "6m", "12m")
NOMS_TOTALS = ("ended", "with_admission", "with_discharge")
DOMAIN_KEYS = (
    "paired",
    "paired_rate",
    "at_admission",
    "at_discharge",
    "gained",
    "lost",
    "admission_rate",
    "discharge_rate",
    "change",
)
ABSTINENT_KEYS = ("using_at_admission", "reduced", "reduced_rate")
FOLLOW_UP_KEYS = (
    "due",
    "reached",
    "not_reached",
    "declined",
    "deceased",
    "not_attempted",
    "response_rate",
    "abstinent",
    "abstinent_known",
    "abstinent_rate_responders",
    "abstinent_rate_all",
    "employed_or_student",
    "employed_or_student_known",
    "housed",
    "housed_known",
    "no_arrests",
    "no_arrests_known",
)


def noms_detail(con: Con, q: Query) -> pd.DataFrame:
    """One row per ended episode of ``q`` and recovery domain: the admission and discharge items
    (as text, arrests as its count), ``paired`` and the flags (``admission``, ``discharge``,
    ``gained``, ``lost``; for abstinence the use levels 0 none, 1 some, 2 daily and ``reduced``),
    the flags ``None`` where the episode is not paired on the domain.

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> d = noms_detail(example_connection(), Query.of(parse_period("2026-05")))
    >>> len(d), sorted(set(d.domain))[:2], d.paired.any()  # 2 ended episodes, no noms rows
    (10, ['abstinent', 'employed_or_student'], np.False_)
    """
    return run(con, "noms_detail", q)


def noms(con: Con, q: Query) -> dict[str, Any]:
    """The document's ``noms`` key: ``ended``, ``with_admission``, ``with_discharge`` and per
    domain the paired admission-to-discharge figures (abstinence also ``using_at_admission``,
    ``reduced``, ``reduced_rate``); every key present, ``None`` where a denominator is 0.

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> n = noms(example_connection(), Query.of(parse_period("2026-05")))
    >>> n["ended"], n["abstinent"]["paired"], n["abstinent"]["paired_rate"], n["housed"]["change"]
    (2, 0, 0.0, None)
    """
    rows = records(con, "noms", q)
    out: dict[str, Any] = {k: rows[0][k] for k in NOMS_TOTALS}
    for row in rows:
        keys = DOMAIN_KEYS + (ABSTINENT_KEYS if row["domain"] == "abstinent" else ())
        out[row["domain"]] = {k: row[k] for k in keys}
    return out


def follow_up_detail(con: Con, q: Query) -> pd.DataFrame:
    """One row per due episode of ``q`` and follow-up window (``1m``, ``3m``, ``6m``, ``12m``):
    its category (reached, deceased, declined, not_reached, not_attempted), the date and items of
    the earliest reached contact in the window and each domain's yes/no (``None`` when unknown
    or not reached).

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> d = follow_up_detail(example_connection(), Query.of(parse_period("2026-07")))
    >>> d[["episode_id", "window_name", "category"]].to_records(index=False).tolist()
    [('B-iop', '1m', 'not_attempted'), ('A-iop', '1m', 'not_attempted')]
    """
    return run(con, "follow_up_detail", q)


def follow_up(con: Con, q: Query) -> dict[str, Any]:
    """The document's ``follow_up`` key: per window the due episodes split into the five
    contact categories, the response rate, abstinence among those reached and counting everyone
    not reached as using, and the other domains among those reached; every key present,
    ``None`` where a denominator is 0.

    Examples
    --------
    >>> from iop_metrics.ingest.sample import example_connection
    >>> from iop_metrics.periods import parse_period
    >>> f = follow_up(example_connection(), Query.of(parse_period("2026-07")))
    >>> f["1m"]["due"], f["1m"]["not_attempted"], f["1m"]["response_rate"], f["12m"]["due"]
    (2, 2, 0.0, 0)
    """
    rows = records(con, "follow_up", q)
    return {row["window_name"]: {k: row[k] for k in FOLLOW_UP_KEYS} for row in rows}
