"""Small DuckDB helpers shared by the loader and the metrics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from .errors import InputError


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> Any:
    """The single value a query returns (``None`` when it returns no row)."""
    row = con.execute(sql, params or {}).fetchone()
    return None if row is None else row[0]


def connect(db: str | os.PathLike[str], *, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the loaded database; a missing file is bad input (exit 2), not a new empty database."""
    path = Path(db)
    if not path.is_file():
        raise InputError(
            f"{path}: no database here; build one with `iop-metrics load DATA_DIR --db {path}`"
        )
    return duckdb.connect(str(path), read_only=read_only)
