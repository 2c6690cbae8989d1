"""The compute commands of ``iop-metrics`` (metrics, sites) and what the report command shares with
them: opening the figures' source (a database, a folder loaded in memory, or Spark), checking
that the scope and periods asked for are in the data (exit 2 if not), the engine flags.

Every command imports its module when it runs, so parsing arguments loads none of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from ..errors import InputError


def _open(a: argparse.Namespace):  # -> duckdb connection (read-only) or a Spark engine
    if spark := open_spark(a):
        return spark
    if a.data:
        from ..ingest.load import load_memory  # the readers bring numpy: only when loading

        return load_memory(a.data, ignore=a.ignore or ())
    from ..db import connect

    return connect(a.db)


def _source(a: argparse.Namespace) -> str:
    """Where the figures come from, as an error message names it."""
    return a.data_path if getattr(a, "data_path", None) else (a.data or a.db)


def check_coverage(a: argparse.Namespace, con, periods) -> None:
    """A level, site or track the data does not have, or a period it does not cover (before
    it begins, after it ends, or reaching past its end without --allow-partial): exit 2."""
    from .coverage import check_period, check_scope

    levels = tuple(a.level) if a.level else None
    check_scope(con, site=a.site, track=a.track, levels=levels, source=_source(a))
    for period in periods:
        check_period(
            con,
            period,
            source=_source(a),
            allow_empty=a.allow_empty,
            allow_partial=a.allow_partial,
            as_of=a.as_of if a.as_of and a.as_of > period.end else None,
        )


def _query(a: argparse.Namespace, con, today: dt.date):
    from ..periods import parse_period
    from .query import Query, Scope, latest_complete_month

    period = parse_period(a.period, today=today) if a.period else latest_complete_month(con)
    check_coverage(a, con, [period])
    levels = tuple(a.level) if a.level else Scope().levels
    return Query.of(
        period, as_of=a.as_of, scope=Scope(levels, a.site, a.track), window_days=a.window_days
    )


def cmd_metrics(a: argparse.Namespace) -> int:
    from .formats import render_document
    from .metrics import document

    con = _open(a)
    try:
        doc = document(con, _query(a, con, dt.date.today()))
    finally:
        con.close()
    sys.stdout.write(render_document(doc, a.format))
    return 0


def cmd_sites(a: argparse.Namespace) -> int:
    import csv
    import json

    from ..db import connect
    from ..periods import parse_period
    from . import comparison
    from .coverage import check_period, check_scope
    from .query import Query, Scope

    con = connect(a.db)
    try:
        period = parse_period(a.period, today=dt.date.today())
        check_period(
            con,
            period,
            source=a.db,
            allow_empty=a.allow_empty,
            allow_partial=a.allow_partial,
            as_of=a.as_of,
        )
        check_scope(con, site=None, track=None, levels=tuple(a.level or ()), source=a.db)
        levels = tuple(a.level) if a.level else Scope().levels
        q = Query.of(period, as_of=a.as_of, scope=Scope(levels, None))
        measures = tuple(dict.fromkeys(a.measure)) if a.measure else comparison.MEASURES
        doc = comparison.sites_document(con, q, measures=measures, window=a.window)
    finally:
        con.close()
    if a.format == "json":
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    elif a.format == "table":
        from .formats import render_sites

        sys.stdout.write(render_sites(doc))
    else:
        rows = comparison.csv_rows(doc)
        fields = ["measure", *(c for c in comparison.COLUMNS)]
        w = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return 0


def uses_spark(a: argparse.Namespace) -> bool:
    """Check the engine flags; a Spark Connect URL goes to the environment (report kernels)."""
    import os

    if a.engine != "spark":
        if a.data_path or a.spark_remote:
            raise InputError("--data-path and --spark-remote go with --engine spark")
        return False
    if not a.data_path or a.data:
        raise InputError(
            "--engine spark reads --data-path DIR (write it with `iop-metrics export`), not --data"
        )
    if a.spark_remote:
        os.environ["SPARK_REMOTE"] = a.spark_remote
    return True


def open_spark(a: argparse.Namespace):  # -> SparkEngine, or None for DuckDB
    if not uses_spark(a):
        return None
    from .spark import SparkEngine

    return SparkEngine.open(a.data_path)
