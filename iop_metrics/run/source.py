"""The data a run reads: the export loaded into the database, the snapshot pinned, the period
it reports (asked for, else the latest complete month) and whether the data covers it.

Each step is checked before anything is rendered: a period or level the data cannot give
is bad input (exit 2), said against the run's config file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import WriteError
from ..periods import Period
from .config import RunConfig


def run_period(config: RunConfig, override: str | None, today: dt.date, db: Path) -> Period:
    """``--period``, else the config's period, else the latest complete month in the data."""
    from ..compute.query import latest_complete_month
    from ..db import connect
    from ..periods import parse_period

    text = override or config.period
    if text:
        return parse_period(text, today=today)
    con = connect(db)
    try:
        return latest_complete_month(con)
    finally:
        con.close()


def check_run_coverage(
    db: Path, period: Period, config: RunConfig, *, allow_empty: bool, allow_partial: bool = False
) -> str | None:
    """A period the data does not cover (before it begins, after it ends: a stale export, or
    reaching past its end without ``allow_partial``), or a level of care the data does not
    know, is an error (exit 2). Returns the date the data ends when the period, allowed,
    reaches past it (the run's line and the index say so), else ``None``."""
    from ..compute.coverage import check_period, data_end
    from ..db import connect

    con = connect(db)
    try:
        check_levels(con, config)
        check_period(
            con,
            period,
            source=str(config.export),
            allow_empty=allow_empty,
            allow_partial=allow_partial,
        )
        end = data_end(con)
    finally:
        con.close()
    return end.last.isoformat() if end is not None and end.shortens(period.end) else None


def check_levels(con: Any, config: RunConfig) -> None:
    """The config's levels of care are codes of the database's levels table (exit 2 else)."""
    from ..compute.coverage import check_scope

    where = f"{config.path}: reports.levels: "
    check_scope(con, site=None, track=None, levels=config.levels, source=str(config.db), flag=where)


def requested_label(config: RunConfig, override: str | None, today: dt.date) -> str | None:
    """The label of the period asked for (``--period``, else the config's), checked before
    anything is loaded (a bad one is exit 2); ``None`` when the data will say (latest month)."""
    from ..periods import parse_period

    text = override or config.period
    return parse_period(text, today=today).label if text else None


def load_export(
    config: RunConfig, *, wait: float = 0.0, log: Callable[[str], None] | None = None
) -> Any:
    """Load the export into ``config.db`` atomically; with a mapping, through the importer.
    ``data.export_date = "modified"`` records the day of the export's newest file as the day
    it was taken (else the mapping's ``source.export_date`` does, or nothing)."""
    from ..ingest.importer import export_taken

    q = config.quarantine
    taken = export_taken(config.export_date, config.export)
    if config.mapping is not None:
        from ..ingest.importer import load_mapped

        return load_mapped(
            config.export,
            config.db,
            config.mapping,
            quarantine=q,
            wait=wait,
            log=log,
            export_date=taken,
        )
    from ..ingest.load import load

    return load(
        config.export,
        config.db,
        quarantine=q,
        ignore=config.ignore,
        wait=wait,
        log=log,
        export_date=taken,
    )


def pin_snapshot(db: Path, folder: Path) -> Path:
    """A hard link to the loaded database (a copy across file systems): the run's snapshot."""
    folder.mkdir(parents=True, exist_ok=True)
    pinned = folder / "snapshot.duckdb"
    pinned.unlink(missing_ok=True)
    try:
        os.link(db, pinned)
    except OSError:
        try:
            shutil.copyfile(db, pinned)
        except OSError as exc:
            pinned.unlink(missing_ok=True)
            raise WriteError.of(
                exc,
                pinned,
                writing="the run's snapshot (a copy: the reports folder is on another file "
                "system than the database, so no hard link)",
                needed=db.stat().st_size,
                kept="nothing was rendered",
            ) from None
    return pinned


def snapshot_id(db: Path) -> str | None:
    from ..compute.engine import DuckDBEngine
    from ..db import connect

    con = connect(db)
    try:
        return DuckDBEngine(con).query("load_provenance", {}).records()[0]["snapshot"]
    finally:
        con.close()
