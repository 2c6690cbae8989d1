"""Mapping files (TOML): how one EHR's export becomes the data contract.

``read_mapping`` parses and checks a mapping against the contract before any
data is read: every key is known (an unknown one is refused by name), every
target is a contract table and column, every code maps to a contract code,
required columns are mapped. A top-level ``[fhir]`` table belongs to the FHIR
importer and is kept as is. Every option is described in ``docs/mapping.md``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import TABLES
from ..errors import InputError, Violation, toml_line
from .identifiers import IDENTIFIER_PATTERNS

SOURCE_KEYS = {"date_format", "encoding", "site", "export_date"}
PSEUDO_KEYS = {"key_file", "columns"}
TABLE_KEYS = {"file", "sheet", "drop", "keep", "columns", "teds"}
TEDS_KEYS = {"admission_date", "discharge_date", "date_format"}
COLUMN_KEYS = {"column", "codes", "other", "date_format", "part", "value", "ignore_case"}
TOP_KEYS = {"source", "pseudonymize", "tables", "fhir"}
DEFAULT_DATE_FORMAT = "%Y-%m-%d"


IDENTIFIER_NAME = re.compile(
    r"(?i)((patient|client|first|last|full|middle|member|legal|preferred)[ _]*name|^name$"
    r"|phone|fax|mobile|ssn|social security|address|street|zip|postal|e-?mail"
    r"|(^|[^a-z])mrn([^a-z]|$)|mr *#|medical record|(^|[^a-z])dob([^a-z]|$)"
    r"|birth *date|date of birth|(^|[^a-z])url([^a-z]|$)|ip address"
    # a member of staff by name ("Rendering Clinician", "Therapist"): a person's name too
    r"|(clinician|therapist|counsel+or|physician|prescriber|case manager|staff)( *name)?$)"
)


def looks_like_identifier(column: str) -> bool:
    """True when a source column's name says it holds a direct identifier.

    >>> [looks_like_identifier(c) for c in ("Patient Name", "MR #", "DOB", "Program", "Admit")]
    [True, True, True, False, False]
    >>> [looks_like_identifier(c) for c in ("Rendering Clinician", "Clinician Type", "Staff")]
    [True, False, True]
    """
    return bool(IDENTIFIER_NAME.search(column))


def shown_value(value: str | None, *, hidden: bool) -> str | None:
    """A source value fit for an error message: None when it may identify someone."""
    if hidden or value is None:
        return None
    # The person's-name pattern is left out: labels such as "No Show" would match it.
    if any(re.search(p, value) for _, p, id_only in IDENTIFIER_PATTERNS if not id_only):
        return None
    return value


@dataclass(frozen=True)
class ColumnMap:
    """How one contract column is filled: from ``column`` (through ``codes``), or a ``value``."""

    target: str
    column: str | None = None
    codes: dict[str, str] | None = None
    other: str | None = None
    date_format: str | None = None
    part: str | None = None
    value: str | None = None
    ignore_case: bool = False


@dataclass(frozen=True)
class TableMap:
    name: str
    file: str
    sheet: str | None
    drop: tuple[str, ...]
    keep: dict[str, tuple[str, ...]]
    columns: dict[str, ColumnMap]
    teds: dict[str, str] | None = None  # noms from a state-submission extract (import_teds)
    where: str = ""  # the mapping's name of this source: tables.<name>, or tables.noms[i]

    @property
    def key(self) -> str:
        return self.where or f"tables.{self.name}"

    def source_columns(self) -> set[str]:
        """The source columns this table reads (mapped or used by ``keep``)."""
        used = {c.column for c in self.columns.values() if c.column}
        if self.teds is not None:
            from .teds_layout import teds_columns

            used |= teds_columns(self.teds)
        return used | set(self.keep)


@dataclass(frozen=True)
class Mapping:
    path: Path
    sha256: str
    date_format: str
    encoding: str
    site: str | None
    key_file: Path | None
    pseudonymize: tuple[str, ...]
    tables: dict[str, tuple[TableMap, ...]]  # each table's sources (several only for noms)
    fhir: dict[str, Any] = field(default_factory=dict)
    export_date: str | None = None  # "modified" or YYYY-MM-DD: the day the export was taken

    def sources(self) -> list[TableMap]:
        """Every source of every table, in the mapping's order."""
        return [t for sources in self.tables.values() for t in sources]


