"""Contract tables in a DuckDB connection -> a validated contract folder, all or nothing.

``write_contract_folder`` checks the tables named like the contract's
(``clients``, ``episodes``, ``sessions``, optional ``assessments``, ``noms``,
``levels_of_care`` and ``instruments``) that exist in the connection with the loader's own rules,
then writes them, plus ``import_report.json``, into a scratch folder beside
the target and moves it into place: a folder that ``validate`` would refuse is
never written. Columns starting with ``_`` are not written; when the tables
carry ``_fid`` and ``_line`` and the connection has ``_origin_files(fid,
name)``, an error names the source ``file:line`` the row came from (in its message and in a
value's "first used on line N").
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb

from ..contract import LOAD_ORDER, TABLES
from ..errors import InputError, Violation, WriteError, folder_bytes
from ..scratch import beside, remove, sweep_beside
from .rules import table_checks
from .staging import _builtin_levels, _empty_raw, add_builtin_instruments

REPORT_NAME = "import_report.json"
SCRATCH = ("tmp", "old", "spill")  # beside the contract folder: .<name>.<pid>.<kind>
KEPT = "nothing was replaced ({} is as it was) and no scratch is left"
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


LINE_BITS = 1 << 40  # a row's _line while checking: _fid * LINE_BITS + its line in that file


def _stage_for_check(con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]]) -> bool:
    """``raw_<table>`` views over the contract tables, as the loader's rules read them."""
    has_origin = con.execute(
        "select count(*) from duckdb_tables() where table_name = '_origin_files'"
    ).fetchone() == (1,)
    traced = has_origin and all({"_fid", "_line"} <= set(c) for c in tables.values())
    for name in LOAD_ORDER:
        table = TABLES[name]
        if name not in tables:
            if name == "levels_of_care":
                _builtin_levels(con)
            else:
                _empty_raw(con, table)
            continue
        cols = ", ".join(
            f'nullif(trim(cast("{c}" as varchar)), \'\') as "{c}"'
            if c in tables[name]
            else f'null::varchar as "{c}"'
            for c in table.column_names
        )
        line = f"_fid * {LINE_BITS} + _line" if traced else "row_number() over () + 1"
        con.execute(
            f"create or replace temp view raw_{name} as select {cols}, {line} as _line from {name}"
        )
    add_builtin_instruments(con)
    return traced


def _traced(con: duckdb.DuckDBPyConnection, v: Violation) -> Violation:
    """A violation of the check, at the source file:line its row came from."""
    files = dict(con.execute("select fid, name from _origin_files").fetchall())

    def where(encoded: int) -> tuple[str, int]:
        return str(files.get(encoded // LINE_BITS, v.file)), encoded % LINE_BITS

    def traced(text: str) -> str:  # "first used on line N" of a message or a value (noms)
        return re.sub(
            r"first used on line (\d+)",
            lambda m: "first used on {}:{}".format(*where(int(m.group(1)))),
            text,
        )

    message = traced(v.message)
    value = None if v.value is None else traced(v.value)
    if not v.line:
        return Violation(v.file, 0, v.column, message, value)
    return Violation(*where(v.line), v.column, message, value)


def _check(con: duckdb.DuckDBPyConnection, tables: dict[str, list[str]], fmt: str) -> None:
    traced = _stage_for_check(con, tables)
    files = {n: f"{n}.{fmt}" for n in tables}
    violations = table_checks(con, files, quarantine=False)
    for name in TABLES:
        for prefix in ("raw_", "typed_", "valid_"):
            for kind in ("view", "table"):
                with contextlib.suppress(duckdb.CatalogException):
                    con.execute(f"drop {kind} if exists {prefix}{name}")
    if violations:
        if traced:
            violations = [_traced(con, v) for v in violations]
        else:  # no source lines to point at: name the imported table and its row
            violations = [
                Violation(f"(imported) {v.file}", v.line, v.column, v.message, v.value)
                for v in violations
            ]
        raise InputError(sorted(violations))


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
        old = beside(target, "old")
        os.replace(target, old)
        os.replace(tmp, target)
        remove(old)
    else:
        os.replace(tmp, target)


def write_contract_folder(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | os.PathLike[str],
    *,
    fmt: str = "csv",
    report: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Check the contract tables of ``con`` and write them to ``out_dir`` (``csv`` or ``parquet``).

    The tables are checked by the loader's own rules before anything is
    written; returns the rows written per table, or raises ``InputError``
    (nothing written) listing every violation.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"--format: csv or parquet, not {fmt!r}")
    tables = _tables(con)
    _check(con, tables, fmt)
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_beside(target, SCRATCH, locked=False)
    tmp = beside(target, "tmp")
    remove(tmp)
    written = {}
    try:
        tmp.mkdir()
        for name, cols in tables.items():
            keep = ", ".join(f'"{c}"' for c in TABLES[name].column_names if c in cols)
            options = "format csv, header true" if fmt == "csv" else "format parquet"
            path = str(tmp / f"{name}.{fmt}").replace("'", "''")
            order = " order by _fid, _line" if {"_fid", "_line"} <= set(cols) else ""
            con.execute(f"copy (select {keep} from {name}{order}) to '{path}' ({options})")
            written[name] = int(con.execute(f"select count(*) from {name}").fetchone()[0])  # type: ignore[index]
        if report is not None:
            (tmp / REPORT_NAME).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        _replace_folder(tmp, target)
    except (OSError, duckdb.IOException) as exc:
        so_far = folder_bytes(tmp)
        remove(tmp)
        raise WriteError.of(
            exc, tmp, writing="the contract folder", needed=so_far or None, kept=KEPT.format(target)
        ) from None
    finally:
        remove(tmp)
    return written
