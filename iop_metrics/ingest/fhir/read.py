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
from typing import Any

import duckdb

from ...errors import InputError, Violation

SUFFIXES = (".ndjson", ".ndjson.gz", ".json", ".json.gz")


Spec = str | tuple[Any, ...]

# Per resource type, each staged column: a JSON path (text), ("first", paths) (the first
# present), ("coding", system path, code path), ("codings", [(part, sub-path)...]) (a
# VARCHAR[] of "system|code"), ("strings", part, sub-path) or ("json", part, sub-path).
# Parts are extracted with one multi-path call per resource, so each document is parsed
# once for its scalars and once for its parts, whatever the number of columns.
FIELDS: dict[str, dict[str, Spec]] = {
    "Patient": {
        "birth_date": "$.birthDate",
        "gender": "$.gender",
        "idents": ("idents", "$.identifier"),
    },
    "Coverage": {
        "status": "$.status",
        "beneficiary": "$.beneficiary.reference",
        "codings": ("codings", [("$.type", "$.coding[*]")]),
        "payor_display": "$.payor[0].display",
        "start": "$.period.start",
    },
    "EpisodeOfCare": {
        "status": "$.status",
        "patient": "$.patient.reference",
        "start": "$.period.start",
        "end": "$.period.end",
        "codings": ("codings", [("$.type", "$[*].coding[*]")]),
        "org": "$.managingOrganization.reference",
        "ext": ("json", "$.extension", "$[*]"),
        "idents": ("idents", "$.identifier"),
    },
    "Encounter": {
        "status": "$.status",
        "subject": "$.subject.reference",
        "episode": "$.episodeOfCare[0].reference",
        "appointment": "$.appointment[0].reference",
        "start": "$.period.start",
        "end": "$.period.end",
        "length_value": "$.length.value",
        "length_unit": ("first", ["$.length.code", "$.length.unit"]),
        "class": ("coding", "$.class.system", "$.class.code"),
        "codings": ("codings", [("$.serviceType", "$.coding[*]"), ("$.type", "$[*].coding[*]")]),
        "disposition": ("codings", [("$.hospitalization", "$.dischargeDisposition.coding[*]")]),
        "idents": ("idents", "$.identifier"),
    },
    "Appointment": {
        "status": "$.status",
        "start": "$.start",
        "end": "$.end",
        "minutes": "$.minutesDuration",
        "codings": (
            "codings",
            [("$.serviceType", "$[*].coding[*]"), ("$.appointmentType", "$.coding[*]")],
        ),
        "cancel": ("codings", [("$.cancelationReason", "$.coding[*]")]),
        "actors": ("strings", "$.participant", "$[*].actor.reference"),
        "supporting": ("strings", "$.supportingInformation", "$[*].reference"),
        "idents": ("idents", "$.identifier"),
    },
    "Observation": {
        "status": "$.status",
        "codings": ("codings", [("$.code", "$.coding[*]")]),
        "subject": "$.subject.reference",
        "encounter": "$.encounter.reference",
        "effective": (
            "first",
            ["$.effectiveDateTime", "$.effectivePeriod.start", "$.effectiveInstant", "$.issued"],
        ),
        "value": ("first", ["$.valueInteger", "$.valueQuantity.value"]),
    },
}
_LIST_KINDS = {"codings": "VARCHAR[]", "strings": "VARCHAR[]", "idents": "VARCHAR[]"}


def _column_type(spec: Spec) -> str:
    if isinstance(spec, str):
        return "VARCHAR"
    return _LIST_KINDS.get(spec[0], "JSON[]" if spec[0] == "json" else "VARCHAR")


def _compile(fields: dict[str, Spec]) -> tuple[list[str], list[str], dict[str, str]]:
    """Scalar paths, part paths and column expressions over ``v`` (scalars) and ``p`` (parts)."""
    scalars = ["$.resourceType", "$.id"]
    parts: list[str] = []

    def s(path: str) -> str:
        if path not in scalars:
            scalars.append(path)
        return f"v[{scalars.index(path) + 1}]"

    def part(path: str) -> str:
        if path not in parts:
            parts.append(path)
        return f"p[{parts.index(path) + 1}]"

    def codings(pairs: list[tuple[str, str]]) -> str:
        lists = [
            f"coalesce(list_transform(json_extract({part(a)}, '{b}'), "
            f"lambda c: coalesce(c->>'system', '') || '|' || (c->>'code')), [])"
            for a, b in pairs
        ]
        joined = lists[0] if len(lists) == 1 else f"list_concat({', '.join(lists)})"
        return f"list_filter({joined}, lambda x: x is not null)"

    exprs: dict[str, str] = {}
    for col, spec in fields.items():
        if isinstance(spec, str):
            exprs[col] = s(spec)
        elif spec[0] == "first":
            exprs[col] = f"coalesce({', '.join(s(x) for x in spec[1])})"
        elif spec[0] == "coding":
            exprs[col] = f"coalesce({s(spec[1])}, '') || '|' || {s(spec[2])}"
        elif spec[0] == "codings":
            exprs[col] = codings(spec[1])
        elif spec[0] == "strings":
            exprs[col] = f"coalesce(json_extract_string({part(spec[1])}, '{spec[2]}'), [])"
        elif spec[0] == "json":
            exprs[col] = f"coalesce(json_extract({part(spec[1])}, '{spec[2]}'), [])"
        else:  # identifiers, as "system|value" (both forms of a conditional reference)
            exprs[col] = (
                f"list_filter(list_transform(json_extract({part(spec[1])}, '$[*]'), "
                f"lambda i: coalesce(i->>'system', '') || '|' || (i->>'value')), "
                f"lambda x: x is not null)"
            )
    return scalars, parts or ["$.resourceType"], exprs


