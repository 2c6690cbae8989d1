"""SAMHSA TEDS-D public-use file -> a national and state benchmark for intensive outpatient care.

``read_teds_d`` reads the comma-delimited file, or the zip SAMHSA distributes (the CSV inside is
streamed, never extracted), one row at a time: memory stays bounded whatever the file's size.
Columns are found by name, so column order does not matter; the 2006-2014 layout (``SERVSETD``,
its own ``AGE`` codes), the 2015+ layout (``SERVICES_D``) and the 2021 text labels all read.
The result counts intensive outpatient discharges (service 6) by year, state and age group:
n, each ``REASON``'s share, completion over all discharges and length of stay in TEDS's bins.
Cells of fewer than ``MIN_CELL`` discharges are withheld; provenance names the file (sha256),
the rows read and the filters. Facts and quirks: shared/research/teds-d.md.

>>> los_code(1), los_code(30), los_code(31), los_code(90), los_code(366)
(1, 30, 31, 33, 37)
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import InputError, Violation
from .teds_codes import (
    AGE_GROUPS,
    LOS_BINS,
    REASONS,
    STATE_NAMES,
    age_group_of_code,
    is_missing_label,
    los_code,
    parse_age_label,
    parse_los_label,
    parse_mat_label,
    parse_reason_label,
    parse_service_label,
    parse_state_label,
)

__all__ = ["MIN_CELL", "los_code", "read_teds_d", "write_benchmark"]

MIN_CELL = 30
IOP = 6
NAMES = {
    "service": ("SERVICES_D", "SERVSETD"),
    "reason": ("REASON",),
    "los": ("LOS",),
    "age": ("AGE",),
    "state": ("STFIPS",),
    "year": ("DISYR",),
    "mat": ("METHUSE",),
}
MISSING = -9
UNRECOGNISED_CAP = 20
_INT = re.compile(r"-?\d+")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@contextmanager
def _open_text(path: Path) -> Iterator[tuple[io.TextIOBase, str | None]]:
    """The CSV as text (latin-1: the 2021 labels need it; codes are ASCII either way)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            members = [
                i for i in z.infolist() if i.filename.lower().endswith((".csv", ".tsv", ".txt"))
            ]
            if not members:
                raise InputError(f"{path}: the zip holds no .csv file")
            member = max(members, key=lambda i: i.file_size)
            with z.open(member) as raw:
                yield io.TextIOWrapper(raw, encoding="latin-1", newline=""), member.filename
    else:
        with open(path, encoding="latin-1", newline="") as f:
            yield f, None


def _columns(header: list[str], where: str, *, year_given: bool, include_mat: bool) -> dict:
    names = [
        h.strip().strip('"').upper().removeprefix("ï»¿").removeprefix("\ufeff") for h in header
    ]
    found: dict[str, tuple[int, str]] = {}
    for key, options in NAMES.items():
        for name in options:
            if name in names:
                found[key] = (names.index(name), name)
                break
    need = ["service", "reason", "los", "age", "state"]
    need += [] if year_given else ["year"]
    need += [] if include_mat else ["mat"]
    missing = [" or ".join(NAMES[k]) for k in need if k not in found]
    if missing:
        hint = ""
        if "METHUSE" in missing:
            hint = " (pass --include-mat to keep every intensive outpatient discharge)"
        if "DISYR" in missing:
            hint += " (pass --year to name the file's discharge year)"
        raise InputError(
            [Violation(where, 1, m, f"no such column in the header{hint}") for m in missing]
        )
    return found


class _Column:
    """One column's values -> codes, memoised (a column has few distinct values)."""

    def __init__(self, name: str, parse: Callable[[str], Any]):
        self.name, self.parse = name, parse
        self.cache: dict[str, Any] = {}
        self.unrecognised: set[str] = set()
        self.labelled = False

    def __call__(self, value: str) -> Any:
        hit = self.cache.get(value, self)
        if hit is not self:
            return hit
        text = value.strip().strip('"')
        if _INT.fullmatch(text):
            code: Any = int(text)
        else:
            code = self.parse(text)
            self.labelled = self.labelled or bool(text)
            if (
                code is None
                and not is_missing_label(text)
                and len(self.unrecognised) < UNRECOGNISED_CAP
            ):
                self.unrecognised.add(text)
        self.cache[value] = code
        return code


def _parsers() -> dict[str, _Column]:
    return {
        "service": _Column("SERVICES_D", parse_service_label),
        "reason": _Column("REASON", parse_reason_label),
        "los": _Column("LOS", parse_los_label),
        "age": _Column("AGE", parse_age_label),
        "state": _Column("STFIPS", parse_state_label),
        "year": _Column("DISYR", lambda t: None),
        "mat": _Column("METHUSE", parse_mat_label),
    }


