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


def connect(db: str | os.PathLike[str], *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the loaded database; a missing file is bad input (exit 2), not a new empty database."""
    path = Path(db)
    if not path.is_file():
        raise InputError(
            f"{path}: no database here; build one with `iop-metrics load DATA_DIR --db {path}`"
        )
    return duckdb.connect(str(path), read_only=read_only)