# Staged columns holding references (lists unnested), for the look-up table.
REFERENCES = (
    ("Coverage", "beneficiary"),
    ("EpisodeOfCare", "patient"),
    ("Encounter", "subject"),
    ("Encounter", "episode"),
    ("Encounter", "appointment"),
    ("Appointment", "unnest(actors)"),
    ("Appointment", "unnest(supporting)"),
    ("Observation", "subject"),
    ("Observation", "encounter"),
)
# Types that conditional references (Type?identifier=...) may point at.
IDENTIFIED = tuple(t for t, f in FIELDS.items() if "idents" in f)


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
        cols = ", ".join(f'"{c}" {_column_type(spec)}' for c, spec in fields.items())
        con.execute(
            f"create or replace temp table {stage_table(rtype)} "
            f"(key VARCHAR, full_url VARCHAR, loc VARCHAR, {cols})"
        )


def _read_file(con: duckdb.DuckDBPyConnection, path: Path, label: str) -> int:
    """Materialize the file's JSON objects as ``_f(j)`` in file order; return their number."""
    reader = (
        "read_ndjson_objects($p)"
        if ".ndjson" in path.name
        else "read_json_objects($p, format='auto')"
    )
    try:
        con.execute(
            f"create or replace temp table _f as select json as j from {reader}", {"p": str(path)}
        )
    except duckdb.Error as exc:
        # DuckDB's message names the byte and line; cut any echo of the content (ids).
        first = str(exc).strip().splitlines()[0].split(" Input:")[0]
        raise InputError([Violation(label, 0, "", f"cannot be read as JSON: {first}")]) from None
    return int(con.execute("select count(*) from _f").fetchall()[0][0])


def _entries(con: duckdb.DuckDBPyConnection, label: str) -> None:
    """``_r(full_url, loc, j)``: every resource of ``_f``, Bundle entries unpacked."""
    con.execute(
        "create or replace temp table _r as "
        "select null::varchar as full_url, $f || ':' || (rowid + 1) as loc, j from _f "
        "where (j->>'$.resourceType') is distinct from 'Bundle' "
        "union all "
        "select e->>'$.fullUrl', $f || ':' || (line) || ' entry ' || n, e->'$.resource' from ("
        "  select rowid + 1 as line, unnest(json_extract(j, '$.entry[*]')) as e, "
        "  generate_subscripts(json_extract(j, '$.entry[*]'), 1) as n "
        "  from _f where (j->>'$.resourceType') = 'Bundle') where (e->'$.resource') is not null",
        {"f": label},
    )


def _stage(con: duckdb.DuckDBPyConnection, rtype: str, src: str, params: dict[str, object]) -> int:
    """Append the ``rtype`` resources of ``src`` (full_url, loc, j) to its staging table."""
    scalars, parts, exprs = _compile(FIELDS[rtype])
    cols = ", ".join(f'{sql} as "{c}"' for c, sql in exprs.items())
    key = "coalesce(v[2], regexp_replace(full_url, '^urn:uuid:', ''))"
    sql = (
        f"select {key} as key, full_url, loc, {cols} from ("
        f"  select full_url, loc, json_extract_string(j, {scalars!r}) as v, "
        f"  json_extract(j, {parts!r}) as p from {src}) where v[1] = '{rtype}'"
    )
    if rtype == "Observation":  # keep only the instruments' codings ("system|code" or "code")
        bare = "list_transform(codings, lambda c: substr(c, strpos(c, '|') + 1))"
        sql = f"select * from ({sql}) where list_has_any(list_concat(codings, {bare}), $codes)"
    table = stage_table(rtype)
    before = int(con.execute(f"select count(*) from {table}").fetchall()[0][0])
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    con.execute(f"insert into {table} {sql}", used)
    return int(con.execute(f"select count(*) from {table}").fetchall()[0][0]) - before