def _age_group(value: Any, old_layout: bool) -> str | None:
    if isinstance(value, str) or value is None:
        return value
    return age_group_of_code(int(value), old_layout=old_layout)


def _state(value: Any) -> str | None:
    if value is None or (isinstance(value, int) and value <= 0):
        return None
    return f"{int(value):02d}" if isinstance(value, int) else value


def _scan(path: Path, *, year: int | None, state: str | None, include_mat: bool) -> dict[str, Any]:
    counts: Counter[tuple[int, str | None, str | None, int, int]] = Counter()
    stats = Counter[str]()
    with _open_text(path) as (text, member):
        where = f"{path.name}:{member}" if member else path.name
        first = text.readline()
        # SAMHSA's "-tsv" bundles hold comma-separated files; read a real tab-separated one too
        tabs = "\t" in first and "," not in first
        reader = csv.reader(itertools.chain([first], text), delimiter="\t" if tabs else ",")
        header = next(reader, None)
        if not header:
            raise InputError(f"{where}: the file is empty")
        found = _columns(header, where, year_given=year is not None, include_mat=include_mat)
        old = found["service"][1] == "SERVSETD"
        p = _parsers()
        idx = {k: i for k, (i, _) in found.items()}
        width = max(idx.values()) + 1
        svc, rsn, los, age = p["service"], p["reason"], p["los"], p["age"]
        st, yr, mat = p["state"], p["year"], p["mat"]
        i_svc, i_rsn, i_los, i_age, i_st = (
            idx[k] for k in ("service", "reason", "los", "age", "state")
        )
        i_yr, i_mat = idx.get("year"), idx.get("mat")
        rows = 0
        for row in reader:
            rows += 1
            if len(row) < width:
                if not row:
                    continue
                raise InputError(
                    [
                        Violation(
                            where, reader.line_num, "", f"{len(row)} fields, expected {len(header)}"
                        )
                    ]
                )
            if svc(row[i_svc]) != IOP:
                continue
            stats["rows_iop"] += 1
            y = yr(row[i_yr]) if i_yr is not None else year
            if year is not None and y != year:
                stats["rows_other_years"] += 1
                continue
            if i_mat is not None and mat(row[i_mat]) == 1:
                stats["rows_mat"] += 1
                if not include_mat:
                    continue
            s = _state(st(row[i_st]))
            r = rsn(row[i_rsn])
            r = r if isinstance(r, int) and 1 <= r <= 7 else MISSING
            lc = los(row[i_los])
            lc = lc if isinstance(lc, int) and 1 <= lc <= 37 else MISSING
            counts[
                (int(y) if y is not None else MISSING, s, _age_group(age(row[i_age]), old), r, lc)
            ] += 1
            stats["rows_used"] += 1
    labelled = svc.labelled or rsn.labelled
    layout = (
        "text labels (2021)"
        if labelled
        else "2006-2014 codes (SERVSETD)"
        if old
        else "2015+ codes (SERVICES_D)"
    )
    unrecognised = {
        c.name: sorted(c.unrecognised) for c in (svc, rsn, los, age, st, mat) if c.unrecognised
    }
    if stats["rows_iop"] == 0:
        seen = ", ".join(sorted(k.strip() for k in svc.cache)[:8])
        raise InputError(
            [
                Violation(
                    where,
                    0,
                    found["service"][1],
                    f"no intensive outpatient discharges (code 6) among {rows:,} rows",
                    seen,
                )
            ]
        )
    return {
        "counts": counts,
        "provenance": {
            "file": path.name,
            "member": member,
            "layout": layout,
            "rows_read": rows,
            "rows_iop": stats["rows_iop"],
            "rows_iop_with_mat": stats["rows_mat"],
            "rows_iop_other_years": stats["rows_other_years"],
            "rows_used": stats["rows_used"],
            "unrecognised_values": unrecognised,
        },
    }


def _cell(counts: Counter[tuple[int, int]], **key: Any) -> dict[str, Any]:
    """One (year, state, age group) cell from its (reason, los) counts."""
    n = sum(counts.values())
    cell: dict[str, Any] = {**key, "n": n, "withheld": n < MIN_CELL}
    if n < MIN_CELL:
        return {**cell, "n": None, "reasons": None, "completion_rate": None, "los": None}
    by_reason = Counter[int]()
    by_los = Counter[int]()
    for (r, lc), v in counts.items():
        by_reason[r] += v
        by_los[lc] += v
    reasons = {name: {"n": by_reason[code], "share": by_reason[code] / n} for code, name in REASONS}
    if by_reason[MISSING]:
        reasons["unknown"] = {"n": by_reason[MISSING], "share": by_reason[MISSING] / n}
    los_n = n - by_los[MISSING]
    shares = {str(c): by_los[c] / los_n for c, *_ in LOS_BINS} if los_n else {}
    median = None
    running = 0.0
    for c, *_ in LOS_BINS:
        running += shares.get(str(c), 0.0)
        if running >= 0.5 - 1e-12:
            median = c
            break
    return {
        **cell,
        "reasons": reasons,
        "completion_rate": by_reason[1] / n,
        "los": {"n": los_n, "shares": shares, "median_bin": median},
    }


