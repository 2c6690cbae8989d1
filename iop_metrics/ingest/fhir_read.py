"""FHIR R4 export files -> narrow staging tables in DuckDB, one per resource type used.

Every ``*.ndjson``, ``*.ndjson.gz``, ``*.json`` and ``*.json.gz`` file under the
export folder is read by DuckDB's JSON reader (no per-resource object model):
NDJSON lines and the entries of Bundles alike. Only the fields the contract
needs are extracted, as text, with the resource's place (``file:line`` or
``file:line entry n``) so that problems can be reported without showing an id.
References are resolved in all three R4 forms: ``Type/id`` (also absolute),
``urn:uuid:`` (a Bundle entry's fullUrl) and conditional ``Type?identifier=``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from ..errors import InputError, Violation

SUFFIXES = (".ndjson", ".ndjson.gz", ".json", ".json.gz")
LOINC = "http://loinc.org"


def _codings(*paths: str) -> str:
    """A VARCHAR[] of ``system|code`` for every coding at the given JSON paths of ``j``."""
    parts = [
        f"list_transform(json_extract(j, '{p}'), "
        f"lambda c: coalesce(c->>'system', '') || '|' || (c->>'code'))"
        for p in paths
    ]
    joined = parts[0] if len(parts) == 1 else f"list_concat({', '.join(parts)})"
    return f"list_filter({joined}, lambda x: x is not null)"


def _refs(path: str) -> str:
    return f"json_extract_string(j, '{path}')"


# Per resource type: the staged columns as SQL expressions over the resource JSON ``j``.
FIELDS: dict[str, dict[str, str]] = {
    "Patient": {
        "birth_date": "j->>'$.birthDate'",
        "gender": "j->>'$.gender'",
    },
    "Coverage": {
        "status": "j->>'$.status'",
        "beneficiary": "j->>'$.beneficiary.reference'",
        "codings": _codings("$.type.coding[*]"),
        "payor_display": "j->>'$.payor[0].display'",
        "start": "j->>'$.period.start'",
    },
    "EpisodeOfCare": {
        "status": "j->>'$.status'",
        "patient": "j->>'$.patient.reference'",
        "start": "j->>'$.period.start'",
        "end": "j->>'$.period.end'",
        "codings": _codings("$.type[*].coding[*]"),
        "org": "j->>'$.managingOrganization.reference'",
        "ext": "json_extract(j, '$.extension[*]')",
    },
    "Encounter": {
        "status": "j->>'$.status'",
        "subject": "j->>'$.subject.reference'",
        "episode": "j->>'$.episodeOfCare[0].reference'",
        "appointment": "j->>'$.appointment[0].reference'",
        "start": "j->>'$.period.start'",
        "end": "j->>'$.period.end'",
        "length_value": "j->>'$.length.value'",
        "length_unit": "coalesce(j->>'$.length.code', j->>'$.length.unit')",
        "class": "coalesce(j->>'$.class.system', '') || '|' || (j->>'$.class.code')",
        "codings": _codings("$.serviceType.coding[*]", "$.type[*].coding[*]"),
        "disposition": _codings("$.hospitalization.dischargeDisposition.coding[*]"),
    },
    "Appointment": {
        "status": "j->>'$.status'",
        "start": "j->>'$.start'",
        "end": "j->>'$.end'",
        "minutes": "j->>'$.minutesDuration'",
        "codings": _codings("$.serviceType[*].coding[*]", "$.appointmentType.coding[*]"),
        "cancel": _codings("$.cancelationReason.coding[*]"),
        "actors": _refs("$.participant[*].actor.reference"),
        "supporting": _refs("$.supportingInformation[*].reference"),
    },
    "Observation": {
        "status": "j->>'$.status'",
        "codings": _codings("$.code.coding[*]"),
        "subject": "j->>'$.subject.reference'",
        "encounter": "j->>'$.encounter.reference'",
        "effective": "coalesce(j->>'$.effectiveDateTime', j->>'$.effectivePeriod.start', "
        "j->>'$.effectiveInstant', j->>'$.issued')",
        "value": "coalesce(j->>'$.valueInteger', j->>'$.valueQuantity.value')",
    },
}
_LIST = "VARCHAR[]"
_TYPES = {"codings": _LIST, "disposition": _LIST, "cancel": _LIST, "actors": _LIST}
_TYPES |= {"supporting": _LIST, "ext": "JSON[]"}
# Types that conditional references (Type?identifier=...) may point at.
IDENTIFIED = ("Patient", "EpisodeOfCare", "Encounter", "Appointment")


def stage_table(rtype: str) -> str:
    return f"fhir_{rtype.lower()}"


def find_files(export_dir: Path) -> list[Path]:
    """The export's JSON files in name order; a missing folder or no file at all is refused."""
    if not export_dir.is_dir():
        raise InputError([Violation(str(export_dir), 0, "", "is not a folder")])
    files = sorted(
        p
        for p in export_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.name.endswith(SUFFIXES)
    )
    if not files:
        raise InputError(
            [
                Violation(
                    str(export_dir),
                    0,
                    "",
                    "holds no FHIR files (*.ndjson, *.ndjson.gz, *.json, *.json.gz)",
                )
            ]
        )
    return files


def _first_type(path: Path) -> str | None:
    """The resourceType on the first line of an NDJSON file (None: not NDJSON or unreadable)."""
    if ".ndjson" not in path.name:
        return None
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            line = next((x for x in fh if x.strip()), "")
        kind = json.loads(line).get("resourceType") if line else None
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None  # DuckDB reads it and says what is wrong
    return kind if isinstance(kind, str) else None