def read_export(
    con: duckdb.DuckDBPyConnection, export_dir: Path, instruments: dict[str, str]
) -> list[dict[str, object]]:
    """Stage every file of ``export_dir``; return one entry per file for the import report."""
    _create_stages(con)
    params: dict[str, object] = {"codes": list(instruments)}
    listing: list[dict[str, object]] = []
    for path in find_files(export_dir):
        label = str(path.relative_to(export_dir))
        first = _first_type(path)
        if first is not None and first not in FIELDS and first != "Bundle":
            # Bulk Data: one resource type per NDJSON file, so an unused type is not read.
            listing.append({"file": label, "resources": {first: None}, "used": []})
            continue
        n = _read_file(con, path, label)
        fast = "(select null::varchar as full_url, $f || ':' || (rowid + 1) as loc, j from _f)"
        if first in FIELDS:
            staged = _stage(con, first, fast, {**params, "f": label})
            if first == "Observation":  # staged only the instruments: check the type apart
                other = "select count(*) from _f where (j->>'$.resourceType') <> 'Observation'"
                staged = n - int(con.execute(other).fetchall()[0][0])
            if staged == n:  # the whole file is that one type
                listing.append({"file": label, "resources": {first: n}, "used": [first]})
                continue
            con.execute(
                f"delete from {stage_table(first)} where starts_with(loc, $f || ':')", {"f": label}
            )
        _entries(con, label)
        counts = con.execute(
            "select coalesce(j->>'$.resourceType', '(not a FHIR resource)'), count(*) from _r "
            "group by 1 order by 1"
        ).fetchall()
        for rtype, _ in counts:
            if rtype in FIELDS:
                _stage(con, rtype, "_r", params)
        listing.append(
            {
                "file": label,
                "resources": {str(t): int(c) for t, c in counts},
                "used": sorted(str(t) for t, _ in counts if t in FIELDS),
            }
        )
    con.execute("drop table if exists _f; drop table if exists _r")
    _identifiers(con)
    _resolver(con)
    return listing


def _identifiers(con: duckdb.DuckDBPyConnection) -> None:
    """``fhir_ids(rtype, key, ref)``: every conditional or fullUrl form naming a resource."""
    parts = []
    for rtype in IDENTIFIED:
        t = stage_table(rtype)
        parts += [
            f"select '{rtype}' as rtype, key, '{rtype}?identifier=' || x as ref "
            f"from (select key, unnest(idents) as x from {t})",
            f"select '{rtype}', key, '{rtype}?identifier=' || substr(x, strpos(x, '|') + 1) "
            f"from (select key, unnest(idents) as x from {t})",
            f"select '{rtype}', key, full_url from {t} where full_url is not null",
        ]
    con.execute("create or replace temp table fhir_ids as " + " union all ".join(parts))


def _resolver(con: duckdb.DuckDBPyConnection) -> None:
    """``fhir_ref(r, t)``: the key of the ``t`` resource that reference ``r`` names, or NULL.

    Ambiguous identifiers (two resources share one) resolve to nothing rather
    than to a guess.
    """
    norm = "replace(replace({x}, '%7C', '|'), '%7c', '|')"
    used = " union all ".join(f"select {col} as r from {stage_table(t)}" for t, col in REFERENCES)
    # Only the urn:uuid and conditional references the export uses need a look-up table.
    con.execute(
        f"create or replace temp table fhir_refs as "
        f"with used as (select distinct {norm.format(x='r')} as ref from ({used}) "
        f"              where starts_with(r, 'urn:') or strpos(r, '?') > 0) "
        f"select rtype, ref, min(key) as key from ("
        f"  select rtype, {norm.format(x='ref')} as ref, key from fhir_ids) "
        f"where ref in (select ref from used) group by all having count(distinct key) = 1"
    )
    lookup = "cast(null as varchar)"
    if int(con.execute("select count(*) from fhir_refs").fetchall()[0][0]):
        lookup = (
            f"(select f.key from fhir_refs f where f.rtype = t and f.ref = {norm.format(x='r')})"
        )
    # Places sort as file, line, entry (so "x:2" comes before "x:10").
    con.execute(
        "create or replace temp macro loc_key(l) as {'f': regexp_extract(l, '^(.*?):[0-9]', 1), "
        "'n': try_cast(regexp_extract(l, ':([0-9]+)', 1) as bigint), "
        "'e': try_cast(regexp_extract(l, 'entry ([0-9]+)$', 1) as bigint)}"
    )
    con.execute("create or replace temp macro first_loc(l) as arg_min(l, loc_key(l))")
    con.execute(
        "create or replace temp macro fhir_ref(r, t) as case "
        "when starts_with(r, t || '/') and strpos(substr(r, length(t) + 2), '/') = 0 "
        "then substr(r, length(t) + 2) else coalesce("
        "  nullif(regexp_extract(r, '(?:^|/)' || t || '/([A-Za-z0-9.-]{1,64})"
        "(?:/_history/[^/]*)?$', 1), ''),"
        f"  {lookup}) end"
    )
