"""Write the loaded, validated tables of a database as Parquet, one folder per table.

Loading and validation stay on DuckDB; ``export`` hands their result to a distributed engine
(``--engine spark --data-path DIR``): ``DIR/<table>/part-0.parquet`` for each canonical table
and for the load records (``load_log``, ``rejected_rows``) the report shows. A table's folder is
written beside its final place and renamed into it, so a reader never sees half a table.

>>> import tempfile, pathlib
>>> from iop_metrics.ingest.sample import example_connection
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> written = export_connection(example_connection(), out)
>>> written["episodes"], sorted(p.name for p in (out / "episodes").iterdir())
(5, ['part-0.parquet'])
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from ..contract import EXPORTED_TABLES as TABLES


def export_connection(
    con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str]
) -> dict[str, int]:
    """Write every table of ``TABLES`` and the derived tables under ``out``; returns the rows
    written per table."""
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    written = {}
    from ..compute.derived import TABLES as DERIVED

    sources = {t: f"select * from main.{t}" for t in (*TABLES, *DERIVED)}
    for table, source in sources.items():
        final, partial = root / table, root / f".{table}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        target = str(partial / "part-0.parquet").replace("'", "''")
        # COPY answers with the rows it wrote
        written[table] = con.execute(f"copy ({source}) to '{target}' (format parquet)").fetchall()[
            0
        ][0]
        shutil.rmtree(final, ignore_errors=True)
        partial.rename(final)
    return written


def export(db: str | os.PathLike[str], out: str | os.PathLike[str]) -> dict[str, int]:
    """Export the loaded database file ``db`` (opened read-only) to Parquet folders in ``out``."""
    from ..db import connect

    con = connect(db, read_only=True)
    try:
        return export_connection(con, out)
    finally:
        con.close()
