"""The ``[fhir]`` table of a mapping file: which FHIR codes mean which contract values.

FHIR R4 leaves level of care, discharge reason, service type and payer open, so
each is a *code map*: ``codes`` (coding -> contract value), an optional
``other`` for anything else and an optional ``value`` (a constant). A coding is
matched by ``"system|code"`` first, then by the bare ``"code"``. Unknown keys
are refused by name, values are checked against the contract's code lists, and
nothing here touches data. Keys (all optional)::

    [fhir]
    as_of = "2026-10-31"     # when the export was taken (default: the latest date in it)

    [fhir.instruments]       # Observation.code codings -> instrument (LOINC defaults stay)
    codes = { "http://example.org/forms|WHO5" = "WHO-5" }
    [[fhir.instruments.define]]  # an instrument beyond the built-in ones (contract columns)
    code = "WHO-5"           # name, min_score, max_score, lower_is_better, caseness, ...

    [fhir.level_of_care]     # EpisodeOfCare.type codings
    [fhir.track]             # EpisodeOfCare.type codings the level of care does not name
    [fhir.service_type]      # Encounter serviceType/type, Appointment serviceType/appointmentType
    [fhir.payer]             # Coverage.type codings, then Coverage.payor display
    [fhir.site]              # EpisodeOfCare.managingOrganization id (absent -> "main")
    [fhir.cancellation]      # Appointment.cancelationReason beyond the pat*/prov* rule
    [fhir.discharge_reason]  # source = "disposition" | "episode-type" | "extension" (+ url)
                             # missing = value for a closed episode with no reason given
    [fhir.derive_episodes]   # codes = [...], gap_days = 14, level_of_care = "2.1"

The older form ``instruments = { "44261-6" = "PHQ-9" }`` (LOINC codes; it replaces the
defaults) is still read.

>>> cfg = parse_config({"service_type": {"codes": {"GRP": "group"}, "other": "other"}})
>>> cfg.maps["service_type"].codes, cfg.maps["service_type"].other
({'GRP': 'group'}, 'other')
>>> try:
...     parse_config({"colour": 1})
... except InputError as exc:
...     print(str(exc)[:28])
[fhir]: unknown key "colour"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ...contract import (
    BUILTIN_INSTRUMENTS,
    BUILTIN_LEVELS,
    DISCHARGE_REASONS,
    PAYERS,
    SERVICE_TYPES,
    STATUSES,
    Instrument,
)
from ...errors import InputError, Violation
from ..mapping import read_mapping
from ..pseudonym import read_key

BHA_LEVELS = "http://bha.colorado.gov/fhir/bha-ig/CodeSystem/bha-asam-level-of-care-cs"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
NUBC = "http://www.nubc.org/patient-discharge"
SOPT = ("https://nahdo.org/sopt", "urn:oid:2.16.840.1.113883.3.221.5")
LOINC = "http://loinc.org"
# Observation.code codings -> instrument ("system|code" or a bare code), LOINC by default
DEFAULT_INSTRUMENTS = {
    f"{LOINC}|44261-6": "PHQ-9",  # PHQ-9 total score
    f"{LOINC}|70274-6": "GAD-7",  # GAD-7 total score
    f"{LOINC}|89204-2": "PHQ-9",  # PHQ-9 modified total score (what Synthea emits)
}
DISCHARGE_SOURCES = ("disposition", "episode-type", "extension")

_MAP_KEYS = {"codes", "other", "value"}
_ALLOWED: dict[str, tuple[str, ...] | None] = {
    "level_of_care": None,  # any level code; the contract check compares with levels_of_care
    "service_type": SERVICE_TYPES,
    "payer": PAYERS,
    "site": None,
    "track": None,  # free text in the contract (the identifier guard still checks it)
    "cancellation": tuple(s for s in STATUSES if s.startswith("cancelled")),
    "discharge_reason": DISCHARGE_REASONS,
}
_TOP = {"as_of", "instruments", "derive_episodes", *_ALLOWED}


@dataclass(frozen=True)
class CodeMap:
    """Source coding -> contract value; ``other`` catches the rest, ``value`` overrides all."""

    codes: dict[str, str] = field(default_factory=dict)
    other: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Derive:
    """How to build episodes from encounters when the export has no EpisodeOfCare."""

    codes: tuple[str, ...]
    gap_days: int
    level_of_care: str


@dataclass(frozen=True)
class FhirConfig:
    maps: dict[str, CodeMap]
    instruments: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_INSTRUMENTS))
    definitions: tuple[Instrument, ...] = ()  # [[fhir.instruments.define]]: the instruments table
    as_of: dt.date | None = None
    discharge_source: str = "disposition"
    discharge_url: str | None = None
    discharge_missing: str | None = None
    derive: Derive | None = None


def _fail(where: str, message: str) -> InputError:
    return InputError([Violation(where, 0, "", message)])


def _unknown(where: str, got: dict[str, Any], known: set[str]) -> None:
    for k in got:
        if k not in known:
            listed = ", ".join(sorted(known))
            raise _fail(where, f'unknown key "{k}" (known: {listed})')


def _value(where: str, v: Any, allowed: tuple[str, ...] | None) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(where, f"must be a non-empty string, not {v!r}")
    if allowed is not None and v not in allowed:
        raise _fail(where, f"{v!r} is not one of {', '.join(allowed)}")
    return v


def _codemap(name: str, raw: Any, extra: set[str] = frozenset()) -> CodeMap:  # type: ignore[assignment]
    where = f"[fhir.{name}]"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    _unknown(where, raw, _MAP_KEYS | extra)
    allowed = _ALLOWED[name]
    codes_raw = raw.get("codes", {})
    if not isinstance(codes_raw, dict):
        raise _fail(f"{where} codes", "must be a table of source code = contract value")
    codes = {str(k).strip(): _value(f"{where} codes.{k}", v, allowed) for k, v in codes_raw.items()}
    other = _value(f"{where} other", raw["other"], allowed) if "other" in raw else None
    value = _value(f"{where} value", raw["value"], allowed) if "value" in raw else None
    return CodeMap(codes, other, value)


def _defaults() -> dict[str, CodeMap]:
    levels = {f"{BHA_LEVELS}|{code}": code for code, *_ in BUILTIN_LEVELS}
    reasons = {
        f"{DISPOSITION}|aadvice": "dropped_out",
        f"{DISPOSITION}|exp": "died",
        f"{NUBC}|7": "dropped_out",
        f"{NUBC}|20": "died",
    }
    return {
        "level_of_care": CodeMap(levels),
        "service_type": CodeMap(),
        "payer": CodeMap(),
        "site": CodeMap(),
        "track": CodeMap(),
        "cancellation": CodeMap(),
        "discharge_reason": CodeMap(reasons),
    }


def _derive(raw: Any) -> Derive:
    where = "[fhir.derive_episodes]"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    _unknown(where, raw, {"codes", "gap_days", "level_of_care"})
    codes = raw.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        raise _fail(
            f"{where} codes",
            'must list the codings that mark an IOP encounter ("system|code" or "code")',
        )
    gap = raw.get("gap_days")
    if not isinstance(gap, int) or isinstance(gap, bool) or not 1 <= gap <= 365:
        raise _fail(f"{where} gap_days", "must be a whole number of days, 1..365")
    level = _value(f"{where} level_of_care", raw.get("level_of_care", "2.1"), None)
    return Derive(tuple(c.strip() for c in codes), gap, level)


_DEFINE = {
    "code": str,
    "name": str,
    "min_score": float,
    "max_score": float,
    "lower_is_better": bool,
    "caseness": float,
    "reliable_change": float,
    "source": str,
}
_DEFINE_REQUIRED = ("code", "name", "min_score", "max_score", "lower_is_better")


def _definition(i: int, raw: Any) -> Instrument:
    """One ``[[fhir.instruments.define]]`` entry, checked as the contract checks a row of the
    ``instruments`` table (range, caseness within it, reliable change > 0)."""
    where = f"[[fhir.instruments.define]] #{i + 1}"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    _unknown(where, raw, set(_DEFINE))
    for k in _DEFINE_REQUIRED:
        if k not in raw:
            raise _fail(where, f"{k} is required")
    got: dict[str, Any] = {}
    for k, kind in _DEFINE.items():
        v = raw.get(k)
        if v is None:
            got[k] = None
        elif kind is bool:
            if not isinstance(v, bool):
                raise _fail(f"{where} {k}", f"must be true or false, not {v!r}")
            got[k] = v
        elif kind is float:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise _fail(f"{where} {k}", f"must be a number, not {v!r}")
            got[k] = float(v)
        else:
            got[k] = _value(f"{where} {k}", v, None).strip()
    lo, hi = got["min_score"], got["max_score"]
    if not lo < hi:
        raise _fail(f"{where} max_score", f"must be above min_score ({lo} .. {hi})")
    if got["caseness"] is not None and not lo <= got["caseness"] <= hi:
        raise _fail(f"{where} caseness", f"must be within {lo} .. {hi}, not {got['caseness']}")
    if got["reliable_change"] is not None and not got["reliable_change"] > 0:
        raise _fail(f"{where} reliable_change", f"must be above 0, not {got['reliable_change']}")
    return Instrument(
        got["code"], got["name"], lo, hi, got["lower_is_better"], got["caseness"],
        got["reliable_change"], got["source"] or "",
    )  # fmt: skip


def _instruments(raw: Any) -> tuple[dict[str, str], tuple[Instrument, ...]]:
    """(coding -> instrument code, the instruments defined beyond the built-in ones) of the
    ``instruments`` table: a code map (``codes`` over the LOINC defaults, ``define``) or the
    older flat form, LOINC code = instrument, which replaces the defaults."""
    if raw is None:
        return dict(DEFAULT_INSTRUMENTS), ()
    where = "[fhir.instruments]"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table (codes = { coding = instrument }, define = [...])")
    if not raw or not set(raw) & {"codes", "define", "other", "value"}:  # the flat form
        codes = {(k if "|" in str(k) else f"{LOINC}|{k}"): v for k, v in raw.items()}
        defined: tuple[Instrument, ...] = ()
    else:
        _unknown(where, raw, {"codes", "define"})
        codes_raw = raw.get("codes", {})
        if not isinstance(codes_raw, dict):
            raise _fail(f"{where} codes", "must be a table of coding = instrument code")
        codes = {**DEFAULT_INSTRUMENTS, **{str(k).strip(): v for k, v in codes_raw.items()}}
        define = raw.get("define", [])
        if not isinstance(define, list):
            raise _fail(
                f"{where} define", "must be an array of tables ([[fhir.instruments.define]])"
            )
        defined = tuple(_definition(i, d) for i, d in enumerate(define))
        seen = [d.code for d in defined]
        for code in seen:
            if seen.count(code) > 1:
                raise _fail(f"{where} define", f"instrument {code!r} is defined twice")
    known = tuple(sorted({i.code for i in BUILTIN_INSTRUMENTS} | {d.code for d in defined}))
    return {k: _value(f"{where} codes.{k}", v, known) for k, v in codes.items()}, defined


def ranges(cfg: FhirConfig) -> dict[str, tuple[float, float]]:
    """Each instrument's score range: the built-in ones, replaced or extended by the mapping's
    definitions (as the contract's ``instruments`` table does)."""
    out = {i.code: (i.min_score, i.max_score) for i in BUILTIN_INSTRUMENTS}
    return out | {d.code: (d.min_score, d.max_score) for d in cfg.definitions}


def parse_config(raw: dict[str, Any] | None) -> FhirConfig:
    """Check the ``[fhir]`` table of a mapping file and merge it over the defaults."""
    raw = raw or {}
    _unknown("[fhir]", raw, _TOP)
    maps = _defaults()
    discharge: dict[str, Any] = {}
    for name in _ALLOWED:
        if name not in raw:
            continue
        extra = {"source", "url", "missing"} if name == "discharge_reason" else set()
        given = _codemap(name, raw[name], extra)
        # The mapping's own codes come first; the defaults stay for codes it does not name.
        maps[name] = CodeMap({**maps[name].codes, **given.codes}, given.other, given.value)
        if name == "discharge_reason":
            discharge = raw[name]
    instruments, definitions = _instruments(raw.get("instruments"))
    as_of = None
    if "as_of" in raw:
        try:
            as_of = dt.date.fromisoformat(str(raw["as_of"]))
        except ValueError:
            raise _fail("[fhir] as_of", f"not a date (YYYY-MM-DD): {raw['as_of']!r}") from None
    source = discharge.get("source", "disposition")
    if source not in DISCHARGE_SOURCES:
        raise _fail("[fhir.discharge_reason] source", f"must be one of {DISCHARGE_SOURCES}")
    url = discharge.get("url")
    if (source == "extension") != isinstance(url, str):
        raise _fail("[fhir.discharge_reason] url", 'give url exactly when source = "extension"')
    missing = discharge.get("missing")
    if missing is not None:
        missing = _value("[fhir.discharge_reason] missing", missing, DISCHARGE_REASONS)
    derive = _derive(raw["derive_episodes"]) if "derive_episodes" in raw else None
    return FhirConfig(maps, instruments, definitions, as_of, source, url, missing, derive)


def read_fhir_mapping(path: str | None) -> tuple[dict, bytes | None, dict]:
    """The ``[fhir]`` table, the key (or None) and provenance of a FHIR mapping file, read and
    checked by the one mapping parser (``ingest.mapping.read_mapping``)."""
    if path is None:
        return {}, None, {}
    mapping = read_mapping(path)
    if mapping.tables:
        raise InputError(
            f"{mapping.path}: [tables] maps an EHR export; a FHIR import reads only [fhir] "
            "and [pseudonymize]"
        )
    key = read_key(mapping.key_file) if mapping.key_file else None
    return dict(mapping.fhir), key, {"file": str(mapping.path), "sha256": mapping.sha256}
