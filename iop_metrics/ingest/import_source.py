"""The importer's sources: an export's files staged in DuckDB (``src_<n>``, every cell as text,
``_line`` kept), the files of one table joined in view ``in_<table>``, and every source column
accounted for (mapped, used by ``keep`` or dropped; an identifier-looking column never written).
Problems are collected in ``_Import.problems`` with file, line and column, never a value.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from ..errors import Violation
from .mapping import Mapping, TableMap, looks_like_identifier
from .readers import stage_file


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
        imp.problems.append(Violation(str(imp.mapping.path), 0, f"{t.key}.file", msg))
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
    for other in imp.mapping.sources():
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
        msg = f"is named in {t.key} of the mapping but is not in the file{hint}"
        imp.problems.append(Violation(first, 1, c, msg))
    for c in loose:
        if c not in meant:
            msg = f"is not mapped, used by keep or listed in drop ({t.key})"
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
