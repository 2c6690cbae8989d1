"""A folder's table files -> ``raw_<table>`` temp tables of text, the input of the contract checks.

Each contract table's file is found (one per table; a folder of export files is told to use a
mapping), its header checked against the contract (an unknown column is refused, never dropped),
and its rows read by DuckDB with every column as trimmed text and the file's line number in
``_line``. The built-in levels of care and instruments are staged the same way.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..contract import BUILTIN_INSTRUMENTS, BUILTIN_LEVELS, TABLES, Table
from ..errors import InputError, Violation
from .readers import csv_header, stage_csv

SUFFIXES = (".csv", ".csv.gz", ".parquet")


EXPORT_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".xlsx")


@dataclass(frozen=True)
class SourceFile:
    table: str
    path: Path

    @property
    def is_csv(self) -> bool:
        return not self.path.name.endswith(".parquet")


def find_sources(
    data_dir: str | os.PathLike[str], *, ignore: Collection[str] = ()
) -> dict[str, SourceFile]:
    """Locate each contract table's file in ``data_dir``.

    Raises ``InputError`` when the folder is missing, a required table has no
    file, a table has more than one, or a data file is no contract table's (a typo such as
    ``assesments.csv``, or a table this version does not know: refused, never skipped in
    silence) unless its name is in ``ignore``.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise InputError([Violation(str(root), 0, "", "is not a folder")])
    found: dict[str, SourceFile] = {}
    problems = []
    for name, table in TABLES.items():
        paths = [root / f"{name}{s}" for s in SUFFIXES if (root / f"{name}{s}").is_file()]
        if len(paths) > 1:
            listed = ", ".join(p.name for p in paths)
            problems.append(
                Violation(str(root), 0, "", f"table {name} has several files: {listed}")
            )
        elif paths:
            found[name] = SourceFile(name, paths[0])
        elif table.required:
            problems.append(
                Violation(
                    str(root),
                    0,
                    "",
                    f"required table {name} is missing ({name}.csv, "
                    f"{name}.csv.gz or {name}.parquet)",
                )
            )
    if problems and not found:
        problems += _looks_like_an_export(root)
    elif found:
        problems += _unknown_files(root, ignore)
    if problems:
        raise InputError(problems)
    return found


def _unknown_files(root: Path, ignore: Collection[str]) -> list[Violation]:
    """A data file of a contract folder that is no contract table's file, with a close match."""
    known = [f"{t}{s}" for t in TABLES for s in SUFFIXES]
    out = []
    for p in sorted(root.iterdir()):
        name = p.name
        if not p.is_file() or not name.lower().endswith(EXPORT_SUFFIXES) or name in known:
            continue
        if name in ignore:
            continue
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.75)
        hint = (
            f"did you mean {close[0]}?"
            if close
            else f"the contract's tables are {', '.join(TABLES)}"
        )
        out.append(
            Violation(
                str(p),
                0,
                "",
                f"is not a contract table ({hint}): rename it, or pass --ignore {name} to "
                "load the folder without it",
            )
        )
    return out


def _looks_like_an_export(root: Path) -> list[Violation]:
    """A folder with data files but no contract table is an EHR export that needs a mapping."""
    files = sorted(p.name for p in root.iterdir() if p.name.lower().endswith(EXPORT_SUFFIXES))
    if not files:
        return []
    shown = ", ".join(files[:4]) + (", ..." if len(files) > 4 else "")
    msg = (
        f"holds no contract table but {len(files)} export file(s) ({shown}): an EHR export is "
        f"imported through a mapping: add --mapping MAPPING (`iop-metrics mapping draft {root}` "
        "drafts one; see docs/mapping.md)"
    )
    return [Violation(str(root), 0, "", msg)]


def _columns_in(con: duckdb.DuckDBPyConnection, src: SourceFile) -> list[str]:
    if src.is_csv:
        return csv_header(src.path)
    try:
        rows = con.execute("select name from parquet_schema($p)", {"p": str(src.path)}).fetchall()
    except duckdb.Error as exc:
        raise InputError([Violation(str(src.path), 0, "", f"cannot be read: {exc}")]) from exc
    # parquet_schema lists the root (schema) element first.
    return [r[0] for r in rows[1:]]