def _create_stages(con: duckdb.DuckDBPyConnection) -> None:
    for rtype, fields in FIELDS.items():
        cols = ", ".join(f'"{c}" {_TYPES.get(c, "VARCHAR")}' for c in fields)
        con.execute(
            f"create or replace temp table {stage_table(rtype)} "
            f"(key VARCHAR, full_url VARCHAR, loc VARCHAR, {cols})"
        )
    con.execute(
        "create or replace temp table fhir_ids (rtype VARCHAR, key VARCHAR, ref VARCHAR);"
        "create or replace temp table fhir_files (file VARCHAR, rtype VARCHAR, resources BIGINT)"
    )


def _read_one(con: duckdb.DuckDBPyConnection, path: Path, label: str) -> None:
    """Read one file into ``_r`` (rtype, key, full_url, loc, j): lines and Bundle entries."""
    reader = (
        "read_ndjson_objects($p)"
        if ".ndjson" in path.name
        else ("read_json_objects($p, format='auto')")
    )
    try:
        con.execute(
            f"create or replace temp table _f as select json as j from {reader}", {"p": str(path)}
        )
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise InputError([Violation(label, 0, "", f"cannot be read as JSON: {first}")]) from exc
    con.execute(
        "create or replace temp table _r as "
        "select j->>'$.resourceType' as rtype, j->>'$.id' as id, null::varchar as full_url, "
        "$f || ':' || (rowid + 1) as loc, j from _f "
        "where (j->>'$.resourceType') is distinct from 'Bundle' "
        "union all "
        "select e->>'$.resource.resourceType', e->>'$.resource.id', e->>'$.fullUrl', "
        "$f || ':' || (line) || ' entry ' || n, e->'$.resource' from ("
        "  select rowid + 1 as line, unnest(json_extract(j, '$.entry[*]')) as e, "
        "  generate_subscripts(json_extract(j, '$.entry[*]'), 1) as n "
        "  from _f where (j->>'$.resourceType') = 'Bundle') where (e->'$.resource') is not null",
        {"f": label},
    )


def _stage_rows(con: duckdb.DuckDBPyConnection, loinc: list[str]) -> None:
    key = "coalesce(id, regexp_replace(full_url, '^urn:uuid:', ''))"
    for rtype, fields in FIELDS.items():
        exprs = ", ".join(f'{sql} as "{c}"' for c, sql in fields.items())
        where = "rtype = $t"
        params: dict[str, object] = {"t": rtype}
        if rtype == "Observation":  # keep only the instruments' LOINC codes
            where += f" and list_has_any({FIELDS['Observation']['codings']}, $loinc)"
            params["loinc"] = loinc
        con.execute(
            f"insert into {stage_table(rtype)} "
            f"select {key}, full_url, loc, {exprs} from _r where {where}",
            params,
        )
        if rtype in IDENTIFIED:
            # References may name a resource by identifier (with or without system) or fullUrl.
            con.execute(
                f"insert into fhir_ids select $t, {key}, r from ("
                f"  select id, full_url, unnest(["
                f"    $t || '?identifier=' || coalesce(i->>'system', '') || '|' || (i->>'value'),"
                f"    $t || '?identifier=' || (i->>'value')]) as r"
                f"  from (select id, full_url, unnest(json_extract(j, '$.identifier[*]')) as i "
                f"        from _r where rtype = $t)) where r is not null "
                f"union all select $t, {key}, full_url from _r "
                f"where rtype = $t and full_url is not null",
                {"t": rtype},
            )


def read_export(
    con: duckdb.DuckDBPyConnection, export_dir: Path, instruments: dict[str, str]
) -> list[dict[str, object]]:
    """Stage every file of ``export_dir``; return one entry per file for the import report."""
    _create_stages(con)
    loinc = [f"{LOINC}|{code}" for code in instruments]
    listing: list[dict[str, object]] = []
    for path in find_files(export_dir):
        label = str(path.relative_to(export_dir))
        first = _first_type(path)
        if first is not None and first not in FIELDS and first != "Bundle":
            # Bulk Data: one resource type per NDJSON file, so an unused type is not read.
            listing.append({"file": label, "resources": {first: None}, "used": []})
            continue
        _read_one(con, path, label)
        counts = con.execute(
            "select coalesce(rtype, '(not a FHIR resource)'), count(*) from _r group by 1 "
            "order by 1"
        ).fetchall()
        _stage_rows(con, loinc)
        listing.append(
            {
                "file": label,
                "resources": {str(t): int(n) for t, n in counts},
                "used": sorted(str(t) for t, _ in counts if t in FIELDS),
            }
        )
    con.execute("drop table if exists _f; drop table if exists _r")
    _resolver(con)
    return listing


def _resolver(con: duckdb.DuckDBPyConnection) -> None:
    """``fhir_ref(r, t)``: the key of the ``t`` resource that reference ``r`` names, or NULL.

    Ambiguous identifiers (two resources share one) resolve to nothing rather
    than to a guess.
    """
    con.execute(
        "create or replace temp table fhir_refs as "
        "select rtype, replace(replace(ref, '%7C', '|'), '%7c', '|') as ref, "
        "min(key) as key from fhir_ids group by all having count(distinct key) = 1"
    )
    con.execute(
        "create or replace temp macro fhir_ref(r, t) as coalesce("
        "  nullif(regexp_extract(r, '(?:^|/)' || t || '/([A-Za-z0-9.-]{1,64})"
        "(?:/_history/[^/]*)?$', 1), ''),"
        "  (select f.key from fhir_refs f where f.rtype = t and f.ref = "
        "   replace(replace(r, '%7C', '|'), '%7c', '|')))"
    )
