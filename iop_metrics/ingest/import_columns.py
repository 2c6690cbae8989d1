"""The importer's translation of one mapped table, in DuckDB SQL: each contract column's
expression (a source column, a fixed value, a pseudonym), its codes looked up, its dates parsed
with the mapping's format, the rows ``keep`` selects, the table built, and identical client rows
collapsed. A code with no entry or a date that does not parse is a problem naming file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contract import TABLES
from ..errors import Violation
from .draft import guess_date_format
from .import_source import _Import, _q
from .mapping import ColumnMap, TableMap, shown_value
from .pseudonym import hmac_sql


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
                f"has no entry in {t.key}.columns.{col.cm.target}.codes and no `other`: "
                f"{n:,} row(s), first on this line"
            )
            shown = shown_value(value, hidden=hidden)
            where = imp.where(key // B, key % B)
            imp.problems.append(Violation(*where, col.cm.column or "", msg, shown))
            continue
        out[value] = {"to": mapped, "rows": n, **({"other": True} if unmapped else {})}
    return out


def _dates(imp: _Import, t: TableMap, cols: list[_Col], keep: str) -> None:
    """Dates that do not parse with their format: one problem per column, at its first such
    row, with how many rows fail and the format the draft would guess from their values."""
    dated = [c for c in cols if c.parsed]
    if not dated:
        return
    bad = [f"({c.source} is not null and {c.parsed} is null)" for c in dated]
    counts = ", ".join(
        f"count(*) filter (where {b}), "
        f"min(struct_pack(f := _fid, l := _line, v := {c.source})) filter (where {b})"
        for b, c in zip(bad, dated, strict=True)
    )
    (row,) = imp.sql(f"select {counts} from in_{t.name} where {keep}")
    for i, col in enumerate(dated):
        n, first = row[2 * i], row[2 * i + 1]
        if not n:
            continue
        fmt = col.cm.date_format or imp.mapping.date_format
        hidden = col.cm.target in imp.mapping.pseudonymize or col.cm.part == "year"
        four = " (with a four-digit year)" if "%Y" in fmt else ""
        values = imp.sql(
            f"select distinct {col.source} from in_{t.name} where {keep} and {bad[i]} limit 20"
        )
        guess = guess_date_format([str(v) for (v,) in values])
        count = f", first of {n:,} row(s)" if n > 1 else ""
        hint = (
            f"; they read as {guess} (the format `mapping draft` guesses): date_format = "
            f'"{guess}" in [source] or on this column'
            if guess not in ("?", fmt)
            else ""
        )
        msg = f"is not a date in the format {fmt}{four}{count}{hint}"
        where = imp.where(first["f"], first["l"])
        shown = shown_value(first["v"], hidden=hidden)
        imp.problems.append(Violation(*where, col.cm.column or "", msg, shown))


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
