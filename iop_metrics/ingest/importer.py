"""An EHR export + a mapping file -> contract tables (in DuckDB SQL) -> a validated contract folder.

Nothing is guessed: every source column is mapped, used by ``keep`` or
dropped; every code has an entry (or the mapping says ``other``); every date
parses with its format. All problems are listed with ``file:line: column``,
never with an identifier's value. Pseudonyms are HMAC-SHA256 of the source
value with the key file, computed in SQL. The key is read before anything is
written, and a refused import writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError, Violation, WriteError
from ..locks import hold
from ..scratch import beside, remove, sweep_beside
from .import_columns import (
    _build,
    _codes,
    _collapse_clients,
    _column,
    _dates,
    _keep,
    _skipped,
)
from .import_source import _account, _Import, _stage
from .import_teds import build_teds
from .mapping import Mapping, TableMap, read_mapping
from .pseudonym import hmac_params, read_key
from .writer import KEPT, SCRATCH, write_contract_folder

IMPORT_MEMORY_LIMIT = "1400MB"  # DuckDB's buffers; the process stays under ~2 GB


def _table(imp: _Import, t: TableMap) -> dict[str, Any] | None:
    # each table is checked whatever an earlier one's problems, so all are listed in one go
    before = len(imp.problems)
    staged = _stage(imp, t)
    if staged is None:
        return None
    header, names = staged
    _account(imp, t, header, names[0])
    if len(imp.problems) > before:
        return None
    if t.teds is not None:
        return build_teds(imp, t, names)
    keep = _keep(imp, t)
    cols = [_column(imp, t, cm) for cm in t.columns.values()]
    codes = _codes(imp, t, cols, keep)
    _dates(imp, t, cols, keep)
    if len(imp.problems) > before:
        return None
    _build(imp, t, cols, keep)
    read = imp.sql(f"select count(*) from in_{t.name}")[0][0]
    collapsed = _collapse_clients(imp, [c.cm.target for c in cols]) if t.name == "clients" else 0
    return {
        "files": names,
        "rows_read": int(read),
        "rows_skipped": _skipped(imp, t),
        "rows_collapsed": collapsed,
        "rows_written": int(imp.sql(f"select count(*) from {t.name}")[0][0]),
        "columns": {c.cm.target: c.cm.column for c in cols if c.cm.column},
        "constants": {c.cm.target: c.cm.value for c in cols if c.cm.value is not None},
        "dropped": list(t.drop),
        "pseudonymized": [c.cm.target for c in cols if c.cm.target in imp.mapping.pseudonymize],
        "codes": codes,
    }


def _several(imp: _Import, name: str, sources: tuple[TableMap, ...]) -> dict[str, Any] | None:
    """A table fed by several sources (noms: a state extract and a call log): each is built as
    one table would be, in turn, then their rows are put together; each row keeps its own file
    and line. The import report sums the sources and lists each under ``sources``."""
    if len(sources) == 1:
        return _table(imp, sources[0])
    parts, earlier = [], imp.problems
    for i, t in enumerate(sources):
        imp.problems = []  # each source is checked whatever an earlier one's problems
        out = _table(imp, t)
        if out is not None:
            imp.con.execute(f"alter table {name} rename to _{name}_{i}")
            parts.append((f"_{name}_{i}", out))
        earlier += imp.problems
    imp.problems = earlier
    if imp.problems:
        return None
    union = " union all by name ".join(f"select * from {p}" for p, _ in parts)
    imp.con.execute(f"create or replace temp table {name} as {union}")
    for part, _ in parts:
        imp.con.execute(f"drop table {part}")
    return _summed([out for _, out in parts])


def _summed(outs: list[dict[str, Any]]) -> dict[str, Any]:
    """One import-report entry for a table's several sources (counts added, codes side by side;
    a coded column named by two sources is listed under its name and the second's file)."""
    skipped: dict[str, dict[str, int]] = {}
    codes: dict[str, Any] = {}
    for out in outs:
        for column, values in out["rows_skipped"].items():
            for v, n in values.items():
                skipped.setdefault(column, {})[v] = skipped.get(column, {}).get(v, 0) + n
        for column, counts in out["codes"].items():
            codes[column if column not in codes else f"{column} ({out['files'][0]})"] = counts
    return {
        "files": [f for out in outs for f in out["files"]],
        **{k: sum(out[k] for out in outs) for k in ("rows_read", "rows_collapsed", "rows_written")},
        "rows_skipped": skipped,
        "dropped": sorted({c for out in outs for c in out["dropped"]}),
        "pseudonymized": sorted({c for out in outs for c in out["pseudonymized"]}),
        "codes": codes,
        "sources": outs,
    }


def _drop_sources(imp: _Import) -> None:
    """Free the staged export once the contract tables are built."""
    for name in imp.mapping.tables:
        imp.con.execute(f"drop view if exists in_{name}")
    for fid in range(len(imp.files)):
        for kind, table in (
            ("view", f"src_{fid}"),
            ("table", f"src_{fid}"),
            ("table", f"_csv_src_{fid}"),
        ):
            with contextlib.suppress(duckdb.CatalogException):
                imp.con.execute(f"drop {kind} if exists {table}")


