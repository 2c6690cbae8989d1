"""Files -> validated DuckDB database, atomically.

Each table file is read by DuckDB's own readers with every column as text, so
that every rule of the data contract can be checked in SQL with the file's
line numbers at hand. Valid rows become the canonical, typed tables. The
database file is built beside the target and moved over it only when complete:
an interrupted or failed load leaves the previous database byte for byte, and
readers holding the old file keep reading their snapshot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .. import __version__
from ..contract import (
    DEFAULT_SITE,
    LOAD_ORDER,
    TABLES,
    folder_code_problem,
)
from ..db import SCHEMA_VERSION, scalar
from ..errors import InputError, Violation, WriteError, folder_bytes
from ..locks import hold
from ..scratch import beside, remove, sweep_beside
from .rules import table_checks
from .staging import (
    _builtin_levels,
    _check_columns,
    _columns_in,
    _empty_raw,
    _stage,
    add_builtin_instruments,
    find_sources,
)

LOAD_MEMORY_LIMIT = "1600MB"  # DuckDB's share; the process peaks ~250 MB above it


@dataclass
class LoadSummary:
    """What a load (or a validation) found: rows read, loaded and set aside per table."""

    files: dict[str, str] = field(default_factory=dict)
    rows_read: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rejected: list[Violation] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    snapshot: str = ""
    mapping_sha256: str | None = None  # set when the folder came from an import with a mapping
    import_report: str | None = None  # the import report (JSON) of that import
    export_date: dt.date | None = None  # the day the export was taken, when told (load_log)
    # site and track codes that cannot name a report folder (contract.folder_code_problem)
    folder_codes: list[str] = field(default_factory=list)

    def describe(self, *, verb: str = "loaded") -> str:
        """Rows per table (``verb``: "loaded", or "valid" for a validation that loads nothing),
        rows set aside, codes that cannot name a folder, and the snapshot."""
        lines = []
        for t in LOAD_ORDER:
            if t in self.rows_read:
                lines.append(
                    f"  {t:<15} {self.rows_loaded.get(t, 0):>10,} rows {verb}"
                    f"  ({self.files[t]}, {self.rows_read[t]:,} read)"
                )
        if self.rejected:
            n_rows = len({(v.file, v.line) for v in self.rejected})
            lines.append(f"  {n_rows:,} row(s) set aside in rejected_rows (quarantine)")
        lines += [
            f"  note: {why}: `report` and `run` refuse it; rename it in the export or through "
            "the mapping's codes"
            for why in self.folder_codes
        ]
        lines.append(f"  snapshot {self.snapshot[:16]}")
        if self.export_date is not None:
            lines.append(f"  export taken on {self.export_date.isoformat()}")
        return "\n".join(lines)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check(
    con: duckdb.DuckDBPyConnection,
    data_dir: str | os.PathLike[str],
    *,
    quarantine: bool = False,
    ignore: Collection[str] = (),
) -> LoadSummary:
    """Validate ``data_dir`` into typed staging tables of ``con`` (``typed_<table>``).

    With ``quarantine`` off, any violation raises ``InputError`` listing all of
    them. With it on, bad rows and the rows that depend on them are left out of
    the ``valid_<table>`` views and listed in the summary; file-level problems
    (unreadable file, missing or unknown column, a data file that is no contract table's
    unless its name is in ``ignore``) still raise.
    """
    sources = find_sources(data_dir, ignore=ignore)
    summary = LoadSummary()
    structural: list[Violation] = []
    for name in LOAD_ORDER:
        table = TABLES[name]
        src = sources.get(name)
        if src is None:
            if name == "levels_of_care":
                _builtin_levels(con)
            else:
                _empty_raw(con, table)
            continue
        names = _columns_in(con, src)
        bad_cols = _check_columns(src, names)
        if bad_cols:
            structural += bad_cols
            continue
        structural += _stage(con, src, names)
        summary.files[name] = src.path.name
        summary.rows_read[name] = scalar(con, f"select count(*) from raw_{name}")
    if not any(v.line <= 1 for v in structural):
        add_builtin_instruments(con)
    file_level = [v for v in structural if v.line <= 1]
    if file_level:
        raise InputError(file_level)
    files = {n: str(s.path) for n, s in sources.items()}
    violations = structural + table_checks(con, files, quarantine=quarantine)
    violations.sort()
    if violations and not quarantine:
        raise InputError(violations)
    summary.rejected = violations
    for name in LOAD_ORDER:
        # with an instruments file, the built-in rows it keeps (lines below 1) are not its rows
        only_file = " where _line > 0" if name == "instruments" and name in sources else ""
        summary.rows_loaded[name] = scalar(con, f"select count(*) from valid_{name}{only_file}")
    summary.folder_codes = _folder_codes(con)
    summary.paths = {n: s.path for n, s in sorted(sources.items())}
    summary.sha256 = {n: sha256_of(p) for n, p in summary.paths.items()}
    listing = "\n".join(f"{n}:{h}" for n, h in summary.sha256.items())
    summary.snapshot = hashlib.sha256(listing.encode()).hexdigest()
    return summary


def _folder_codes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Why each valid site or track code cannot name a report folder, if any cannot."""
    out = []
    for column in ("site", "track"):
        codes = con.execute(
            f"select distinct {column} from valid_episodes where {column} is not null "
            f"order by {column}"
        ).fetchall()
        out += [why for (code,) in codes if (why := folder_code_problem(code, column=column))]
    return out


