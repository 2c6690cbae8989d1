"""Small DuckDB helpers shared by the loader and the metrics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from .errors import InputError


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    """The single value a query returns (``None`` when it returns no row)."""
    rows = con.execute(sql, params or {}).fetchall()  # read to the end: duckdb 2 needs it
    return rows[0][0] if rows else None


# What a database holds besides the canonical tables, recorded by the load in
# load_log.schema_version: 1, the derived tables and the macros that read them (issue #31).
# A database of an older version (or none) is refused with the command that reloads it.
SCHEMA_VERSION = 1


def connect(db: str | os.PathLike[str], *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the loaded database; a missing file, or one loaded by an older version of the
    package (``SCHEMA_VERSION``), is bad input (exit 2), not a new empty database."""
    path = Path(db)
    if not path.is_file():
        raise InputError(
            f"{path}: no database here; build one with `iop-metrics load DATA_DIR --db {path}`"
        )
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        check_schema(schema_version(con), str(path))
    except InputError:
        con.close()
        raise
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The schema version the load recorded in ``load_log`` (``None`` when it recorded none)."""
    recorded = scalar(
        con,
        "select count(*) from duckdb_columns() where database_name = current_database() "
        "and schema_name = 'main' and table_name = 'load_log' and column_name = 'schema_version'",
    )
    return scalar(con, "select max(schema_version) from main.load_log") if recorded else None


def check_schema(version: int | None, where: str, *, remedy: str = "") -> None:
    """Refuse data of an older schema version than ``SCHEMA_VERSION`` (exit 2): it lacks what
    the metric SQL reads (the derived tables, the macros), and the load builds all of it."""
    if version is not None and version >= SCHEMA_VERSION:
        return
    raise InputError(
        f"{where}: this database was loaded by an older version of iop-metrics (schema version "
        f"{version or 0}; this one reads {SCHEMA_VERSION}): load it again with "
        f"`iop-metrics load DATA_DIR --db {where}`{remedy}"
    )
