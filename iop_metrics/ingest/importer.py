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
import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..contract import TABLES
from ..errors import InputError, Violation, WriteError
from ..locks import hold
from ..scratch import beside, remove, sweep_beside
from .mapping import ColumnMap, Mapping, TableMap, looks_like_identifier, read_mapping, shown_value
from .pseudonym import hmac_params, hmac_sql, read_key
from .readers import stage_file
from .writer import KEPT, SCRATCH, write_contract_folder

IMPORT_MEMORY_LIMIT = "1400MB"  # DuckDB's buffers; the process stays under ~2 GB
LISTED_PER_COLUMN = 100


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Import:
    con: duckdb.DuckDBPyConnection
    export_dir: Path
    mapping: Mapping
    params: dict[str, Any] = field(default_factory=dict)
    staged: dict[Path, tuple[int, list[str]]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[Violation] = field(default_factory=list)

    def param(self, value: Any) -> str:
        name = f"m{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def sql(self, sql: str) -> list[tuple[Any, ...]]:
        names = set(re.findall(r"\$(\w+)", sql))
        used = {k: v for k, v in self.params.items() if k in names}
        return self.con.execute(sql, used).fetchall()

    def where(self, fid: int, line: int) -> tuple[str, int]:
        return self.files[fid], line


def _stage(imp: _Import, t: TableMap) -> tuple[list[str], list[str]] | None:
    """Stage the table's files and define view ``in_<table>``; returns (header, file names)."""
    paths = sorted(p for p in imp.export_dir.glob(t.file) if p.is_file())
    if not paths:
        msg = f"no file in {imp.export_dir} matches {t.file!r}"
        imp.problems.append(Violation(str(imp.mapping.path), 0, f"tables.{t.name}.file", msg))
        return None
    parts, names, header = [], [], None
    for p in paths:
        if p not in imp.staged:
            fid = len(imp.files)
            imp.files.append(str(p.relative_to(imp.export_dir)))
            cols, bad = stage_file(
                imp.con, p, f"src_{fid}", encoding=imp.mapping.encoding, sheet=t.sheet
            )
            for v in bad:
                imp.problems.append(Violation(imp.files[fid], v.line, v.column, v.message))
            twice = sorted({c for c in cols if cols.count(c) > 1})
            for c in twice:
                imp.problems.append(Violation(imp.files[fid], 1, c, "column appears twice"))
            imp.staged[p] = (fid, cols)
        fid, cols = imp.staged[p]
        names.append(imp.files[fid])
        if header is None:
            header = cols
        elif set(cols) != set(header):
            msg = f"has other columns than {names[0]} (files of one table must agree)"
            imp.problems.append(Violation(imp.files[fid], 1, "", msg))
            return None
        parts.append(f"select * exclude (_line), _line, {fid} as _fid from src_{fid}")
    union = " union all by name ".join(parts)
    imp.con.execute(f"create or replace temp view in_{t.name} as {union}")
    return header or [], names


def _accounted(imp: _Import, t: TableMap) -> set[str]:
    """Columns accounted for in ``t``'s files: by ``t`` or another table reading the same file."""
    mine = set(imp.export_dir.glob(t.file))
    out: set[str] = set()
    for other in imp.mapping.tables.values():
        if mine & set(imp.export_dir.glob(other.file)):
            out |= other.source_columns() | set(other.drop)
    return out


def _account(imp: _Import, t: TableMap, header: list[str], first: str) -> None:
    """Every source column mapped, kept or dropped; identifier-looking ones never written."""
    used, dropped, have = t.source_columns(), set(t.drop), set(header)
    accounted = _accounted(imp, t)
    loose = [c for c in header if c not in accounted]

    def close(name: str) -> list[str]:
        return difflib.get_close_matches(name, loose, n=1, cutoff=0.8)

    # a loose column that a misspelt name in the mapping (of any table reading this file)
    # probably means is named in that name's error, not listed again as not mapped
    meant = {m for c in accounted - have for m in close(c)}
    for c in sorted((used | dropped) - have):
        hint = f"; did you mean {close(c)[0]!r}?" if close(c) else ""
        msg = f"is named in tables.{t.name} of the mapping but is not in the file{hint}"
        imp.problems.append(Violation(first, 1, c, msg))
    for c in loose:
        if c not in meant:
            msg = f"is not mapped, used by keep or listed in drop (tables.{t.name})"
            imp.problems.append(Violation(first, 1, c, msg))
    for cm in t.columns.values():
        if cm.column and looks_like_identifier(cm.column):
            if cm.target in imp.mapping.pseudonymize or cm.part == "year":
                continue
            msg = (
                f"looks like an identifier column and would be written to {t.name}.{cm.target}; "
                "refused (list it in drop, or pseudonymize the contract column)"
            )
            imp.problems.append(Violation(first, 1, cm.column, msg))


@dataclass
class _Col:
    cm: ColumnMap
    expr: str
    source: str | None = None
    lookup: str | None = None  # the code lookup, null when unmapped
    parsed: str | None = None  # the parsed date, null when bad
    pre: str | None = None  # the value before pseudonymization


def _column(imp: _Import, t: TableMap, cm: ColumnMap) -> _Col:
    if cm.value is not None:
        return _Col(cm, f"cast({imp.param(cm.value)} as varchar)")
    assert cm.column is not None
    v = f"nullif(trim({_q(cm.column)}), '')"
    col = _Col(cm, v, source=v)
    kind = TABLES[t.name].column(cm.target).kind
    if cm.codes is not None:
        keys = [k.lower() if cm.ignore_case else k for k in cm.codes]
        look = f"lower({v})" if cm.ignore_case else v
        col.lookup = (
            f"map_extract_value(map({imp.param(keys)}, {imp.param(list(cm.codes.values()))}), "
            f"{look})"
        )
        col.expr = col.lookup
        if cm.other is not None:
            col.expr = f"coalesce({col.lookup}, case when {v} is not null then "
            col.expr += f"{imp.param(cm.other)} end)"
    elif cm.date_format or cm.part or kind == "date":
        col.parsed = _parsed_date(imp, v, cm.date_format or imp.mapping.date_format)
        if cm.part == "year":
            col.expr = f"cast(year({col.parsed}) as varchar)"
        else:
            col.expr = f"strftime({col.parsed}, '%Y-%m-%d')"
    if cm.target in imp.mapping.pseudonymize:
        col.pre = col.expr
        col.expr = hmac_sql(f"({col.expr})")
    return col


XLSX_DATE_CELL = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S")  # how readers.stage_xlsx writes a date cell


def _parsed_date(imp: _Import, v: str, fmt: str) -> str:
    """SQL for the date in text ``v`` (null when it does not parse).

    With ``%Y`` a year must have four digits: DuckDB reads ``10/19/26`` as the year 26, which is
    refused here. A value of an ``.xlsx`` file in the form a date cell is read as (ISO) is a date
    whatever ``fmt`` says for text cells."""
    parsed = f"try_strptime({v}, {imp.param(fmt)})"
    if "%Y" in fmt:
        parsed = f"case when year({parsed}) >= 1000 then {parsed} end"
    xlsx = [fid for fid, name in enumerate(imp.files) if name.lower().endswith(".xlsx")]
    if xlsx:
        cell = f"try_strptime({v}, {imp.param(list(XLSX_DATE_CELL))})"
        parsed = (
            f"coalesce({parsed}, case when _fid in ({', '.join(map(str, xlsx))}) then {cell} end)"
        )
    return parsed


def _keep(imp: _Import, t: TableMap) -> str:
    conds = [
        f"coalesce(list_contains({imp.param(list(vals))}, nullif(trim({_q(c)}), '')), false)"
        for c, vals in t.keep.items()
    ]
    return " and ".join(conds) or "true"


B = 1099511627776  # 2**40: _fid * B + _line orders rows by file, then line


def _codes(imp: _Import, t: TableMap, cols: list[_Col], keep: str) -> dict[str, Any]:
    """Counts per source value -> contract value, in one pass; unmapped values are problems."""
    coded = [c for c in cols if c.lookup]
    sources = sorted({c.cm.column for c in coded if c.cm.column})
    if not sources:
        return {}
    inner = ", ".join(f"nullif(trim({_q(s)}), '') as {_q(s)}" for s in sources)
    sets = ", ".join(f"({_q(s)})" for s in sources)
    flags = ", ".join(f"grouping({_q(s)}) as _g{i}" for i, s in enumerate(sources))
    imp.sql(
        f"create or replace temp table _counts as select {', '.join(_q(s) for s in sources)}, "
        f"count(*) as _n, min(_fid * {B} + _line) as _k, {flags} from (select {inner}, _fid, "
        f"_line from in_{t.name} where {keep}) group by grouping sets ({sets})"
    )
    out: dict[str, Any] = {}
    for col in coded:
        i = sources.index(col.cm.column or "")
        rows = imp.sql(
            f"select {col.source}, {col.expr}, {col.lookup} is null, _n, _k from _counts "
            f"where _g{i} = 0 and {col.source} is not null order by _n desc, 1"
        )
        out[col.cm.target] = _code_counts(imp, t, col, rows)
    imp.con.execute("drop table _counts")
    return out


def _code_counts(imp: _Import, t: TableMap, col: _Col, rows: list[tuple[Any, ...]]) -> dict:
    hidden = col.cm.target in imp.mapping.pseudonymize
    out: dict[str, Any] = {}
    for value, mapped, unmapped, n, key in rows:
        if unmapped and col.cm.other is None:
            msg = (
                f"has no entry in tables.{t.name}.columns.{col.cm.target}.codes and no `other`: "
                f"{n:,} row(s), first on this line"
            )
            shown = shown_value(value, hidden=hidden)
            where = imp.where(key // B, key % B)
            imp.problems.append(Violation(*where, col.cm.column or "", msg, shown))
            continue
        out[value] = {"to": mapped, "rows": n, **({"other": True} if unmapped else {})}
    return out


def _dates(imp: _Import, t: TableMap, cols: list[_Col], keep: str) -> None:
    """Dates that do not parse with their format, in one pass (the first 100 per column)."""
    dated = [c for c in cols if c.parsed]
    if not dated:
        return
    bad = [f"({c.source} is not null and {c.parsed} is null)" for c in dated]
    rows = imp.sql(
        f"select _fid, _line, {', '.join(bad)}, {', '.join(c.source or '' for c in dated)} "
        f"from in_{t.name} where {keep} and ({' or '.join(bad)}) "
        f"order by _fid, _line limit {LISTED_PER_COLUMN * len(dated) + 1}"
    )
    for i, col in enumerate(dated):
        fmt = col.cm.date_format or imp.mapping.date_format
        hidden = col.cm.target in imp.mapping.pseudonymize or col.cm.part == "year"
        mine = [(r[0], r[1], r[2 + len(dated) + i]) for r in rows if r[2 + i]]
        four = " (with a four-digit year)" if "%Y" in fmt else ""
        for fid, line, value in mine[:LISTED_PER_COLUMN]:
            msg = f"is not a date in the format {fmt}{four}"
            where = imp.where(fid, line)
            imp.problems.append(
                Violation(*where, col.cm.column or "", msg, shown_value(value, hidden=hidden))
            )
        if len(mine) > LISTED_PER_COLUMN:
            msg = f"more dates that do not parse with {fmt} (the first {LISTED_PER_COLUMN} listed)"
            imp.problems.append(Violation(imp.files[mine[0][0]], 0, col.cm.column or "", msg))


def _build(imp: _Import, t: TableMap, cols: list[_Col], keep: str) -> None:
    """Create the contract table. Pseudonyms of a repeated column (not the table's key) are
    computed once per distinct value and joined, instead of once per row."""
    select, joins = [], []
    for i, c in enumerate(cols):
        if c.pre is not None and c.cm.target != TABLES[t.name].key:
            lookup = f"_ps_{t.name}_{i}"
            imp.sql(
                f"create or replace temp table {lookup} as select _pv, {hmac_sql('_pv')} as _pp "
                f"from (select distinct {c.pre} as _pv from in_{t.name} where {keep})"
            )
            joins.append(f"left join {lookup} on {lookup}._pv = {c.pre}")
            select.append(f"{lookup}._pp as {_q(c.cm.target)}")
        else:
            select.append(f"{c.expr} as {_q(c.cm.target)}")
    imp.sql(
        f"create or replace temp table {t.name} as select {', '.join(select)}, _fid, _line "
        f"from in_{t.name} {' '.join(joins)} where {keep}"
    )
    for i in range(len(cols)):
        imp.con.execute(f"drop table if exists _ps_{t.name}_{i}")


def _skipped(imp: _Import, t: TableMap) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for c, vals in t.keep.items():
        v = f"nullif(trim({_q(c)}), '')"
        rows = imp.sql(
            f"select coalesce({v}, ''), count(*) from in_{t.name} where not "
            f"coalesce(list_contains({imp.param(list(vals))}, {v}), false) "
            "group by 1 order by 2 desc"
        )
        out[c] = {str(k): int(n) for k, n in rows}
    return out


def _collapse_clients(imp: _Import, cols: list[str]) -> int:
    """Identical client rows become one; rows for one client that disagree are problems."""
    listed = ", ".join(_q(c) for c in cols)
    before = imp.sql("select count(*) from clients")[0][0]
    imp.con.execute(
        f"create or replace temp table clients as select * from (select *, row_number() over "
        f"(partition by {listed} order by _fid, _line) as _rn from clients) where _rn = 1"
    )
    imp.con.execute("alter table clients drop column _rn")
    clashes = imp.sql(
        "select list(_fid order by _fid, _line)[1:2], list(_line order by _fid, _line)[1:2] "
        "from clients group by client_id having count(*) > 1 order by 1, 2"
    )
    for fids, lines in clashes:
        first = imp.where(fids[0], lines[0])
        msg = (
            f"a second row for the client of {first[0]}:{first[1]} that disagrees with it "
            "(rows for one client must be identical)"
        )
        imp.problems.append(Violation(*imp.where(fids[1], lines[1]), "client_id", msg))
    return int(before - imp.sql("select count(*) from clients")[0][0])


def _table(imp: _Import, t: TableMap) -> dict[str, Any] | None:
    staged = _stage(imp, t)
    if staged is None:
        return None
    header, names = staged
    _account(imp, t, header, names[0])
    if imp.problems:
        return None
    keep = _keep(imp, t)
    cols = [_column(imp, t, cm) for cm in t.columns.values()]
    codes = _codes(imp, t, cols, keep)
    _dates(imp, t, cols, keep)
    if imp.problems:
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
    for name in ("clients", "episodes", "sessions", "assessments", "levels_of_care", "instruments"):
        if name in mapping.tables:
            out = _table(imp, mapping.tables[name])
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


def load_mapped(
    export_dir: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    mapping: str | os.PathLike[str],
    *,
    quarantine: bool = False,
    wait: float = 0.0,
    log: Callable[[str], None] | None = None,
) -> Any:
    """Import ``export_dir`` through ``mapping`` into a scratch folder, then ``load`` it atomically.

    The mapping's sha256 and the import report are recorded in ``load_log``; on
    ``InputError`` nothing is written and the previous database stays as it was.
    Returns the loader's ``LoadSummary``.
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
            summary = load(contract / "contract", target, quarantine=quarantine, imported=imported)
        finally:
            remove(contract)
    for name, table in report["tables"].items():  # the export's files, not the scratch folder's
        summary.files[name] = ", ".join(table["files"])
    return summary