CANONICAL = {
    "levels_of_care": "select code, name, intensity, setting from valid_levels_of_care",
    "instruments": "select code, coalesce(name, code) as name, min_score, max_score, "
    "lower_is_better, caseness, reliable_change, source from valid_instruments",
    "clients": "select client_id, cast(birth_year as integer) as birth_year, sex, "
    "primary_substance, payer, referral_source from valid_clients",
    "episodes": f"select episode_id, client_id, coalesce(site, '{DEFAULT_SITE}') as site, "
    "level_of_care, track, admit_date, discharge_date, discharge_reason from valid_episodes",
    "sessions": "select session_id, episode_id, session_date, service_type, "
    "cast(scheduled_minutes as integer) as scheduled_minutes, status, "
    "cast(coalesce(attended_minutes, case when status = 'attended' then scheduled_minutes "
    "else 0 end) as integer) as attended_minutes, coalesce(telehealth, false) as telehealth "
    "from valid_sessions",
    "assessments": "select episode_id, assessed_on, instrument, score from valid_assessments",
    "noms": "select episode_id, time_point, collected_on, contact, use_frequency, employment, "
    "living, cast(arrests as integer) as arrests, self_help from valid_noms",
}


# Sessions are stored by date (then line of the file: a total order, so one folder always
# gives the same table): a period's queries then read only the row groups of its dates
# (DuckDB's zone maps): the metrics document at 10M sessions 0.37 -> 0.30 s, for ~3 s more
# in a 10M load (16.7 -> 19.8 s on a quiet machine). Every other table keeps the file's order.
STORED_ORDER = {"sessions": "session_date, _line"}


