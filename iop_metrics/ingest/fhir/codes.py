"""Code maps applied in SQL, and the bookkeeping every FHIR step shares.

``map_codes`` looks each resource's codings up in a ``CodeMap`` (``system|code``
before bare ``code``, the first coding that maps wins, then an optional built-in
rule, then ``other``) and returns every code it could not map once, with its
count and first place, so that nothing falls into a bucket silently.
``Tally`` counts what was read, skipped (per reason, with the first place) and
left unassigned, for ``import_report.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from ...errors import Violation
from .config import CodeMap

Mapped = tuple[list[Violation], dict[str, dict[str, int]], dict[str, int]]
_DIGITS = r"regexp_replace({x}, '(^|\|)0+([0-9])', '\1\2', 'g')"


def _norm(x: str, digits: bool) -> str:
    return _DIGITS.format(x=x) if digits else x


def map_codes(
    con: duckdb.DuckDBPyConnection,
    name: str,
    cmap: CodeMap,
    *,
    src: str,
    codings: str,
    out: str,
    fallback: str | None = None,
    digits: bool = False,
) -> Mapped:
    """Create ``out(key, loc, value, source, has_code, by_other)`` from the rows of ``src``.

    ``codings`` is a VARCHAR[] expression of ``src``; ``fallback`` an SQL
    expression over one coding ``c`` (built in, never user text); ``digits``
    drops leading zeros of numeric codes on both sides (NUBC ``"01"`` = ``"1"``).
    Returns the unmapped codes as violations, the source -> value counts, and
    the codes that only ``other`` caught.
    """
    con.execute("create or replace temp table _cm (k VARCHAR, v VARCHAR)")
    rows = [(k, v) for k, v in cmap.codes.items()]
    if rows:
        con.executemany("insert into _cm values (?, ?)", rows)
    con.execute(f"update _cm set k = {_norm('k', digits)}")
    fb = fallback or "cast(null as varchar)"
    con.execute(
        f"""
        create or replace temp table {out} as
        with s as (select key, loc, {codings} as cs from {src}),
        u as (select distinct cs from s),  -- few distinct coding lists: map each once
        c as (select cs, unnest(cs) as c, generate_subscripts(cs, 1) as pos from u),
        c2 as (select cs, pos, c, {_norm("c", digits)} as k1,
                      {_norm("substr(c, strpos(c, '|') + 1)", digits)} as k2 from c),
        cand as (select cs, pos * 2 as rank, c, _cm.v from c2 join _cm on _cm.k = c2.k1
                 union all
                 select cs, pos * 2 + 1, c, _cm.v from c2 join _cm on _cm.k = c2.k2),
        hit as (select cs, arg_min(v, rank) as v, arg_min(c, rank) as src from cand group by cs),
        fb as (select cs, arg_min(v, pos) as v, arg_min(c, pos) as src
               from (select cs, pos, c, {fb} as v from c) where v is not null group by cs)
        select s.key, s.loc,
               coalesce(cast($const as varchar), hit.v, fb.v,
                        case when len(s.cs) > 0 then cast($other as varchar) end) as value,
               coalesce(hit.src, fb.src, s.cs[1]) as source,
               len(s.cs) > 0 as has_code,
               $const is null and hit.v is null and fb.v is null and len(s.cs) > 0
                 and $other is not null as by_other
        from s left join hit on hit.cs = s.cs left join fb on fb.cs = s.cs
        """,
        {"const": cmap.value, "other": cmap.other},
    )
    unmapped = con.execute(
        f"select source, count(*), first_loc(loc) from {out} "
        f"where has_code and value is null group by source order by source"
    ).fetchall()
    problems = [
        Violation(
            str(first),
            0,
            name,
            f"code {source!r} has no entry in [fhir.{name}] codes and there is no `other` "
            f"({n} resource(s))",
        )
        for source, n, first in unmapped
    ]
    counts: dict[str, dict[str, int]] = {}
    for source, value, n in con.execute(
        f"select coalesce(source, '(none)'), coalesce(value, '(unmapped)'), count(*) "
        f"from {out} group by all order by all"
    ).fetchall():
        counts.setdefault(str(source), {})[str(value)] = int(n)
    by_other = {
        str(source): int(n)
        for source, n in con.execute(
            f"select source, count(*) from {out} where by_other group by source order by source"
        ).fetchall()
    }
    return problems, counts, by_other


@dataclass
class Tally:
    """What an import read, skipped, left unassigned and could not map, for the report."""

    read: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    unassigned: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    by_other: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, con: duckdb.DuckDBPyConnection, rtype: str, reason: str, rows: str) -> None:
        """Count the rows of the query ``rows`` (columns include ``loc``) as skipped."""
        n, first = con.execute(f"select count(*), first_loc(loc) from ({rows})").fetchall()[0]
        if n:
            self.skipped.setdefault(rtype, {})[reason] = {"count": int(n), "first": first}

    def mapped(self, name: str, result: Mapped) -> None:
        problems, counts, by_other = result
        if by_other:
            self.by_other.setdefault(name, {}).update(by_other)
        self.problems += problems
        if counts:
            self.codes.setdefault(name, {}).update(counts)


def dedupe(con: duckdb.DuckDBPyConnection, table: str, tally: Tally, rtype: str) -> str:
    """``table`` with one row per key (the first read); the rest counted as duplicates."""
    out = f"{table}_1"
    tally.skip(con, rtype, "no id", f"select loc from {table} where key is null")
    con.execute(
        f"create or replace temp table {out} as select * from {table} where key is not null "
        f"qualify row_number() over (partition by key order by rowid) = 1"
    )
    total = con.execute(f"select count(*) from {table}").fetchall()[0]
    kept = con.execute(f"select count(*) from {out}").fetchall()[0]
    read = int(total[0]) if total else 0
    tally.read[rtype] = read
    extra = read - (int(kept[0]) if kept else 0)
    if extra:
        tally.duplicates[rtype] = extra
    return out
