"""``iop-metrics``: argument parsing only; the work is done by the package's functions.

Each command's implementation lives in the stage it belongs to (``ingest/commands.py``,
``compute/commands.py``, ``report/commands.py``, ``run/commands.py``).

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

from .compute.commands import cmd_metrics, cmd_sites
from .errors import InputError, WriteError
from .ingest.commands import (
    cmd_benchmark,
    cmd_export,
    cmd_import,
    cmd_keygen,
    cmd_load,
    cmd_mapping,
    cmd_sample,
    cmd_validate,
)
from .locks import EXIT_BUSY, Busy
from .report.commands import cmd_report
from .run.commands import cmd_run

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
    "abstinent_discharge",
    "response_3m",
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


def _formats(text: str) -> tuple[str, ...]:
    out = tuple(x.strip() for x in text.split(",") if x.strip())
    bad = [x for x in out if x not in ("html", "pdf")]
    if bad or not out:
        raise argparse.ArgumentTypeError(f"formats are html and/or pdf, not {text!r}")
    return out


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


def _add_ignore(p: argparse.ArgumentParser, when: str = "") -> None:
    p.add_argument(
        "--ignore",
        action="append",
        metavar="FILE",
        help=f"{when}load the folder without this file, which is no contract table's (a data "
        "file the contract does not know is refused otherwise); repeat for several",
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
    _add_ignore(p, "with --data: ")
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
    _add_partial(p)


def _add_partial(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="report a period (or --as-of) that reaches past the end of the data: the date the "
        "export was taken (load --export-date), else its last activity date plus 4 days (an "
        "error otherwise); every page then says where the data ends",
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
    s.set_defaults(func=cmd_sample)

    v = sub.add_parser("validate", help="check a folder against the data contract (exit 0/2)")
    v.add_argument(
        "data_dir", help="a contract folder: clients, episodes, sessions ... as CSV/Parquet"
    )
    v.add_argument("--errors-out", help="also write every problem to this file")
    _add_ignore(v)
    v.set_defaults(func=cmd_validate)

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
    ld.add_argument(
        "--export-date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the day the export was taken: reports take the data as complete through it (a "
        "month whose last sessions fell before a weekend is then not refused as partial); "
        "default: the mapping's source.export_date, else not recorded",
    )
    _add_ignore(ld)
    _add_wait(ld, "load into the same database")
    ld.set_defaults(func=cmd_load)

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
    im.set_defaults(func=cmd_import)

    kg = sub.add_parser("keygen", help="create a pseudonymization key file (0600)")
    kg.add_argument(
        "path",
        help="key file to create (32 random bytes, mode 0600; its folder is made mode 0700); "
        "keep it outside the export and the repository",
    )
    kg.set_defaults(func=cmd_keygen)

    mp = sub.add_parser("mapping", help="mapping-file helpers")
    mps = mp.add_subparsers(dest="mapping_command", required=True, parser_class=_Parser)
    dr = mps.add_parser("draft", help="print a commented mapping skeleton for an export")
    dr.add_argument("export_dir")
    dr.set_defaults(func=cmd_mapping)

    m = sub.add_parser("metrics", help="compute one period's figures (json, table or csv)")
    _add_scope(m)
    _add_engine(m)
    m.add_argument("--format", choices=("json", "table", "csv"), default="json")
    m.set_defaults(func=cmd_metrics)

    st = sub.add_parser(
        "sites",
        help="compare every site: case-mix adjusted rates, over-dispersed funnels "
        "(json, table, csv)",
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
    st.add_argument("--format", choices=("json", "table", "csv"), default="json")
    st.add_argument(
        "--allow-empty",
        action="store_true",
        help="compare a period that begins after the data's last activity date",
    )
    _add_partial(st)
    st.set_defaults(func=cmd_sites)

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
    r.set_defaults(func=cmd_report)

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
    t.set_defaults(func=cmd_benchmark)
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
    _add_partial(rn)
    rn.add_argument(
        "--resume",
        action="store_true",
        help="after a failed or killed run of this config: render only the outputs it did not "
        "write, against its snapshot when that still exists",
    )
    _add_look(rn, default=None)
    _add_wait(rn, "run or report writing the same reports folder (or load of its database)")
    rn.set_defaults(func=cmd_run)

    ex = sub.add_parser("export", help="write the loaded tables as Parquet, for --engine spark")
    ex.add_argument("--db", default=DEFAULT_DB, help=f"database file (default {DEFAULT_DB})")
    ex.add_argument("--parquet", required=True, metavar="DIR", help="folder to write")
    ex.set_defaults(func=cmd_export)
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