def _write_tables(con: duckdb.DuckDBPyConnection, summary: LoadSummary, schema: str) -> None:
    """Create the canonical tables, rejected_rows and load_log in ``schema`` from staging."""
    for name, sql in CANONICAL.items():
        if name in summary.rows_read and summary.rows_loaded.get(name) == summary.rows_read[name]:
            # Nothing set aside: the typed rows, already in file order (a fresh table keeps its
            # insertion order), saving a sort of every row where the file's order is kept.
            sql, order = sql.replace("valid_", "typed_"), STORED_ORDER.get(name)
        else:
            order = STORED_ORDER.get(name, "_line")
        by = f" order by {order}" if order else ""
        con.execute(f"create table {schema}.{name} as {sql}{by}")
    from ..compute.derived import build

    build(con, schema)
    con.execute(
        f"create table {schema}.rejected_rows (table_name varchar, line bigint, "
        "column_name varchar, reason varchar, value varchar)"
    )
    table_of = {Path(p).name: t for t, p in summary.files.items()}
    if summary.rejected:
        con.executemany(
            f"insert into {schema}.rejected_rows values (?, ?, ?, ?, ?)",
            [
                [table_of.get(Path(v.file).name, v.file), v.line, v.column, v.message, v.value]
                for v in summary.rejected
            ],
        )
    con.execute(
        f"create table {schema}.load_log (table_name varchar, file varchar, sha256 varchar, "
        "bytes bigint, rows_read bigint, rows_loaded bigint, loaded_at timestamp, "
        "package_version varchar, snapshot varchar, mapping_sha256 varchar, "
        "import_report varchar, export_date date, schema_version integer)"
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    con.executemany(
        f"insert into {schema}.load_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                name,
                path.name,
                summary.sha256[name],
                path.stat().st_size,
                summary.rows_read.get(name, 0),
                summary.rows_loaded.get(name, 0),
                now,
                __version__,
                summary.snapshot,
                summary.mapping_sha256,
                summary.import_report,
                summary.export_date,
                SCHEMA_VERSION,
            ]
            for name, path in summary.paths.items()
        ],
    )


def _write(con: duckdb.DuckDBPyConnection, summary: LoadSummary, out_path: Path) -> None:
    con.execute("attach $p as out", {"p": str(out_path)})
    try:
        _write_tables(con, summary, "out")
        con.execute("checkpoint out")
    finally:
        con.execute("detach out")


SCRATCH = ("tmp", "tmp.wal", "spill", "import")  # beside the database: .<name>.<pid>.<kind>


def lock_path(target: Path) -> Path:
    """The lock of a database file: ``.<name>.lock`` beside it."""
    return target.with_name(f".{target.name}.lock")


def sweep(target: Path) -> list[Path]:
    """Remove the scratch of earlier loads into ``target`` that were killed (hold its lock)."""
    return sweep_beside(target, SCRATCH, locked=True)


def record_errors(db_path: Path, exc: InputError) -> None:
    """Write every problem of ``exc`` to ``<db_path>.errors.txt`` and point the message to it."""
    errors_file = Path(f"{db_path}.errors.txt")
    errors_file.parent.mkdir(parents=True, exist_ok=True)
    errors_file.write_text("\n".join(str(v) for v in exc.violations) + "\n")
    exc.report_path = str(errors_file)


def load(
    data_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    quarantine: bool = False,
    ignore: Collection[str] = (),
    imported: tuple[str, str] | None = None,
    wait: float = 0.0,
    log: Callable[[str], None] | None = None,
    export_date: dt.date | None = None,
) -> LoadSummary:
    """Validate ``data_dir`` and replace the database at ``db_path`` with its contents.

    ``imported`` (mapping sha256, import report JSON) is recorded in ``load_log``
    when the folder was made by ``import`` from an export. ``export_date``, the day the
    export was taken, is recorded in ``load_log`` too: reports take the data as complete
    through that day (``compute.coverage``); a date before the data's last activity is refused.

    The new database is written to a temporary file beside ``db_path`` and
    moved over it only when complete. On ``InputError`` every violation is also
    written to ``<db_path>.errors.txt`` and the existing database is untouched; a full
    disk or another OS error raises ``WriteError`` (the database untouched, no scratch
    left). One load at a time per database: ``.<name>.lock`` beside it (``locks.hold``;
    ``wait`` seconds for a running one, else ``Busy``); what a killed load left is swept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from iop_metrics.ingest.sample import generate
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = generate(d / "data", clients=40, seed=1)
    >>> load(d / "data", d / "iop.duckdb").rows_loaded["clients"]
    40
    """
    target = Path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with hold(lock_path(target), what=f"load {data_dir} into {target}", wait=wait, log=log):
        sweep(target)
        return _load_locked(
            Path(data_dir),
            target,
            quarantine=quarantine,
            ignore=ignore,
            imported=imported,
            taken=export_date,
        )