def _check_columns(src: SourceFile, names: list[str]) -> list[Violation]:
    table = TABLES[src.table]
    out = []
    seen = set()
    for n in names:
        if n in seen:
            out.append(Violation(str(src.path), 1, n, "column appears twice"))
        seen.add(n)
        if n not in table.column_names:
            out.append(
                Violation(
                    str(src.path),
                    1,
                    n,
                    "column is not in the data contract; refused "
                    "(unknown columns are never dropped or loaded)",
                )
            )
    for c in table.columns:
        if c.required and c.name not in seen:
            out.append(Violation(str(src.path), 1, c.name, "required column is missing"))
    return out


def _stage(con: duckdb.DuckDBPyConnection, src: SourceFile, names: list[str]) -> list[Violation]:
    """Read one file into ``raw_<table>``: every contract column as trimmed text, plus _line."""
    table = TABLES[src.table]
    cols = []
    for c in table.columns:
        if c.name in names:
            cols.append(f'nullif(trim(cast("{c.name}" as varchar)), \'\') as "{c.name}"')
        else:
            cols.append(f'cast(null as varchar) as "{c.name}"')
    select = ", ".join(cols)
    path = {"p": str(src.path)}
    problems: list[Violation] = []
    try:
        if src.is_csv:
            problems += stage_csv(con, src.path, f"raw_{table.name}", names, select=select)
        else:
            con.execute(
                f"create or replace temp table raw_{table.name} as "
                f"select {select}, cast(file_row_number + 1 as bigint) as _line "
                f"from read_parquet($p, file_row_number=true)",
                path,
            )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError([Violation(str(src.path), 0, "", f"cannot be read: {first}")]) from exc
    return problems


def _builtin_levels(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "create or replace temp table raw_levels_of_care"
        "(code varchar, name varchar, intensity varchar, setting varchar, _line bigint)"
    )
    con.executemany(
        "insert into raw_levels_of_care values (?, ?, ?, ?, 0)",
        [[c, n, repr(i), s] for c, n, i, s in BUILTIN_LEVELS],
    )


def _text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)


def add_builtin_instruments(con: duckdb.DuckDBPyConnection) -> None:
    """Add the built-in instruments to ``raw_instruments`` (staged from a file, or empty): a
    file's row with a built-in code replaces the built-in row, its other rows are added. The
    built-in rows carry lines -3..-1 (no file line; they break no rule)."""
    cols = TABLES["instruments"].column_names
    listed = ", ".join(f'"{c}"' for c in cols)
    con.execute(
        "create or replace temp table _builtin_instruments ("
        + ", ".join(f'"{c}" varchar' for c in cols)
        + ", _line bigint)"
    )
    rows = [
        [*(_text(getattr(i, c)) for c in cols), k - len(BUILTIN_INSTRUMENTS)]
        for k, i in enumerate(BUILTIN_INSTRUMENTS)
    ]
    con.executemany(
        f"insert into _builtin_instruments values ({', '.join('?' for _ in range(len(cols) + 1))})",
        rows,
    )
    con.execute(
        f"create or replace temp table _merged_instruments as "
        f"select {listed}, _line from _builtin_instruments b where not exists "
        f"(select 1 from raw_instruments r where r.code = b.code) "
        f"union all select {listed}, _line from raw_instruments"
    )
    is_view = con.execute(
        "select count(*) from duckdb_views() where view_name = 'raw_instruments'"
    ).fetchall()[0][0]
    con.execute(f"drop {'view' if is_view else 'table'} raw_instruments")
    con.execute(
        "create temp table raw_instruments as select * from _merged_instruments order by _line"
    )
    con.execute("drop table _merged_instruments")
    con.execute("drop table _builtin_instruments")


def _empty_raw(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    cols = ", ".join(f'"{c.name}" varchar' for c in table.columns)
    con.execute(f"create or replace temp table raw_{table.name} ({cols}, _line bigint)")
