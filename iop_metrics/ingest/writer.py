"""Contract tables in a DuckDB connection -> a validated contract folder, all or nothing.

``write_contract_folder`` writes the tables named like the contract's
(``clients``, ``episodes``, ``sessions``, optional ``assessments`` and
``levels_of_care``) that exist in the connection, plus ``import_report.json``,
into a scratch folder beside the target, validates that folder with the
loader's own ``check``, and only then moves it into place: a folder that
``validate`` would refuse is never written. Columns starting with ``_`` are
not written; when a table carries ``_fid`` and ``_line`` and the connection
has ``_origin_files(fid, name)``, a validation error names the source
``file:line`` the row came from instead of the scratch file's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from ..contract import LOAD_ORDER, TABLES
from ..errors import InputError, Violation
from .load import LoadSummary, check

REPORT_NAME = "import_report.json"
CONTRACT_FILES = {f"{t}{s}" for t in TABLES for s in (".csv", ".csv.gz", ".parquet")}


def _tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    rows = con.execute(
        "select table_name, column_name from duckdb_columns() "
        "where schema_name in ('main', 'temp') and database_name in ('memory', 'temp', "
        "current_database()) order by column_index"
    ).fetchall()
    cols: dict[str, list[str]] = {}
    for table, column in rows:
        cols.setdefault(table, []).append(column)
    return {t: cols[t] for t in LOAD_ORDER if t in cols}


def _origin(
    con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], v: Violation, fmt: str
) -> Violation:
    name = Path(v.file).name.split(".")[0]
    cols = tables.get(name, [])
    if not v.line or "_fid" not in cols or "_line" not in cols:
        return Violation(name + (".csv" if fmt == "csv" else ".parquet"), v.line, *_rest(v))
    row = v.line - 1 if fmt == "csv" else v.line
    if con.execute(
        "select count(*) from duckdb_tables() where table_name = '_origin_files'"
    ).fetchone() != (1,):
        return v
    hit = con.execute(
        f"select f.name, t._line from (select _fid, _line, row_number() over "
        f"(order by _fid, _line) as rn from {name}) t join _origin_files f on f.fid = t._fid "
        f"where t.rn = $rn",
        {"rn": row},
    ).fetchone()
    if hit is None:
        return v
    return Violation(str(hit[0]), int(hit[1]), *_rest(v))


def _rest(v: Violation) -> tuple[str, str, str | None]:
    return v.column, v.message, v.value


def _replace_folder(tmp: Path, target: Path) -> None:
    if target.exists():
        if not target.is_dir():
            raise InputError(f"{target}: exists and is not a folder")
        foreign = [p.name for p in target.iterdir() if p.name not in CONTRACT_FILES | {REPORT_NAME}]
        if foreign:
            raise InputError(
                f"{target}: holds other files ({', '.join(sorted(foreign)[:5])}); "
                "refusing to replace it (choose an empty or new folder)"
            )
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, target)


def write_contract_folder(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | os.PathLike[str],
    *,
    fmt: str = "csv",
    report: dict[str, Any] | None = None,
) -> LoadSummary:
    """Write the contract tables of ``con`` to ``out_dir`` (``csv`` or ``parquet``), validated.

    Returns the loader's summary of the written folder; raises ``InputError``
    (nothing written) when the tables break the contract.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"--format: csv or parquet, not {fmt!r}")
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    tables = _tables(con)
    try:
        for name, cols in tables.items():
            keep = [c for c in TABLES[name].column_names if c in cols]
            order = " order by _fid, _line" if {"_fid", "_line"} <= set(cols) else ""
            select = ", ".join(f'"{c}"' for c in keep)
            options = "format csv, header true" if fmt == "csv" else "format parquet"
            path = str(tmp / f"{name}.{fmt}").replace("'", "''")
            con.execute(f"copy (select {select} from {name}{order}) to '{path}' ({options})")
        if report is not None:
            (tmp / REPORT_NAME).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        check_con = duckdb.connect(config={"memory_limit": "2GB"})
        try:
            summary = check(check_con, tmp)
        except InputError as exc:
            raise InputError([_origin(con, tables, v, fmt) for v in exc.violations]) from None
        finally:
            check_con.close()
        _replace_folder(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(tmp)
    return summary
