"""``iop-metrics``: argument parsing only; the work is done by the package's functions.

The text ``--help`` shows is ``DESCRIPTION``.

Exit codes: 0 ok, 2 bad input or bad arguments, 3 another process holds the lock of the
database or reports folder (``--wait SECONDS`` waits for it), 1 anything else (a report that
failed, a full disk: the message names the file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .errors import InputError, WriteError
from .locks import EXIT_BUSY, Busy

DEFAULT_DB = "data/iop.duckdb"
DESCRIPTION = (
    "Outcome figures and monthly reports for addiction-treatment intensive outpatient programs: "
    "import an EHR export or load a contract folder, compute the figures, render HTML/PDF "
    "reports, schedule monthly runs. Exit codes: 0 ok, 2 bad input or arguments, 3 another "
    "process holds the lock (--wait), 1 any other "
    "failure."
)
# comparison.MEASURES, spelt out so that parsing arguments imports no statistics (a test checks)
MEASURE_CHOICES = (
    "completion",
    "retained_90d",
    "step_down",
    "reliable_improvement",
    "recovery",
    "attendance",
)
PAPERS = ("letter", "a4")  # report.markup.PAPERS, spelt out for the same reason


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise InputError(f"{self.prog}: {message}")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _cmd_sample(a: argparse.Namespace) -> int:
    from .ingest.sample import generate

    s = generate(
        a.out, clients=a.clients, sites=a.sites, start=a.start, end=a.end, seed=a.seed, fmt=a.format
    )
    print(
        f"wrote {s.clients:,} clients, {s.episodes:,} episodes, {s.sessions:,} sessions, "
        f"{s.assessments:,} assessments to {s.out_dir}/ ({a.format})"
    )
    return 0


def _cmd_validate(a: argparse.Namespace) -> int:
    import duckdb

    from .ingest.load import check

    con = duckdb.connect()
    try:
        summary = check(con, a.data_dir)
    except InputError as exc:
        if a.errors_out:
            Path(a.errors_out).write_text("\n".join(str(v) for v in exc.violations) + "\n")
            exc.report_path = a.errors_out
        raise
    finally:
        con.close()
    print(f"{a.data_dir}: valid against the data contract")
    print(summary.describe())
    return 0


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cmd_load(a: argparse.Namespace) -> int:
    from .ingest.load import load

    q = a.quarantine
    if a.mapping:  # import the export through the mapping into a scratch folder, then load it
        from .ingest.importer import load_mapped

        summary = load_mapped(a.data_dir, a.db, a.mapping, quarantine=q, wait=a.wait, log=_say)
    else:
        summary = load(a.data_dir, a.db, quarantine=q, wait=a.wait, log=_say)
    print(f"loaded {a.data_dir} into {a.db}")
    print(summary.describe())
    if summary.rejected:
        print(
            f"{len(summary.rejected)} problem(s) set aside; see the rejected_rows table",
            file=sys.stderr,
        )
    return 0


def _cmd_import_mapped(a: argparse.Namespace) -> int:
    from .ingest.importer import import_export

    if a.export or not a.mapping:
        raise InputError(
            "usage: iop-metrics import EXPORT_DIR --mapping M --out DIR "
            "(or: iop-metrics import fhir EXPORT_DIR [--mapping M] --out DIR)"
        )
    report, _ = import_export(a.source, a.mapping, a.out, fmt=a.format)
    print(f"imported {a.source} through {a.mapping} into {a.out}/ ({a.format})")
    for name, t in report["tables"].items():
        skipped = sum(sum(v.values()) for v in t["rows_skipped"].values())
        print(
            f"  {name:<15} {t['rows_written']:>10,} rows written  ({t['rows_read']:,} read, "
            f"{skipped:,} skipped by keep, {t['rows_collapsed']:,} identical rows collapsed)"
        )
    print(f"  see {Path(a.out) / 'import_report.json'} for every column and code")
    return 0


def _cmd_keygen(a: argparse.Namespace) -> int:
    from .ingest.pseudonym import keygen

    print(f"wrote a new pseudonymization key to {keygen(a.path)} (mode 0600); keep it safe")
    return 0


def _cmd_mapping(a: argparse.Namespace) -> int:
    from .ingest.draft import draft

    sys.stdout.write(draft(a.export_dir))
    return 0


def _open(a: argparse.Namespace):  # -> duckdb connection (read-only) or a Spark engine
    if spark := _spark(a):
        return spark
    if a.data:
        from .ingest.load import load_memory  # the readers bring numpy: only when loading

        return load_memory(a.data)
    from .db import connect

    return connect(a.db)


def _source(a: argparse.Namespace) -> str:
    """Where the figures come from, as an error message names it."""
    return a.data_path if getattr(a, "data_path", None) else (a.data or a.db)


def _check(a: argparse.Namespace, con, periods) -> None:
    """A site or track the data does not have, or a period after its last activity: exit 2."""
    from .compute.coverage import check_period, check_scope

    check_scope(con, site=a.site, track=a.track, source=_source(a))
    for period in periods:
        check_period(con, period, source=_source(a), allow_empty=a.allow_empty)


def _query(a: argparse.Namespace, con, today: dt.date):
    from .compute.query import Query, Scope, latest_complete_month
    from .periods import parse_period

    period = parse_period(a.period, today=today) if a.period else latest_complete_month(con)
    _check(a, con, [period])
    levels = tuple(a.level) if a.level else Scope().levels
    return Query.of(
        period, as_of=a.as_of, scope=Scope(levels, a.site, a.track), window_days=a.window_days
    )


def _cmd_metrics(a: argparse.Namespace) -> int:
    from .compute.formats import render_document
    from .compute.metrics import document

    con = _open(a)
    try:
        doc = document(con, _query(a, con, dt.date.today()))
    finally:
        con.close()
    sys.stdout.write(render_document(doc, a.format))
    return 0


def _cmd_sites(a: argparse.Namespace) -> int:
    import csv
    import json

    from .compute import comparison
    from .compute.coverage import check_period
    from .compute.query import Query, Scope
    from .db import connect
    from .periods import parse_period

    con = connect(a.db)
    try:
        period = parse_period(a.period, today=dt.date.today())
        check_period(con, period, source=a.db, allow_empty=a.allow_empty)
        levels = tuple(a.level) if a.level else Scope().levels
        q = Query.of(period, as_of=a.as_of, scope=Scope(levels, None))
        measures = tuple(dict.fromkeys(a.measure)) if a.measure else comparison.MEASURES
        doc = comparison.document(con, q, measures=measures, window=a.window)
    finally:
        con.close()
    if a.format == "json":
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        rows = comparison.csv_rows(doc)
        fields = ["measure", *(c for c in comparison.COLUMNS)]
        w = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return 0


def _formats(text: str) -> tuple[str, ...]:
    out = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in out if x not in ("html", "pdf")]
    if bad or not out:
        raise argparse.ArgumentTypeError(f"formats are html and/or pdf, not {text!r}")
    return out


def _cmd_report(a: argparse.Namespace) -> int:
    if a.data:  # validate and load the folder into a temporary database, then report from it
        import tempfile

        from .ingest.load import load
        from .scratch import temp_name

        with tempfile.TemporaryDirectory(prefix=temp_name("report")) as tmp:
            db = str(Path(tmp) / "iop.duckdb")
            load(a.data, db)
            return _report(argparse.Namespace(**{**vars(a), "db": db, "data": None}))
    return _report(a)


def _cmd_export(a: argparse.Namespace) -> int:
    from .ingest.export import export

    written = export(a.db, a.parquet)
    tables = ", ".join(f"{t} ({n:,} rows)" for t, n in written.items())
    print(f"wrote {tables} to {a.parquet}/ (one Parquet folder per table)")
    return 0


def _add_engine(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("engine (README: 'When one machine is not enough')")
    g.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="default duckdb")
    g.add_argument(
        "--data-path",
        metavar="PATH",
        help="with --engine spark: the tables written by `iop-metrics export` (path or URI)",
    )
    g.add_argument(
        "--spark-remote",
        metavar="URL",
        help="Spark Connect, sc://host:port (default $SPARK_REMOTE; none: a local session)",
    )


def _uses_spark(a: argparse.Namespace) -> bool:
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


def _spark(a: argparse.Namespace):  # -> SparkEngine, or None for DuckDB
    if not _uses_spark(a):
        return None
    from .compute.spark import SparkEngine

    return SparkEngine.open(a.data_path)


def _report(a: argparse.Namespace) -> int:
    import duckdb

    from .compute.query import Scope, latest_complete_month
    from .db import connect
    from .periods import parse_period, periods_between
    from .scratch import reports_folder

    today = dt.date.today()
    spark = _uses_spark(a)
    try:
        con = _spark(a) or connect(a.db)
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
            _check(a, con, periods)
    finally:
        if con is not None:
            con.close()
    scope = Scope(tuple(a.level) if a.level else Scope().levels, a.site, a.track)
    out = Path(a.out)
    with reports_folder(out, what=f"report into {out}", wait=a.wait, log=_say):
        return _render_periods(a, periods, scope, spark=spark)


def _render_periods(a: argparse.Namespace, periods, scope, *, spark: bool) -> int:
    from .report.build import ReportError, render, report_folder

    out = Path(a.out)
    formats = a.formats or ("html", "pdf")
    failures = 0
    for i, period in enumerate(periods, 1):
        bar = "#" * (20 * i // len(periods))
        print(f"[{bar:<20}] {i}/{len(periods)} {period.label} ...", file=sys.stderr, flush=True)
        try:
            timings = render(
                a.db,
                period,
                dest=report_folder(out, period, scope),
                as_of=a.as_of,
                scope=scope,
                suppress=a.suppress,
                window_days=a.window_days,
                formats=formats,
                pdf_required=a.formats is not None and "pdf" in a.formats,
                warn=lambda m: print(m, file=sys.stderr),
                benchmark=a.benchmark,
                data_path=a.data_path if spark else None,
                program=a.program_name,
                paper=a.paper,
                warm=True,  # one kernel and one Chromium for every period (started early)
            )
        except (ReportError, WriteError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            failures += 1
            continue
        took = sum(timings.values())
        print(f"wrote {report_folder(out, period, scope)}/ in {took:.1f} s", flush=True)
    return 1 if failures else 0


def _cmd_import_fhir(a: argparse.Namespace) -> int:
    import duckdb

    from .ingest.fhir import import_fhir, read_fhir_mapping
    from .ingest.writer import write_contract_folder

    if not a.export:
        raise InputError("usage: iop-metrics import fhir EXPORT_DIR [--mapping M] --out DIR")
    config, key, mapping = read_fhir_mapping(a.mapping)
    con = duckdb.connect()
    try:
        report = import_fhir(con, a.export, config, key=key)
        report["mapping"] = mapping or None
        write_contract_folder(con, a.out, fmt=a.format, report=report)
        out = Path(a.out)
    finally:
        con.close()
    rows = ", ".join(
        f"{n:,} {t}" for t, n in ((t, v["rows_written"]) for t, v in report["tables"].items())
    )
    print(f"wrote {rows} to {out}/ ({a.format}); see {out}/import_report.json")
    for t, n in ((t, v["count"]) for t, v in report["unassigned"].items()):
        print(f"  {n:,} {t} resource(s) unassigned to an episode (listed in the report)")
    if not report["pseudonymized"]:
        print(
            "note: no [pseudonymize] key_file in the mapping; FHIR logical ids kept as ids",
            file=sys.stderr,
        )
    return 0


def _cmd_import(a: argparse.Namespace) -> int:
    if a.source == "fhir":
        return _cmd_import_fhir(a)
    return _cmd_import_mapped(a)


def _cmd_benchmark(a: argparse.Namespace) -> int:
    from .ingest.teds import describe, read_teds_d, write_benchmark

    doc = read_teds_d(a.file, year=a.year, state=a.state, include_mat=a.include_mat)
    out = write_benchmark(doc, a.out)
    prov = doc["provenance"]
    print(
        f"wrote {out}: {prov['rows_read']:,} rows read ({prov['layout']}), "
        f"{prov['rows_used']:,} intensive outpatient discharges counted"
    )
    print(describe(doc))
    return 0


def _cmd_run(a: argparse.Namespace) -> int:
    from .run.config import read_config
    from .run.runner import run

    config = read_config(a.config)
    if a.program_name is not None:
        config = replace(config, program=a.program_name.strip() or None)
    if a.paper is not None:
        config = replace(config, paper=a.paper)
    return run(
        config,
        period=a.period,
        dry_run=a.dry_run,
        resume=a.resume,
        wait=a.wait,
        today=dt.date.today(),
        allow_empty=a.allow_empty,
    )


def _add_scope(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group()
    src.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    src.add_argument("--data", help="validate and load this folder into memory instead")
    p.add_argument(
        "--period",
        help="2026-10, 2026-Q4, 2026, last-month or last-quarter "
        "(default: the latest complete month in the data)",
    )
    p.add_argument("--as-of", type=_date, help="compute as of this date (default: period end)")
    p.add_argument(
        "--level",
        action="append",
        metavar="CODE",
        help="level of care in scope; repeat for several (default 2.1)",
    )
    p.add_argument("--site", help="only this site")
    p.add_argument("--track", help="only this track")
    p.add_argument(
        "--window-days", type=int, default=14, help="transitions window W in days (default 14)"
    )
    p.add_argument(
        "--allow-empty",
        action="store_true",
        help="report a period that begins after the data's last activity date (a stale export "
        "is an error otherwise)",
    )


def _add_look(p: argparse.ArgumentParser, *, default: str | None) -> None:
    """The program's name in the report header, and the PDF's paper size."""
    given = "default letter" if default else "overrides the config's reports.paper"
    p.add_argument(
        "--program-name",
        metavar="NAME",
        help="the program's name, shown in the report header"
        + ("" if default else " (overrides the config's reports.program)"),
    )
    p.add_argument(
        "--paper",
        choices=PAPERS,
        type=str.lower,
        default=default,
        help=f"the PDF's page size ({given})",
    )


def _add_wait(p: argparse.ArgumentParser, other: str) -> None:
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help=f"when a {other} is under way, wait up to this long for it "
        "(default 0: exit 3 at once, naming it)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="iop-metrics", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("sample", help="write synthetic de-identified records")
    s.add_argument("--out", default="data/sample", help="folder to write (default data/sample)")
    s.add_argument("--clients", type=int, default=700, help="number of clients (default 700)")
    s.add_argument("--sites", type=int, default=2, help="number of sites, 1..4 (default 2)")
    s.add_argument("--start", type=_date, default=dt.date(2024, 11, 1), help="first day")
    s.add_argument("--end", type=_date, default=dt.date(2026, 10, 31), help="last day")
    s.add_argument("--seed", type=int, default=20261031, help="random seed")
    s.add_argument(
        "--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)"
    )
    s.set_defaults(func=_cmd_sample)

    v = sub.add_parser("validate", help="check a folder against the data contract (exit 0/2)")
    v.add_argument(
        "data_dir", help="a contract folder: clients, episodes, sessions ... as CSV/Parquet"
    )
    v.add_argument("--errors-out", help="also write every problem to this file")
    v.set_defaults(func=_cmd_validate)

    ld = sub.add_parser("load", help="validate a folder and load it into the database atomically")
    ld.add_argument(
        "data_dir", help="a contract folder, or with --mapping the EHR export folder to import"
    )
    ld.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    ld.add_argument(
        "--quarantine",
        action="store_true",
        help="set bad rows (and rows that depend on them) aside in rejected_rows and load the rest",
    )
    ld.add_argument(
        "--mapping", help="DATA_DIR is an EHR export: import it through this mapping file first"
    )
    _add_wait(ld, "load into the same database")
    ld.set_defaults(func=_cmd_load)

    im = sub.add_parser(
        "import", help="turn an EHR export into a contract folder (import fhir DIR)"
    )
    im.add_argument(
        "source",
        metavar="EXPORT_DIR|fhir",
        help="the EHR export folder (with --mapping); or the word fhir, then the FHIR folder",
    )
    im.add_argument(
        "export", nargs="?", metavar="FHIR_DIR", help="after fhir: the FHIR R4 bulk export folder"
    )
    im.add_argument(
        "--mapping", help="mapping file (TOML); required for an EHR export, optional for FHIR"
    )
    im.add_argument("--out", required=True, help="contract folder to write")
    im.add_argument(
        "--format",
        choices=("csv", "parquet"),
        default="csv",
        help="file format of the contract tables written (default csv)",
    )
    im.set_defaults(func=_cmd_import)

    kg = sub.add_parser("keygen", help="create a pseudonymization key file (0600)")
    kg.add_argument(
        "path",
        help="key file to create (32 random bytes, mode 0600; its folder is made mode 0700); "
        "keep it outside the export and the repository",
    )
    kg.set_defaults(func=_cmd_keygen)

    mp = sub.add_parser("mapping", help="mapping-file helpers")
    mps = mp.add_subparsers(dest="mapping_command", required=True, parser_class=_Parser)
    dr = mps.add_parser("draft", help="print a commented mapping skeleton for an export")
    dr.add_argument("export_dir")
    dr.set_defaults(func=_cmd_mapping)

    m = sub.add_parser("metrics", help="compute one period's figures (json, table or csv)")
    _add_scope(m)
    _add_engine(m)
    m.add_argument("--format", choices=("json", "table", "csv"), default="json")
    m.set_defaults(func=_cmd_metrics)

    st = sub.add_parser(
        "sites",
        help="compare every site: case-mix adjusted rates, over-dispersed funnels (json, csv)",
    )
    st.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    st.add_argument("--period", required=True, help="2026-10, 2026-Q4, 2026, last-month ...")
    st.add_argument("--as-of", type=_date, help="compute as of this date (default: period end)")
    st.add_argument(
        "--level", action="append", metavar="CODE", help="level of care in scope (default 2.1)"
    )
    st.add_argument(
        "--measure",
        action="append",
        choices=MEASURE_CHOICES,
        help="one measure; repeat for several (default: every measure)",
    )
    st.add_argument(
        "--window",
        choices=("12m", "period"),
        default="12m",
        help="compare over the 12 months ending with the period (default) or the period alone",
    )
    st.add_argument("--format", choices=("json", "csv"), default="json")
    st.add_argument(
        "--allow-empty",
        action="store_true",
        help="compare a period that begins after the data's last activity date",
    )
    st.set_defaults(func=_cmd_sites)

    r = sub.add_parser("report", help="render the HTML/PDF report, notebook and metrics.json")
    _add_scope(r)
    _add_engine(r)
    r.add_argument("--through", help="render every period from --period through this one")
    r.add_argument("--out", default="reports", help="output folder (default reports)")
    r.add_argument(
        "--suppress",
        type=int,
        default=0,
        metavar="K",
        help="small-cell suppression for external distribution (CMS: 11)",
    )
    r.add_argument(
        "--formats",
        type=_formats,
        default=None,
        help="html,pdf (default both; PDF skipped with a warning if no Chromium)",
    )
    r.add_argument(
        "--benchmark",
        metavar="FILE",
        help="TEDS-D benchmark from `iop-metrics benchmark teds-d` (default: TEDS 2004 figures)",
    )
    _add_look(r, default="letter")
    _add_wait(r, "report or run writing the same --out folder")
    r.set_defaults(func=_cmd_report)

    b = sub.add_parser("benchmark", help="build a national benchmark file from public data")
    bsub = b.add_subparsers(dest="source", required=True, parser_class=_Parser)
    t = bsub.add_parser(
        "teds-d",
        help="SAMHSA TEDS-D public-use file (CSV or zip) -> intensive outpatient benchmark JSON",
    )
    t.add_argument("file", help="the TEDS-D CSV, or the zip SAMHSA distributes")
    t.add_argument("--year", type=int, help="keep this discharge year only (DISYR)")
    t.add_argument("--state", help="the program's state, a FIPS code (Ohio: 39)")
    t.add_argument(
        "--include-mat",
        action="store_true",
        help="keep discharges with medication for opioid use planned (METHUSE = 1)",
    )
    t.add_argument(
        "--out",
        default="benchmarks/teds-d.json",
        help="file to write (default benchmarks/teds-d.json)",
    )
    t.set_defaults(func=_cmd_benchmark)
    rn = sub.add_parser(
        "run", help="scheduled run from a config: load, every scope x audience, sites, index"
    )
    rn.add_argument("config", help="the run's TOML file (paths in it are relative to it)")
    rn.add_argument("--period", help="overrides the config's period (2026-10, last-month ...)")
    rn.add_argument("--dry-run", action="store_true", help="print the plan, load and write nothing")
    rn.add_argument(
        "--allow-empty",
        action="store_true",
        help="render a period that begins after the export's last activity date (a stale "
        "export stops the run otherwise)",
    )
    rn.add_argument(
        "--resume",
        action="store_true",
        help="after a failed or killed run of this config: render only the outputs it did not "
        "write, against its snapshot when that still exists",
    )
    _add_look(rn, default=None)
    _add_wait(rn, "run or report writing the same reports folder (or load of its database)")
    rn.set_defaults(func=_cmd_run)

    ex = sub.add_parser("export", help="write the loaded tables as Parquet, for --engine spark")
    ex.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    ex.add_argument("--parquet", required=True, metavar="DIR", help="folder to write")
    ex.set_defaults(func=_cmd_export)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    # The numeric work left to numpy is small (case-mix fits on a few thousand pattern rows,
    # chart arrays); DuckDB has its own threads. Threaded BLAS on such matrices only spins
    # against DuckDB and the machine's other processes (the case-mix fits ran 5 times slower
    # with it), so one BLAS thread unless the caller chose otherwise. Read when numpy loads,
    # which parsing arguments never does.
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except InputError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        return 2
    except Busy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: say what, exit 1
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