def build_tables(
    con: duckdb.DuckDBPyConnection, export_dir: Path, mapping: Mapping, key: bytes | None
) -> dict[str, Any]:
    """Create the contract tables of ``mapping`` in ``con``; returns the import report."""
    if not export_dir.is_dir():
        raise InputError([Violation(str(export_dir), 0, "", "is not a folder")])
    imp = _Import(con, export_dir, mapping)
    if key is not None:
        imp.params.update(hmac_params(key))
    report: dict[str, Any] = {
        "mapping": {"file": mapping.path.name, "sha256": mapping.sha256},
        "tables": {},
    }
    for name in (
        "clients",
        "episodes",
        "sessions",
        "assessments",
        "noms",
        "levels_of_care",
        "instruments",
    ):
        if name in mapping.tables:
            out = _several(imp, name, mapping.tables[name])
            if out is not None:
                report["tables"][name] = out
    if imp.problems:
        raise InputError(sorted(set(imp.problems)))
    _drop_sources(imp)
    con.execute("create or replace temp table _origin_files (fid integer, name varchar)")
    con.executemany("insert into _origin_files values (?, ?)", list(enumerate(imp.files)))
    return report


def _key(mapping: Mapping) -> bytes | None:
    if not mapping.pseudonymize:
        return None
    assert mapping.key_file is not None
    return read_key(mapping.key_file)


def import_export(
    export_dir: str | os.PathLike[str],
    mapping: str | os.PathLike[str] | Mapping,
    out_dir: str | os.PathLike[str],
    *,
    fmt: str = "csv",
) -> tuple[dict[str, Any], dict[str, int]]:
    """Import ``export_dir`` through ``mapping`` into the contract folder ``out_dir``.

    Returns the import report (also written as ``import_report.json``) and the
    rows written per table. Raises ``InputError`` and writes nothing
    when the mapping, the key or the data is refused.
    """
    m = mapping if isinstance(mapping, Mapping) else read_mapping(mapping)
    key = _key(m)  # a missing key stops the import before anything is read or written
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    sweep_beside(out, SCRATCH, locked=False)
    spill = beside(out, "spill")
    con = duckdb.connect(config={"memory_limit": IMPORT_MEMORY_LIMIT, "temp_directory": str(spill)})
    try:
        con.execute("set enable_progress_bar = false")
        report = build_tables(con, Path(export_dir), m, key)
        written = write_contract_folder(con, out, fmt=fmt, report=report)
    except (duckdb.IOException, duckdb.OutOfMemoryException) as exc:  # the spill filled a disk
        raise WriteError.of(
            exc, spill, writing="the import's spill", kept=KEPT.format(out)
        ) from None
    finally:
        con.close()
        remove(spill)
    return report, written


def export_taken(how: str | None, export_dir: Path) -> dt.date | None:
    """The day the export was taken as ``how`` (the mapping's ``source.export_date``, a run
    config's ``data.export_date``) says: a date, or ``"modified"``, the day the newest of the
    export's files was last written (the files' modification times in local time: copy them
    keeping their times, ``cp -p``)."""
    if how is None:
        return None
    if how != "modified":
        return dt.date.fromisoformat(how)
    times = [f.stat().st_mtime for f in export_dir.rglob("*") if f.is_file()]
    return dt.datetime.fromtimestamp(max(times)).date() if times else None


def load_mapped(
    export_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    mapping: str | os.PathLike[str],
    *,
    quarantine: bool = False,
    wait: float = 0.0,
    log: Callable[[str], None] | None = None,
    export_date: dt.date | None = None,
) -> Any:
    """Import ``export_dir`` through ``mapping`` into a scratch folder, then ``load`` it atomically.

    The mapping's sha256 and the import report are recorded in ``load_log``, with the day the
    export was taken: ``export_date``, else as the mapping's ``source.export_date`` says
    (``export_taken``); on ``InputError`` nothing is written and the previous database stays
    as it was. Returns the loader's ``LoadSummary``.
    """
    import json

    from .load import load, lock_path, record_errors, sweep

    target = Path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with hold(lock_path(target), what=f"load {export_dir} into {target}", wait=wait, log=log):
        contract = beside(target, "import")  # swept by the next load when this one is killed
        sweep(target)
        try:
            try:
                report, _ = import_export(export_dir, mapping, contract / "contract")
            except InputError as exc:  # every problem in <db>.errors.txt, as a load does
                with contextlib.suppress(OSError):
                    record_errors(target, exc)
                raise
            imported = (report["mapping"]["sha256"], json.dumps(report))
            taken = export_date or export_taken(read_mapping(mapping).export_date, Path(export_dir))
            summary = load(
                contract / "contract",
                target,
                quarantine=quarantine,
                imported=imported,
                export_date=taken,
            )
        finally:
            remove(contract)
    for name, table in report["tables"].items():  # the export's files, not the scratch folder's
        summary.files[name] = ", ".join(table["files"])
    return summary
