"""The run's TOML config file, read strictly.

Every path is resolved relative to the config file; every key is known or refused
with its line (``iop-metrics.toml:7: reports.site: unknown key``); every value is
checked for its type and range, so a scheduled run fails at once, with exit 2,
instead of after an hour of rendering.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "export").mkdir()
>>> _ = (d / "run.toml").write_text('[data]\\nexport = "export"\\n[reports]\\nsites = "each"\\n')
>>> c = read_config(d / "run.toml")
>>> c.export == d / "export", c.sites, c.audiences, c.suppress
(True, 'each', ('internal', 'external'), 11)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contract import DEFAULT_LEVELS, FOLDER_CODE
from ..errors import InputError, Violation, toml_line
from ..periods import parse_period
from ..report.markup import PAPERS

AUDIENCES = ("internal", "external")
FORMATS = ("html", "pdf")
SITE_CODE = FOLDER_CODE
KIND_NAMES = {int: "an integer", str: "a string", bool: "true or false", list: "a list"}
KEYS: dict[str, tuple[str, ...]] = {
    "data": ("export", "mapping", "db", "quarantine", "export_date", "ignore"),
    "reports": (
        "period",
        "out",
        "levels",
        "sites",
        "audiences",
        "suppress",
        "formats",
        "benchmark",
        "program",
        "paper",
    ),
}


@dataclass(frozen=True)
class RunConfig:
    """What a scheduled run does; paths absolute, values checked."""

    path: Path
    sha256: str
    export: Path
    mapping: Path | None
    db: Path
    quarantine: bool
    period: str
    out: Path
    levels: tuple[str, ...] | None
    sites: str | tuple[str, ...]
    audiences: tuple[str, ...]
    suppress: int
    formats: tuple[str, ...]
    formats_given: bool
    benchmark: Path | None
    program: str | None = None  # the program's name, shown in each report's header
    paper: str = "letter"  # the PDF's page size: letter or a4
    export_date: str | None = None  # "modified": the export's newest file's day, in load_log
    ignore: tuple[str, ...] = ()  # files of the export folder that are no contract table's


def _line_of(text: str, table: str, key: str) -> int:
    """The line where ``key`` is set inside ``[table]`` (or as ``table.key``), 0 if not found."""
    return toml_line(text, f"{table}.{key}" if table else key)


class _Reader:
    def __init__(self, path: Path, text: str, doc: dict[str, Any]):
        self.path, self.text, self.doc = path, text, doc
        self.problems: list[Violation] = []

    def bad(self, table: str, key: str, message: str, value: Any = None) -> None:
        where = f"{table}.{key}" if table else key
        shown = None if value is None else repr(value)
        self.problems.append(
            Violation(str(self.path), _line_of(self.text, table, key), where, message, shown)
        )

    def get(self, table: str, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.doc.get(table, {}).get(key, default)
        if value is default:
            return value
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            kinds = kind if isinstance(kind, tuple) else (kind,)
            names = " or ".join(KIND_NAMES.get(k, k.__name__) for k in kinds)
            self.bad(table, key, f"must be {names}", value)
            return default
        return value

    def path_of(
        self, table: str, key: str, *, must_exist: bool, default: str | None
    ) -> Path | None:
        value = self.get(table, key, str, default)
        if value is None:
            return None
        p = (self.path.parent / value).resolve()
        if must_exist and not p.exists():
            self.bad(table, key, f"no such file or folder: {p}", value)
        return p

    def unknown_keys(self) -> None:
        for table, body in self.doc.items():
            if table not in KEYS:
                self.bad("", table, "unknown table (known: [data], [reports])")
                continue
            if not isinstance(body, dict):
                self.bad("", table, "must be a table like [data]")
                continue
            for key in body:
                if key not in KEYS[table]:
                    self.bad(table, key, f"unknown key (known: {', '.join(KEYS[table])})")

    def str_list(self, table: str, key: str, allowed: tuple[str, ...], default: tuple[str, ...]):
        value = self.get(table, key, list, None)
        if value is None:
            return default
        wrong = [v for v in value if v not in allowed]
        if wrong or not value or len(set(value)) != len(value):
            self.bad(table, key, f"must be a non-empty list of {', '.join(allowed)}", value)
            return default
        return tuple(value)


def _sites(r: _Reader) -> str | tuple[str, ...]:
    value = r.get("reports", "sites", (str, list), "all")
    if isinstance(value, str):
        if value not in ("each", "all"):
            r.bad("reports", "sites", 'must be "each", "all" or a list of site codes', value)
            return "all"
        return value
    bad = [v for v in value if not isinstance(v, str) or not SITE_CODE.match(v)]
    if bad or not value or len(set(value)) != len(value):
        r.bad("reports", "sites", 'a list of distinct site codes (letters, digits, ".-_")', value)
        return "all"
    return tuple(value)


def read_config(path: str | Path) -> RunConfig:
    """Read and check the run config at ``path``; ``InputError`` lists every problem."""
    p = Path(path).resolve()
    if not p.is_file():
        raise InputError(f"{path}: no config file here")
    raw = p.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{p}: not valid TOML: {exc}") from None
    r = _Reader(p, text, doc)
    r.unknown_keys()
    if "export" not in doc.get("data", {}):
        r.bad("data", "export", "is required (the folder to load)")
    export = r.path_of("data", "export", must_exist=True, default=None)
    mapping = r.path_of("data", "mapping", must_exist=True, default=None)
    db = r.path_of("data", "db", must_exist=False, default="data/iop.duckdb")
    quarantine = r.get("data", "quarantine", bool, False)
    export_date = r.get("data", "export_date", str, None)
    if export_date not in (None, "modified"):
        r.bad("data", "export_date", '"modified" is the one value (the day the newest file of '
              "the export was written); a fixed date is for `iop-metrics load --export-date`",
              export_date)  # fmt: skip
    ignore = r.get("data", "ignore", list, [])
    if not all(isinstance(v, str) and v for v in ignore):
        r.bad("data", "ignore", "must be a list of file names in the export folder", ignore)
        ignore = []
    period = r.get("reports", "period", str, "")
    if period:
        try:  # the label only: last-month is resolved against the run's date later
            parse_period(period, today=dt.date(2000, 1, 1))
        except InputError as exc:
            r.bad("reports", "period", str(exc))
    out = r.path_of("reports", "out", must_exist=False, default="reports")
    levels = r.get("reports", "levels", list, list(DEFAULT_LEVELS or ()))
    if not levels or not all(isinstance(v, str) and v for v in levels):
        r.bad("reports", "levels", "must be a non-empty list of level codes", levels)
    suppress = r.get("reports", "suppress", int, 11)
    if suppress < 2:
        r.bad("reports", "suppress", "must be 2 or more (CMS: 11)", suppress)
    formats_given = "formats" in doc.get("reports", {})
    program = r.get("reports", "program", str, None)
    if program is not None and not program.strip():
        r.bad("reports", "program", "must name the program (or leave the key out)", program)
    paper = r.get("reports", "paper", str, "letter")
    if paper.lower() not in PAPERS:
        r.bad("reports", "paper", f"must be {' or '.join(PAPERS)}", paper)
    config = RunConfig(
        path=p,
        sha256=hashlib.sha256(raw).hexdigest(),
        export=export or p.parent,
        mapping=mapping,
        db=db or p.parent / "data/iop.duckdb",
        quarantine=quarantine,
        period=period,
        out=out or p.parent / "reports",
        levels=tuple(levels),
        sites=_sites(r),
        audiences=r.str_list("reports", "audiences", AUDIENCES, AUDIENCES),
        suppress=suppress,
        formats=r.str_list("reports", "formats", FORMATS, FORMATS),
        formats_given=formats_given,
        benchmark=r.path_of("reports", "benchmark", must_exist=True, default=None),
        program=program.strip() if program and program.strip() else None,
        paper=paper.lower() if paper.lower() in PAPERS else "letter",
        export_date=export_date if export_date == "modified" else None,
        ignore=tuple(ignore),
    )
    if r.problems:
        raise InputError(sorted(r.problems, key=lambda v: v.line))
    return config
