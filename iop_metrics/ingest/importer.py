"""An EHR export + a mapping file -> contract tables (in DuckDB SQL) -> a validated contract folder.

Nothing is guessed: every source column is mapped, used by ``keep`` or
dropped; every code has an entry (or the mapping says ``other``); every date
parses with its format. All problems are listed with ``file:line: column``,
never with an identifier's value. Pseudonyms are HMAC-SHA256 of the source
value with the key file, computed in SQL. The key is read before anything is
written, and a refused import writes nothing.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..contract import TABLES
from ..errors import InputError, Violation
from .load import LoadSummary
from .mapping import ColumnMap, Mapping, TableMap, read_mapping
from .pseudonym import hmac_params, hmac_sql, read_key
from .readers import stage_file
from .writer import write_contract_folder

IMPORT_MEMORY_LIMIT = "2GB"
LISTED_PER_COLUMN = 100
IDENTIFIER_NAME = re.compile(
    r"(?i)((patient|client|first|last|full|middle|member|legal|preferred)[ _]*name|^name$"
    r"|phone|fax|mobile|ssn|social security|address|street|zip|postal|e-?mail"
    r"|(^|[^a-z])mrn([^a-z]|$)|mr *#|medical record|(^|[^a-z])dob([^a-z]|$)"
    r"|birth *date|date of birth|(^|[^a-z])url([^a-z]|$)|ip address)"
)


def looks_like_identifier(column: str) -> bool:
    """True when a source column's name says it holds a direct identifier.

    >>> [looks_like_identifier(c) for c in ("Patient Name", "MR #", "DOB", "Program", "Admit")]
    [True, True, True, False, False]
    """
    return bool(IDENTIFIER_NAME.search(column))


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
    for c in header:
        if c not in accounted:
            msg = f"is not mapped, used by keep or listed in drop (tables.{t.name})"
            imp.problems.append(Violation(first, 1, c, msg))
    for c in sorted((used | dropped) - have):
        msg = f"is named in tables.{t.name} of the mapping but is not in the file"
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
        fmt = cm.date_format or imp.mapping.date_format
        col.parsed = f"try_strptime({v}, {imp.param(fmt)})"
        if cm.part == "year":
            col.expr = f"cast(year({col.parsed}) as varchar)"
        else:
            col.expr = f"strftime({col.parsed}, '%Y-%m-%d')"
    if cm.target in imp.mapping.pseudonymize:
        col.expr = hmac_sql(f"({col.expr})")
    return col


def _keep(imp: _Import, t: TableMap) -> str:
    conds = [
        f"coalesce(list_contains({imp.param(list(vals))}, nullif(trim({_q(c)}), '')), false)"
        for c, vals in t.keep.items()
    ]
    return " and ".join(conds) or "true"


def _codes(imp: _Import, t: TableMap, col: _Col, keep: str) -> dict[str, Any]:
    """Counts per source value -> contract value; unmapped values become problems."""
    rows = imp.sql(
        f"select {col.source}, {col.expr}, {col.lookup} is null, count(*), "
        f"arg_min(_fid, _fid * 1099511627776 + _line), min(_fid * 1099511627776 + _line) "
        f"from in_{t.name} where {keep} and {col.source} is not null group by all order by 4 desc"
    )
    hidden = col.cm.target in imp.mapping.pseudonymize
    out: dict[str, Any] = {}
    for value, mapped, unmapped, n, fid, key in rows:
        if unmapped and col.cm.other is None:
            msg = (
                f"has no entry in tables.{t.name}.columns.{col.cm.target}.codes and no `other`: "
                f"{n:,} row(s), first on this line"
            )
            where = imp.where(fid, key % 1099511627776)
            shown = None if hidden else value
            imp.problems.append(Violation(*where, col.cm.column or "", msg, shown))
            continue
        out[value] = {"to": mapped, "rows": n, **({"other": True} if unmapped else {})}
    return out


def _dates(imp: _Import, t: TableMap, col: _Col, keep: str) -> None:
    rows = imp.sql(
        f"select _fid, _line, {col.source} from in_{t.name} where {keep} and {col.source} is not "
        f"null and {col.parsed} is null order by _fid, _line limit {LISTED_PER_COLUMN + 1}"
    )
    fmt = col.cm.date_format or imp.mapping.date_format
    hidden = col.cm.target in imp.mapping.pseudonymize or col.cm.part == "year"
    for fid, line, value in rows[:LISTED_PER_COLUMN]:
        msg = f"is not a date in the format {fmt}"
        imp.problems.append(
            Violation(*imp.where(fid, line), col.cm.column or "", msg, None if hidden else value)
        )
    if len(rows) > LISTED_PER_COLUMN:
        msg = f"more dates that do not parse with {fmt} (the first {LISTED_PER_COLUMN} are listed)"
        imp.problems.append(Violation(imp.files[rows[0][0]], 0, col.cm.column or "", msg))


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
    codes: dict[str, Any] = {}
    for col in cols:
        if col.lookup:
            codes[col.cm.target] = _codes(imp, t, col, keep)
        if col.parsed:
            _dates(imp, t, col, keep)
    select = ", ".join(f"{c.expr} as {_q(c.cm.target)}" for c in cols)
    imp.sql(
        f"create or replace temp table {t.name} as select {select}, _fid, _line "
        f"from in_{t.name} where {keep}"
    )
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
    for name in ("clients", "episodes", "sessions", "assessments", "levels_of_care"):
        if name in mapping.tables:
            out = _table(imp, mapping.tables[name])
            if out is not None:
                report["tables"][name] = out
    if imp.problems:
        raise InputError(sorted(set(imp.problems)))
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
) -> tuple[dict[str, Any], LoadSummary]:
    """Import ``export_dir`` through ``mapping`` into the contract folder ``out_dir``.

    Returns the import report (also written as ``import_report.json``) and the
    loader's summary of the folder. Raises ``InputError`` and writes nothing
    when the mapping, the key or the data is refused.
    """
    m = mapping if isinstance(mapping, Mapping) else read_mapping(mapping)
    key = _key(m)  # a missing key stops the import before anything is read or written
    with tempfile.TemporaryDirectory(prefix="iop-import-") as spill:
        con = duckdb.connect(config={"memory_limit": IMPORT_MEMORY_LIMIT, "temp_directory": spill})
        try:
            con.execute("set enable_progress_bar = false")
            report = build_tables(con, Path(export_dir), m, key)
            summary = write_contract_folder(con, out_dir, fmt=fmt, report=report)
        finally:
            con.close()
    return report, summary
