"""A state-submission extract (one row per episode, TEDS-named columns) -> ``noms`` rows.

``[tables.noms.teds]`` in a mapping says the table's file is laid out as a program's TEDS
submission: each source row becomes an ``admission`` row (FREQ1, EMPLOY/DETNLF, LIVARAG,
ARRESTS, FREQ_ATND_SELF_HELP, dated ``admission_date``) and, when ``discharge_date`` is given,
a ``discharge`` row (the ``_D`` twins). TEDS's codes are translated here, once, to the
contract's (recovery.md); -9 (and a raw submission's 97 unknown / 98 not collected) is empty.
FREQ1's 2 ("some use", the public file's level for 1-3 times a month .. 3-6 times a week)
becomes ``1_3_month``, the lowest of the three: the figures read only the three TEDS levels, so
no figure depends on it, and a five-level breakdown of such rows never shows more use than
was recorded. EMPLOY 4 (not in the labour force) is read with DETNLF; with DETNLF unknown the
employment is empty. A value that is not a TEDS code is a problem naming file, line, column
and value. The discharge rows carry their source line under the file's name with
"(discharge columns)", so a later contract check points at the right half of the row.
"""

from __future__ import annotations

from typing import Any

from .import_columns import _column, _dates, _keep, _skipped
from .import_source import _Import, _q
from .mapping import ColumnMap, TableMap
from .teds_layout import CODES, DATE_KEYS, MISSING

DISCHARGE_FILE = "{} (discharge columns)"


def _value(src: str) -> str:
    return f"case when trim({_q(src)}) in {MISSING} then null else nullif(trim({_q(src)}), '') end"


def _coded(imp: _Import, src: str, base: str) -> str:
    codes = CODES[base]
    look = f"map_extract_value(map({imp.param(list(codes))}, {imp.param(list(codes.values()))}),"
    return f"nullif({look} {_value(src)}), '')"


def _items(imp: _Import, suffix: str) -> str:
    e, d = f"EMPLOY{suffix}", f"DETNLF{suffix}"
    employment = (
        f"case when {_value(e)} = '4' then {_coded(imp, d, 'DETNLF')} "
        f"else {_coded(imp, e, 'EMPLOY')} end"
    )
    return ", ".join(
        [
            f"{_coded(imp, 'FREQ1' + suffix, 'FREQ1')} as use_frequency",
            f"{employment} as employment",
            f"{_coded(imp, 'LIVARAG' + suffix, 'LIVARAG')} as living",
            f"{_value('ARRESTS' + suffix)} as arrests",
            f"{_coded(imp, 'FREQ_ATND_SELF_HELP' + suffix, 'FREQ_ATND_SELF_HELP')} as self_help",
        ]
    )


def _bad_codes(imp: _Import, t: TableMap, keep: str) -> None:
    """Values of a coded TEDS column that are no TEDS code: file, line, column, value."""
    from ..errors import Violation

    for base, codes in CODES.items():
        allowed = (*codes, *MISSING)
        for src in (base, f"{base}_D"):
            rows = imp.sql(
                f"select _fid, _line, trim({_q(src)}) from in_{t.name} where {keep} and "
                f"nullif(trim({_q(src)}), '') is not null and trim({_q(src)}) not in {allowed} "
                "order by _fid, _line limit 100"
            )
            for fid, line, value in rows:
                msg = f"is not a TEDS code of {base} ({', '.join(allowed)})"
                imp.problems.append(Violation(*imp.where(fid, line), src, msg, value))


def _code_counts(imp: _Import, t: TableMap, keep: str) -> dict[str, Any]:
    """Rows per value of each coded TEDS column and what it became (the import report's codes;
    an empty ``to`` is not collected, EMPLOY 4 is read with DETNLF)."""
    out: dict[str, Any] = {}
    for base, codes in CODES.items():
        for src in (base, f"{base}_D"):
            rows = imp.sql(
                f"select trim({_q(src)}) v, count(*) from in_{t.name} where {keep} and "
                f"nullif(trim({_q(src)}), '') is not null group by v order by 2 desc, 1"
            )
            to = {**codes, **({"4": "(by DETNLF)"} if base == "EMPLOY" else {})}
            out[src] = {v: {"to": to.get(v, ""), "rows": int(n)} for v, n in rows}
    return out


def build_teds(imp: _Import, t: TableMap, names: list[str]) -> dict[str, Any] | None:
    """Create temp table ``noms`` (two rows per source row) from the staged ``in_noms``."""
    assert t.teds is not None
    keep = _keep(imp, t)
    episode = _column(imp, t, t.columns["episode_id"])
    fmt = t.teds.get("date_format")
    dates = [
        _column(imp, t, ColumnMap(target="collected_on", column=t.teds[k], date_format=fmt))
        for k in DATE_KEYS
    ]
    _dates(imp, t, dates, keep)
    _bad_codes(imp, t, keep)
    if imp.problems:
        return None
    fids = [imp.files.index(n) for n in names]
    halves = []
    for fid in fids:
        halves.append(len(imp.files))
        imp.files.append(DISCHARGE_FILE.format(imp.files[fid]))
    discharge_fid = f"map_extract_value(map({imp.param(fids)}, {imp.param(halves)}), _fid)"
    admitted, discharged = (d.expr for d in dates)
    imp.sql(
        f"create or replace temp table {t.name} as "
        f"select {episode.expr} as episode_id, 'admission' as time_point, "
        f"{admitted} as collected_on, null::varchar as contact, {_items(imp, '')}, "
        f"_fid, _line from in_{t.name} where {keep} "
        f"union all select {episode.expr}, 'discharge', {discharged}, null, "
        f"{_items(imp, '_D')}, {discharge_fid}, _line from in_{t.name} "
        f"where {keep} and {dates[1].source} is not null"
    )
    read = imp.sql(f"select count(*) from in_{t.name}")[0][0]
    return {
        "files": names,
        "layout": "teds",
        "rows_read": int(read),
        "rows_skipped": _skipped(imp, t),
        "rows_collapsed": 0,
        "rows_written": int(imp.sql(f"select count(*) from {t.name}")[0][0]),
        "columns": {"episode_id": t.columns["episode_id"].column, **t.teds},
        "constants": {},
        "dropped": list(t.drop),
        "pseudonymized": ["episode_id"] if "episode_id" in imp.mapping.pseudonymize else [],
        "codes": _code_counts(imp, t, keep),
    }