class _Problems:
    """The mapping's problems, each at the line of the mapping file where its key is set."""

    def __init__(self, path: Path, text: str):
        self.path, self.text = str(path), text
        self.items: list[Violation] = []

    def add(self, where: str, message: str, *, at: str | None = None) -> None:
        line = toml_line(self.text, at or where)
        self.items.append(Violation(self.path, line, where, message))

    def unknown(self, where: str, got: dict[str, Any], allowed: set[str]) -> None:
        for k in sorted(set(got) - allowed):
            msg = f"unknown key {k!r} (allowed: {', '.join(sorted(allowed))})"
            self.add(where, msg, at=f"{where}.{k}" if where else k)


def _str(p: _Problems, where: str, v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    p.add(where, "must be a string")
    return None


def _strings(p: _Problems, where: str, v: Any) -> tuple[str, ...]:
    if v is None:
        return ()
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return tuple(v)
    p.add(where, "must be a list of strings")
    return ()


def _column(p: _Problems, table: str, target: str, spec: Any, *, at: str) -> ColumnMap | None:
    where = f"{at}.columns.{target}"
    if isinstance(spec, str):
        spec = {"column": spec}
    if not isinstance(spec, dict):
        p.add(where, "must be a source column name or a table")
        return None
    p.unknown(where, spec, COLUMN_KEYS)
    column, value = _str(p, where, spec.get("column")), spec.get("value")
    if (column is None) == (value is None):
        p.add(where, "needs exactly one of `column` or `value`")
    codes = spec.get("codes")
    if codes is not None and not (
        isinstance(codes, dict) and all(isinstance(v, str) for v in codes.values())
    ):
        p.add(where, "codes must map source values to contract codes (strings)")
        codes = None
    part = _str(p, where, spec.get("part"))
    if part not in (None, "year"):
        p.add(where, f"part {part!r}: only `year` is known")
    contract = TABLES[table].column(target)
    allowed = contract.codes
    other = _str(p, where, spec.get("other"))
    for label, v in [*(codes or {}).items(), ("other", other)]:
        if allowed and v is not None and v not in allowed:
            p.add(where, f"{label!r} maps to {v!r}, not one of {', '.join(allowed)}")
    return ColumnMap(
        target=target,
        column=column,
        codes={k.strip(): v for k, v in codes.items()} if codes is not None else None,
        other=other,
        date_format=_str(p, where, spec.get("date_format")),
        part=part,
        value=None if value is None else str(value),
        ignore_case=bool(spec.get("ignore_case", False)),
    )


def _table(p: _Problems, name: str, spec: Any, *, site: str | None, where: str) -> TableMap | None:
    if name not in TABLES:
        p.add(where, f"is not a table of the data contract ({', '.join(TABLES)})")
        return None
    if not isinstance(spec, dict):
        p.add(where, "must be a table")
        return None
    p.unknown(where, spec, TABLE_KEYS)
    file = _str(p, where + ".file", spec.get("file"))
    if not file:
        p.add(where, "needs `file` (a glob in the export folder)")
    keep_spec = spec.get("keep", {})
    keep: dict[str, tuple[str, ...]] = {}
    if isinstance(keep_spec, dict):
        keep = {k: _strings(p, f"{where}.keep.{k}", v) for k, v in keep_spec.items()}
    else:
        p.add(where + ".keep", "must map source columns to the values to keep")
    columns: dict[str, ColumnMap] = {}
    cols = spec.get("columns", {})
    if not isinstance(cols, dict):
        p.add(where + ".columns", "must be a table")
        cols = {}
    contract = TABLES[name]
    for target, cspec in cols.items():
        if target not in contract.column_names:
            p.add(f"{where}.columns.{target}", f"is not a column of {name}")
            continue
        cm = _column(p, name, target, cspec, at=where)
        if cm:
            columns[target] = cm
    if name == "episodes" and "site" not in columns and site:
        columns["site"] = ColumnMap(target="site", value=site)
    teds = _teds(p, name, spec.get("teds"), columns, at=where)
    for c in contract.columns:
        made = teds is not None and c.name != "episode_id"  # the layout makes the others
        if c.required and c.name not in columns and not made:
            p.add(f"{where}.columns", f"required column {c.name} is not mapped")
    return TableMap(
        name=name,
        file=file or "",
        sheet=_str(p, where + ".sheet", spec.get("sheet")),
        drop=_strings(p, where + ".drop", spec.get("drop")),
        keep=keep,
        columns=columns,
        teds=teds,
        where=where,
    )


def _teds(
    p: _Problems, name: str, spec: Any, columns: dict[str, ColumnMap], *, at: str
) -> dict | None:
    """``[tables.noms.teds]``: the extract's two date columns (and their format), checked."""
    if spec is None:
        return None
    where = f"{at}.teds"
    if name != "noms" or not isinstance(spec, dict):
        p.add(where, "is a table that only `tables.noms` takes (a state-submission extract)")
        return None
    p.unknown(where, spec, TEDS_KEYS)
    out = {k: v for k in TEDS_KEYS if (v := _str(p, f"{where}.{k}", spec.get(k))) is not None}
    for k in ("admission_date", "discharge_date"):
        if k not in out:
            p.add(where, f"needs `{k}` (the source column of the {k.split('_')[0]} date)")
    for target in sorted(set(columns) - {"episode_id"}):
        p.add(
            f"{at}.columns.{target}",
            "is filled from the TEDS columns in a teds layout; map only episode_id",
        )
    return out


SEVERAL = "noms"  # the table that may have several sources: a state extract and a call log


def _sources(p: _Problems, name: str, spec: Any, *, site: str | None) -> tuple[TableMap, ...]:
    """A table's sources: ``[tables.<name>]``, or for noms an array ``[[tables.noms]]`` of them
    (each in the same format, e.g. the state-submission extract and a follow-up call log)."""
    if not isinstance(spec, list):
        t = _table(p, name, spec, site=site, where=f"tables.{name}")
        return (t,) if t else ()
    if name != SEVERAL:
        p.add(f"tables.{name}", f"is given more than once; only tables.{SEVERAL} takes a list")
        return ()
    found = [_table(p, name, s, site=site, where=f"tables.{name}[{i}]") for i, s in enumerate(spec)]
    return tuple(t for t in found if t)


def read_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Parse and check a mapping file; every problem is listed in one ``InputError``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.toml"
    >>> _ = p.write_text('[tables.clients]\\nfile = "c.csv"\\ncolor = 1\\n'
    ...                  '[tables.clients.columns]\\nclient_id = "MR #"\\n')
    >>> read_mapping(p)
    Traceback (most recent call last):
    ...
    iop_metrics.errors.InputError: ...m.toml:3: tables.clients: unknown key 'color' (allowed: ...)
    """
    src = Path(path)
    try:
        raw = src.read_bytes()
        text = raw.decode("utf-8-sig")
        doc = tomllib.loads(text)
    except FileNotFoundError:
        raise InputError(f"{src}: mapping file not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{src}: cannot be read as TOML: {exc}") from None
    p = _Problems(src, text)
    p.unknown("", doc, TOP_KEYS)
    source = doc.get("source", {})
    p.unknown("source", source, SOURCE_KEYS)
    pseudo = doc.get("pseudonymize", {})
    p.unknown("pseudonymize", pseudo, PSEUDO_KEYS)
    site = _str(p, "source.site", source.get("site"))
    tables = {}
    for name, spec in doc.get("tables", {}).items():
        sources = _sources(p, name, spec, site=site)
        if sources:
            tables[name] = sources
    if not tables and "fhir" not in doc:
        p.add("tables", "no table is mapped")
    key_file = _str(p, "pseudonymize.key_file", pseudo.get("key_file"))
    pseudonymize = _strings(p, "pseudonymize.columns", pseudo.get("columns"))
    if pseudonymize and not key_file:
        p.add("pseudonymize", "columns are listed but no key_file is given")
    if key_file == "?":
        p.add(
            "pseudonymize.key_file",
            'is still "?" from the draft: make a key with `iop-metrics keygen PATH` (outside the '
            "export and the repository) and give its path here",
        )
    taken = source.get("export_date")  # a TOML date (2026-11-01) or a string
    where = "source.export_date"
    taken = taken.isoformat() if isinstance(taken, dt.date) else _str(p, where, taken)
    if taken is not None and taken != "modified":
        try:
            dt.date.fromisoformat(taken)
        except ValueError:
            p.add(
                "source.export_date",
                f'must be "modified" (the newest file\'s date) or a date YYYY-MM-DD, not {taken!r}',
            )
    if p.items:
        raise InputError(p.items)
    key_path = None
    if key_file:
        key_path = Path(key_file).expanduser()
        if not key_path.is_absolute():  # relative to the mapping file, not the working folder
            key_path = src.parent / key_path
    return Mapping(
        path=src,
        sha256=hashlib.sha256(raw).hexdigest(),
        date_format=_str(p, "source.date_format", source.get("date_format")) or DEFAULT_DATE_FORMAT,
        encoding=_str(p, "source.encoding", source.get("encoding")) or "auto",
        site=site,
        key_file=key_path,
        pseudonymize=pseudonymize,
        tables=tables,
        fhir=doc.get("fhir", {}),
        export_date=taken,
    )