def _load_locked(
    data_dir: Path,
    target: Path,
    *,
    quarantine: bool,
    ignore: Collection[str] = (),
    imported: tuple[str, str] | None,
    taken: dt.date | None = None,
) -> LoadSummary:
    errors_file = Path(f"{target}.errors.txt")
    tmp = beside(target, "tmp")
    spill = beside(target, "spill")
    # Staging runs in memory but spills beyond LOAD_MEMORY_LIMIT (10M sessions: under 2 GB peak
    # instead of ~6.5 GB, about 15% slower).
    con = duckdb.connect(
        config={
            "memory_limit": LOAD_MEMORY_LIMIT,
            "temp_directory": str(spill),
        }
    )
    con.execute("set enable_progress_bar = false")
    written = False
    try:
        try:
            summary = check(con, data_dir, quarantine=quarantine, ignore=ignore)
            if imported:
                summary.mapping_sha256, summary.import_report = imported
            summary.export_date = taken
            if taken is not None:
                check_export_date(con, taken)
        except InputError as exc:
            with contextlib.suppress(OSError):  # a full disk must not hide the problems
                record_errors(target, exc)
            raise
        remove(tmp)
        _write(con, summary, tmp)
        written = True
    except (
        OSError,
        duckdb.IOException,
        duckdb.OutOfMemoryException,
        duckdb.TransactionException,
    ) as exc:
        so_far = folder_bytes(tmp) + folder_bytes(tmp.with_name(tmp.name + ".wal"))
        needed = max(so_far, target.stat().st_size if target.is_file() else 0) or None
        raise WriteError.of(
            exc,
            tmp,
            writing="the new database",
            needed=needed,
            kept=f"nothing was replaced ({target} is as it was) and no scratch is left",
        ) from None
    finally:
        with contextlib.suppress(duckdb.Error):
            con.close()
        if not written:
            remove(tmp)
        remove(tmp.with_name(tmp.name + ".wal"))
        remove(spill)
    try:
        os.replace(tmp, target)
    except OSError as exc:
        remove(tmp)
        kept = "nothing was replaced"
        raise WriteError.of(exc, target, writing="the database", kept=kept) from None
    with contextlib.suppress(FileNotFoundError):
        errors_file.unlink()
    return summary


def check_export_date(con: duckdb.DuckDBPyConnection, taken: dt.date) -> None:
    """An export cannot be taken before the last activity it holds (a mistyped date would
    make reports of complete months look partial, or partial ones complete)."""
    last = con.execute(
        "select max(d) from (select max(session_date) as d from valid_sessions "
        "union all select max(coalesce(discharge_date, admit_date)) from valid_episodes)"
    ).fetchone()
    if last and last[0] is not None and last[0] > taken:
        raise InputError(
            f"export date {taken.isoformat()} is before the data's last activity date "
            f"{last[0].isoformat()}: an export holds nothing after the day it was taken "
            "(check --export-date, or the mapping's source.export_date)"
        )


def load_memory(
    data_dir: str | os.PathLike[str], *, ignore: Collection[str] = ()
) -> duckdb.DuckDBPyConnection:
    """Validate ``data_dir`` and return an in-memory database holding it (``--data DIR``)."""
    con = duckdb.connect()
    _write_tables(con, check(con, data_dir, ignore=ignore), "main")
    for name in TABLES:
        con.execute(f"drop view if exists valid_{name}")
        for prefix in ("raw_", "typed_", "valid_"):
            con.execute(f"drop table if exists {prefix}{name}")
    return con
