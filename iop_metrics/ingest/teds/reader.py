"""SAMHSA TEDS-D public-use file -> a national and state benchmark for intensive outpatient care.

``read_teds_d`` reads the comma-delimited file, or the zip SAMHSA distributes (the CSV inside is
streamed, never extracted), one row at a time: memory stays bounded whatever the file's size.
Columns are found by name, so column order does not matter; the 2006-2014 layout (``SERVSETD``,
its own ``AGE`` codes), the 2015+ layout (``SERVICES_D``) and the 2021 text labels all read.
The result counts intensive outpatient discharges (service 6) by year, state and age group:
n, each ``REASON``'s share, completion over all discharges and length of stay in TEDS's bins.
Cells of fewer than ``MIN_CELL`` discharges are withheld; provenance names the file (sha256),
the rows read and the filters. From 2015 each cell also carries the five recovery domains
admission to discharge from the ``_D`` twins (``recovery.py``); an older file says it has none.
Facts and quirks: shared/research/teds-d.md.

>>> los_code(1), los_code(30), los_code(31), los_code(90), los_code(366)
(1, 30, 31, 33, 37)
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import itertools
import json
import operator
import os
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError, Violation
from . import recovery as rec
from .cells import MIN_CELL, cells_of, describe, latest_cell
from .codes import (
    LOS_BINS,
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

__all__ = ["MIN_CELL", "describe", "latest_cell", "los_code", "read_teds_d", "write_benchmark"]

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


def _names(header: list[str]) -> list[str]:
    return [h.strip().strip('"').upper().removeprefix("ï»¿").removeprefix("\ufeff") for h in header]


def _columns(header: list[str], where: str, *, year_given: bool, include_mat: bool) -> dict:
    names = _names(header)
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


@dataclass
class _Twins:
    """The admission/discharge columns of the recovery domains the file carries (2015+).

    A domain's result is memoised by its columns' raw text (a domain has few combinations),
    so a row costs one lookup per domain."""

    domains: tuple[str, ...]
    index: dict[str, int]
    cols: dict[str, _Column]
    getters: list[tuple[Callable[[list[str]], Any], dict[Any, Any]]] = field(
        default_factory=list, init=False
    )

    def __post_init__(self) -> None:
        for d in self.domains:
            _, adm, dis = rec.COLUMNS[d]
            get = operator.itemgetter(*(self.index[c] for c in (*adm, *dis)))
            self.getters.append((get, {}))

    @classmethod
    def of(cls, header: list[str]) -> _Twins:
        names = _names(header)
        domains = rec.domains_in(names)
        index: dict[str, int] = {}
        cols: dict[str, _Column] = {}
        for d in domains:
            items, adm, dis = rec.COLUMNS[d]
            for item, a, b in zip(items, adm, dis, strict=True):
                for c in (a, b):
                    index[c] = names.index(c)
                    cols[c] = _Column(c, functools.partial(rec.parse_label, item))
        return cls(domains, index, cols)

    def pairs(self, row: list[str]) -> list[tuple[str, int, int]]:
        out = []
        for d, (get, memo) in zip(self.domains, self.getters, strict=True):
            raw = get(row)
            if raw not in memo:  # first sight of these values: read them through the parsers
                read = lambda c: self.cols[c](row[self.index[c]])  # noqa: E731
                memo[raw] = next(iter(rec.paired_values((d,), read)), None)
            if (hit := memo[raw]) is not None:
                out.append(hit)
        return out


@dataclass
class _Tally:
    """Counts of intensive outpatient discharges by (year, state, age group, reason, LOS), and
    of their paired recovery domains by (year, state, age group, domain, admission, discharge)."""

    counts: Counter[tuple[int, str | None, str | None, int, int]] = field(default_factory=Counter)
    recovery: Counter[tuple[int, str | None, str | None, str, int, int]] = field(
        default_factory=Counter
    )
    stats: Counter[str] = field(default_factory=Counter)
    rows: int = 0


def _tally(
    reader: Iterator[list[str]],
    found: dict[str, tuple[int, str]],
    cols: dict[str, _Column],
    twins: _Twins,
    *,
    where: str,
    header_width: int,
    year: int | None,
    include_mat: bool,
) -> _Tally:
    t = _Tally()
    old = found["service"][1] == "SERVSETD"
    i = {k: n for k, (n, _) in found.items()}
    width = max([*i.values(), *twins.index.values()]) + 1
    svc, rsn, los, age, st, yr, mat = (
        cols[k] for k in ("service", "reason", "los", "age", "state", "year", "mat")
    )
    i_yr, i_mat = i.get("year"), i.get("mat")
    for row in reader:
        if len(row) < width:
            if not row:
                continue  # a blank line
            line = getattr(reader, "line_num", 0)
            why = f"{len(row)} fields, the header has {header_width}"
            raise InputError([Violation(where, line, "", why)])
        t.rows += 1
        if svc(row[i["service"]]) != IOP:
            continue
        t.stats["rows_iop"] += 1
        y = yr(row[i_yr]) if i_yr is not None else year
        if year is not None and y != year:
            t.stats["rows_other_years"] += 1
            continue
        if i_mat is not None and mat(row[i_mat]) == 1:
            t.stats["rows_mat"] += 1
            if not include_mat:
                continue
        r, lc = rsn(row[i["reason"]]), los(row[i["los"]])
        key = (
            int(y) if isinstance(y, int) else MISSING,
            _state(st(row[i["state"]])),
            _age_group(age(row[i["age"]]), old),
            r if isinstance(r, int) and 1 <= r <= 7 else MISSING,
            lc if isinstance(lc, int) and 1 <= lc <= 37 else MISSING,
        )
        t.counts[key] += 1
        t.stats["rows_used"] += 1
        for d, a, b in twins.pairs(row):
            t.recovery[(*key[:3], d, a, b)] += 1
    return t


def _layout(found: dict[str, tuple[int, str]], cols: dict[str, _Column]) -> str:
    if cols["service"].labelled or cols["reason"].labelled:
        return "text labels (2021)"
    if found["service"][1] == "SERVSETD":
        return "2006-2014 codes (SERVSETD)"
    return "2015+ codes (SERVICES_D)"


def _scan(path: Path, *, year: int | None, state: str | None, include_mat: bool) -> dict[str, Any]:
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
        cols = _parsers()
        twins = _Twins.of(header)
        t = _tally(
            reader,
            found,
            cols,
            twins,
            where=where,
            header_width=len(header),
            year=year,
            include_mat=include_mat,
        )
    if t.stats["rows_iop"] == 0:
        seen = ", ".join(sorted(k.strip() for k in cols["service"].cache)[:8])
        why = f"no intensive outpatient discharges (code 6) among {t.rows:,} rows"
        raise InputError([Violation(where, 0, found["service"][1], why, seen)])
    unrecognised = [*cols.values(), *twins.cols.values()]
    return {
        "counts": t.counts,
        "recovery": t.recovery,
        "domains": twins.domains,
        "provenance": {
            "file": path.name,
            "member": member,
            "layout": _layout(found, cols),
            "rows_read": t.rows,
            "rows_iop": t.stats["rows_iop"],
            "rows_iop_with_mat": t.stats["rows_mat"],
            "rows_iop_other_years": t.stats["rows_other_years"],
            "rows_used": t.stats["rows_used"],
            "unrecognised_values": {
                c.name: sorted(c.unrecognised) for c in unrecognised if c.unrecognised
            },
        },
    }


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
    fips = None if state in (None, "") else str(state).strip().zfill(2)
    if fips is not None and fips not in STATE_NAMES:
        raise InputError(f"--state {state}: not a state FIPS code (Ohio is 39)")
    scan = _scan(p, year=year, state=fips, include_mat=include_mat)
    from ... import __version__

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
        "recovery": rec.document_block(scan["domains"]),
        "cells": cells_of(
            scan["counts"],
            fips,
            recovery=scan["recovery"] if scan["domains"] else None,
            domains=scan["domains"],
        ),
    }


def write_benchmark(doc: dict[str, Any], out: str | os.PathLike[str]) -> Path:
    """Write the document as JSON atomically (a temporary file, then a rename)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    os.replace(tmp, target)
    return target
