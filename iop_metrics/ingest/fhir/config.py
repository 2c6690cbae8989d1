"""The ``[fhir]`` table of a mapping file: which FHIR codes mean which contract values.

FHIR R4 leaves level of care, discharge reason, service type and payer open, so
each is a *code map*: ``codes`` (coding -> contract value), an optional
``other`` for anything else and an optional ``value`` (a constant). A coding is
matched by ``"system|code"`` first, then by the bare ``"code"``. Unknown keys
are refused by name, values are checked against the contract's code lists, and
nothing here touches data. Keys (all optional)::

    [fhir]
    as_of = "2026-10-31"     # when the export was taken (default: the latest date in it)
    instruments = { "44261-6" = "PHQ-9", "70274-6" = "GAD-7", "89204-2" = "PHQ-9" }

    [fhir.level_of_care]     # EpisodeOfCare.type codings
    [fhir.service_type]      # Encounter serviceType/type, Appointment serviceType/appointmentType
    [fhir.payer]             # Coverage.type codings, then Coverage.payor display
    [fhir.site]              # EpisodeOfCare.managingOrganization id (absent -> "main")
    [fhir.cancellation]      # Appointment.cancelationReason beyond the pat*/prov* rule
    [fhir.discharge_reason]  # source = "disposition" | "episode-type" | "extension" (+ url)
                             # missing = value for a closed episode with no reason given
    [fhir.derive_episodes]   # codes = [...], gap_days = 14, level_of_care = "2.1"

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
    BUILTIN_LEVELS,
    DISCHARGE_REASONS,
    INSTRUMENTS,
    PAYERS,
    SERVICE_TYPES,
    STATUSES,
)
from ...errors import InputError, Violation
from ..mapping import read_mapping
from ..pseudonym import read_key

BHA_LEVELS = "http://bha.colorado.gov/fhir/bha-ig/CodeSystem/bha-asam-level-of-care-cs"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
NUBC = "http://www.nubc.org/patient-discharge"
SOPT = ("https://nahdo.org/sopt", "urn:oid:2.16.840.1.113883.3.221.5")
DEFAULT_INSTRUMENTS = {"44261-6": "PHQ-9", "70274-6": "GAD-7", "89204-2": "PHQ-9"}
DISCHARGE_SOURCES = ("disposition", "episode-type", "extension")

_MAP_KEYS = {"codes", "other", "value"}
_ALLOWED: dict[str, tuple[str, ...] | None] = {
    "level_of_care": None,  # any level code; the contract check compares with levels_of_care
    "service_type": SERVICE_TYPES,
    "payer": PAYERS,
    "site": None,
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
    instruments = dict(DEFAULT_INSTRUMENTS)
    if "instruments" in raw:
        if not isinstance(raw["instruments"], dict):
            raise _fail("[fhir] instruments", "must be a table of LOINC code = instrument")
        instruments = {
            str(k): _value(f"[fhir] instruments.{k}", v, tuple(INSTRUMENTS))
            for k, v in raw["instruments"].items()
        }
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
    return FhirConfig(maps, instruments, as_of, source, url, missing, derive)


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