def _cells(counts: Counter, state: str | None) -> list[dict[str, Any]]:
    grouped: dict[tuple[int, str | None, str], Counter[tuple[int, int]]] = {}
    for (y, s, ag, r, lc), v in counts.items():
        for where in (None, s) if s is not None else (None,):
            if where is not None and state is not None and where != state:
                continue
            for group in ("all", ag) if ag else ("all",):
                grouped.setdefault((y, where, group), Counter())[(r, lc)] += v
    out = []
    for y, s, group in sorted(grouped, key=lambda k: (k[0], k[1] or "", AGE_GROUPS.index(k[2]))):
        name = "United States" if s is None else STATE_NAMES.get(s, f"FIPS {s}")
        out.append(_cell(grouped[(y, s, group)], year=y, state=s, state_name=name, age_group=group))
    return out


def read_teds_d(
    path: str | os.PathLike[str],
    *,
    year: int | None = None,
    state: str | int | None = None,
    include_mat: bool = False,
) -> dict[str, Any]:
    """Read a TEDS-D file (CSV or zip) into the benchmark document (see the module docstring).

    ``state`` (a FIPS code) keeps that state's cells beside the nation's and names it the
    program's state; ``year`` keeps one discharge year; ``include_mat`` keeps discharges with
    medication for opioid use planned (``METHUSE`` = 1), which SAMHSA's tables leave out.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    fips = None if state in (None, "") else f"{int(state):02d}"
    if fips is not None and fips not in STATE_NAMES:
        raise InputError(f"--state {state}: not a state FIPS code (Ohio is 39)")
    scan = _scan(p, year=year, state=fips, include_mat=include_mat)
    from .. import __version__

    return {
        "source": "TEDS-D",
        "title": "SAMHSA Treatment Episode Data Set - Discharges, public-use file",
        "service": "intensive outpatient discharges (SERVICES_D / SERVSETD = 6)",
        "medication": "included"
        if include_mat
        else "excluded (METHUSE = 1), as in SAMHSA's tables",
        "age_groups": {"all": "12 and older", "adolescent": "12-17", "adult": "18 and older"},
        "min_cell": MIN_CELL,
        "program_state": fips,
        "program_state_name": STATE_NAMES.get(fips) if fips else None,
        "los_bins": [
            {"code": c, "label": lab, "low": lo, "high": hi} for c, lab, lo, hi in LOS_BINS
        ],
        "provenance": {
            **scan["provenance"],
            "sha256": _sha256(p),
            "bytes": p.stat().st_size,
            "filters": {"year": year, "state": fips, "include_mat": include_mat},
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "package_version": __version__,
        },
        "cells": _cells(scan["counts"], fips),
    }


def write_benchmark(doc: dict[str, Any], out: str | os.PathLike[str]) -> Path:
    """Write the document as JSON atomically (a temporary file, then a rename)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, target)
    return target


def latest_cell(
    doc: dict[str, Any], *, state: str | None, age_group: str = "all"
) -> dict[str, Any] | None:
    """The latest year's cell for ``state`` (None = the nation) that is not withheld."""
    cells = [
        c
        for c in doc["cells"]
        if c["state"] == state and c["age_group"] == age_group and not c["withheld"]
    ]
    return max(cells, key=lambda c: c["year"]) if cells else None


def los_label(code: int | None) -> str:
    """TEDS's label for a LOS code (``31`` -> ``31-45 days``)."""
    return next((lab for c, lab, *_ in LOS_BINS if c == code), "not known")


def describe(doc: dict[str, Any]) -> str:
    """One line per place (the program's state, then the nation) with its latest figures."""
    lines = []
    for state in (doc.get("program_state"), None) if doc.get("program_state") else (None,):
        c = latest_cell(doc, state=state)
        if c is None:
            lines.append(f"TEDS-D, {STATE_NAMES.get(state or '', 'United States')}: withheld")
            continue
        lines.append(
            f"TEDS-D {c['year']}, {c['state_name']}: {c['n']:,} intensive outpatient "
            f"discharges, {c['completion_rate']:.1%} completed, median stay "
            f"{los_label(c['los']['median_bin'])}"
        )
    return "\n".join(lines)
