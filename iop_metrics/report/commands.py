"""The report command of ``iop-metrics``: check the periods asked for, hold the reports folder's
lock, render each period (one warm kernel and Chromium for all), say what was written; a failed
period is reported and the others still render (exit 1 at the end).

Every command imports its module when it runs, so parsing arguments loads none of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from ..compute.commands import check_coverage, open_spark, uses_spark
from ..errors import WriteError
from ..ingest.commands import say


def cmd_report(a: argparse.Namespace) -> int:
    if a.data:  # validate and load the folder into a temporary database, then report from it
        import tempfile

        from ..ingest.load import load
        from ..scratch import temp_name

        with tempfile.TemporaryDirectory(prefix=temp_name("report")) as tmp:
            db = str(Path(tmp) / "iop.duckdb")
            load(a.data, db, ignore=a.ignore or ())
            return _report(argparse.Namespace(**{**vars(a), "db": db, "data": None}))
    return _report(a)


def _report(a: argparse.Namespace) -> int:
    import duckdb

    from ..compute.query import Scope, latest_complete_month
    from ..db import connect
    from ..periods import parse_period, periods_between
    from ..scratch import reports_folder
    from .build import SCRATCH, TEMP, report_folder

    today = dt.date.today()
    spark = uses_spark(a)
    try:
        con = open_spark(a) or connect(a.db)
    except duckdb.Error:  # not a database: the report's notebook fails on it and is kept
        if not a.period:
            raise
        con = None
    try:
        if a.period or con is None:
            first = parse_period(a.period, today=today)
        else:
            first = latest_complete_month(con)
        last = parse_period(a.through, today=today) if a.through else first
        periods = periods_between(first, last)
        if con is not None:
            check_coverage(a, con, periods)
    finally:
        if con is not None:
            con.close()
    scope = Scope(tuple(a.level) if a.level else Scope().levels, a.site, a.track)
    out = Path(a.out)
    report_folder(out, first, scope)  # a site or track that cannot name a folder: exit 2 here
    # a killed run's .run-<pid> is not among them: it waits for the next run, which records it
    with reports_folder(
        out, what=f"report into {out}", names=SCRATCH, kinds=TEMP, wait=a.wait, log=say
    ):
        return _render_periods(a, periods, scope, spark=spark)


def _render_periods(a: argparse.Namespace, periods, scope, *, spark: bool) -> int:
    from .build import ReportError, render, report_folder
    from .request import Request

    out = Path(a.out)
    failures = 0
    for i, period in enumerate(periods, 1):
        bar = "#" * (20 * i // len(periods))
        print(f"[{bar:<20}] {i}/{len(periods)} {period.label} ...", file=sys.stderr, flush=True)
        req = Request(  # what this period's report is, built once
            period,
            as_of=a.as_of,
            scope=scope,
            window_days=a.window_days,
            suppress=a.suppress,
            db_path=str(a.db),
            data_path=a.data_path if spark else None,
            program=a.program_name or "",
            paper=a.paper,
            formats=a.formats or ("html", "pdf"),
            benchmark=str(a.benchmark) if a.benchmark else None,
        )
        try:
            timings = render(
                req,
                dest=report_folder(out, period, scope),
                pdf_required=a.formats is not None and "pdf" in a.formats,
                warn=lambda m: print(m, file=sys.stderr),
                warm=True,  # one kernel and one Chromium for every period (started early)
            )
        except (ReportError, WriteError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        took = sum(timings.values())
        print(f"wrote {report_folder(out, period, scope)}/ in {took:.1f} s", flush=True)
    return 1 if failures else 0
