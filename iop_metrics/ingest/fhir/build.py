"""FHIR R4 bulk export -> contract tables (clients, episodes, sessions, assessments) in DuckDB.

``import_fhir(con, export_dir, config, key=...)`` reads the export with DuckDB's
JSON functions (``read``), maps it with the defaults of
``shared/spec/import.md`` and the mapping's ``[fhir]`` table (``config``),
creates the four contract tables in ``con`` and returns the import report:
what was read, skipped (per reason), left unassigned, and which code went to
which contract value. A code no map covers, a closed episode with no reason, or
an export with no EpisodeOfCare and no ``[fhir.derive_episodes]`` is an
``InputError`` (exit 2) listing every such problem; nothing is guessed.

Identifiers. With a key (the mapping's ``[pseudonymize] key_file``) every id
is HMAC-SHA256(key, ``"Type/logical-id"``), first 16 hex digits: stable across
monthly exports of one server, and distinct for an Encounter and an
Appointment that share a logical id. Without a key the FHIR logical ids are
kept as they are (sessions get a ``Encounter-``/``Appointment-`` prefix). A
logical id is an opaque server key, not one of the HIPAA direct identifiers,
but a server may assign an MRN as Patient.id: the output then still goes
through the contract's identifier guard, the report says ``pseudonymized:
false``, and a program that shares the output should give a key.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import duckdb

from ...errors import InputError, Violation
from ..pseudonym import hmac_params, hmac_sql
from .codes import Tally, dedupe, map_codes
from .config import SOPT, CodeMap, FhirConfig, parse_config
from .episodes import derive_episodes, episodes_from_fhir, prepare_encounters
from .read import FIELDS, read_export, stage_table
from .sessions import assessments, sessions

SEX = (
    "case gender when 'female' then 'F' when 'male' then 'M' when 'other' then 'X' "
    "when 'unknown' then 'U' end"
)
SOPT_LIST = ", ".join(f"'{s}'" for s in SOPT)
PAYER_RULE = (
    f"case when split_part(c, '|', 1) in ({SOPT_LIST}) then case "
    "when split_part(c, '|', 2) like '81%' then 'self_pay' "
    "when split_part(c, '|', 2) like '1%' then 'medicare' "
    "when split_part(c, '|', 2) like '2%' then 'medicaid' "
    "when split_part(c, '|', 2) like '5%' or split_part(c, '|', 2) like '6%' then 'commercial' "
    "when split_part(c, '|', 2) similar to '[3-9].*' then 'other' end end"
)
TABLES = ("clients", "episodes", "sessions", "assessments")
COVERAGE_SKIP = ("entered-in-error", "cancelled", "draft")


def import_fhir(
    con: duckdb.DuckDBPyConnection,
    export_dir: str | os.PathLike[str],
    config: dict[str, Any] | FhirConfig | None = None,
    *,
    key: bytes | None = None,
) -> dict[str, Any]:
    """Create the contract tables clients, episodes, sessions, assessments (and instruments,
    when the mapping defines any) in ``con``.

    Returns the import report (a JSON-ready dict).

    ``config`` is the mapping file's ``[fhir]`` table (parsed TOML) or a
    ``FhirConfig``; ``key`` the pseudonymization key, or None to keep FHIR ids.
    Raises ``InputError`` listing every problem; then no table is created.

    >>> import duckdb, pathlib, tempfile
    >>> export = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (export / "all.ndjson").write_text(
    ...     '{"resourceType":"Patient","id":"p","gender":"male","birthDate":"1980-01-02"}\\n'
    ...     '{"resourceType":"EpisodeOfCare","id":"e","status":"active","patient":'
    ...     '{"reference":"Patient/p"},"period":{"start":"2026-01-05"}}\\n'
    ...     '{"resourceType":"Encounter","id":"v","status":"finished","class":{"code":"VR"},'
    ...     '"subject":{"reference":"Patient/p"},"episodeOfCare":[{"reference":"EpisodeOfCare/e"}],'
    ...     '"period":{"start":"2026-01-06T09:00:00Z","end":"2026-01-06T12:00:00Z"}}\\n')
    >>> con = duckdb.connect()
    >>> config = {"level_of_care": {"value": "2.1"}, "service_type": {"value": "group"}}
    >>> report = import_fhir(con, export, config)
    >>> con.execute("select * from sessions").fetchall()
    [('Encounter-v', 'e', datetime.date(2026, 1, 6), 'group', 180, 'attended', None, True)]
    >>> report["tables"]["episodes"], report["pseudonymized"]
    ({'rows_written': 1}, False)
    """
    cfg = config if isinstance(config, FhirConfig) else parse_config(config)
    root = Path(export_dir)
    files = read_export(con, root, cfg.instruments)
    tally = Tally()
    for rtype in FIELDS:
        dedupe(con, stage_table(rtype), tally, rtype)
    prepare_encounters(con, cfg)
    has_episodes = tally.read.get("EpisodeOfCare", 0) > 0
    if not has_episodes and cfg.derive is None:
        raise InputError(
            [
                Violation(
                    str(root),
                    0,
                    "",
                    "the export has no EpisodeOfCare resources (US Core does not require them), so "
                    "there are no episodes to import; add [fhir.derive_episodes] (codes marking an "
                    "IOP "
                    "encounter, gap_days) to the mapping to derive episodes from encounters",
                )
            ]
        )
    as_of = cfg.as_of or _latest_date(con)
    if has_episodes:
        episodes_from_fhir(con, cfg, tally)
        if cfg.derive is not None:
            tally.notes.append("[fhir.derive_episodes] not used: the export has EpisodeOfCare")
    else:
        derive_episodes(con, cfg, tally, as_of)
    sessions(con, cfg, tally, derived=not has_episodes)
    assessments(con, cfg, tally)
    _clients(con, cfg, tally)
    if tally.problems:
        raise InputError(sorted(tally.problems))
    _contract_tables(con, key)
    _instruments_table(con, cfg)
    for rtype, entry in tally.unassigned.items():
        ids = con.execute(
            f"select list(id order by loc_key(loc))[1:100] from unassigned_{rtype.lower()}_ids"
        ).fetchall()[0][0]
        entry["ids"] = ids
    return _report(con, root, files, tally, key is not None, not has_episodes, as_of)


def _instruments_table(con: duckdb.DuckDBPyConnection, cfg: FhirConfig) -> None:
    """The contract table ``instruments`` from ``[[fhir.instruments.define]]`` (none: no table,
    the built-in instruments apply), so that the output folder loads with its own scores."""
    if not cfg.definitions:
        return
    con.execute(
        "create or replace table instruments (code varchar, name varchar, min_score double, "
        "max_score double, lower_is_better boolean, caseness double, reliable_change double, "
        "source varchar)"
    )
    con.executemany(
        "insert into instruments values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [d.code, d.name, d.min_score, d.max_score, d.lower_is_better, d.caseness]
            + [d.reliable_change, d.source or None]
            for d in cfg.definitions
        ],
    )


def _latest_date(con: duckdb.DuckDBPyConnection) -> dt.date:
    row = con.execute(
        "select max(d) from (select max(d) as d from enc union all "
        "select max(try_cast(left(start, 10) as date)) from fhir_appointment_1)"
    ).fetchall()[0]
    return row[0] if row and row[0] else dt.date.today()


def _clients(con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally) -> None:
    """``cl(patient, birth_year, sex, payer)`` for every patient with an episode."""
    con.execute(
        f"""create or replace temp table cl0 as
        select x.patient, try_cast(left(p.birth_date, 4) as integer) as birth_year,
               {SEX.replace("gender", "p.gender")} as sex, p.key is not null as found
        from (select distinct patient from ep) x left join fhir_patient_1 p on p.key = x.patient"""
    )
    missing = con.execute("select count(*) from cl0 where not found").fetchall()[0]
    if missing and missing[0]:
        tally.notes.append(
            f"{missing[0]} patient(s) named by an episode are not in the export "
            "(client rows with no birth year or sex)"
        )
    unused = con.execute(
        "select count(*) from fhir_patient_1 where key not in (select patient from cl0)"
    ).fetchall()[0]
    if unused and unused[0]:
        tally.skipped.setdefault("Patient", {})["no episode (not written)"] = {
            "count": int(unused[0]),
            "first": None,
        }
    skip = ", ".join(f"'{s}'" for s in COVERAGE_SKIP)
    for status in COVERAGE_SKIP:
        tally.skip(
            con,
            "Coverage",
            f"status {status}",
            f"select loc from fhir_coverage_1 where status = '{status}'",
        )
    con.execute(
        f"""create or replace temp table cov as
        select arg_max(key, coalesce(start, '')) as key, arg_max(loc, coalesce(start, '')) as loc,
               patient, arg_max(cs, coalesce(start, '')) as cs
        from (select key, loc, start, fhir_ref(beneficiary, 'Patient') as patient,
                     list_concat(codings, case when payor_display is null then []
                                 else ['|' || payor_display] end) as cs
              from fhir_coverage_1 where coalesce(status, '') not in ({skip}))
        where patient in (select patient from cl0) group by patient"""
    )
    payer = cfg.maps["payer"]
    tally.mapped(
        "payer",
        map_codes(con, "payer", payer, src="cov", codings="cs", out="m_payer", fallback=PAYER_RULE),
    )
    con.execute(
        """create or replace temp table cl as
        select c.patient, c.birth_year, c.sex, m.value as payer
        from cl0 c left join cov on cov.patient = c.patient
        left join m_payer m on m.key = cov.key"""
    )


def _contract_tables(con: duckdb.DuckDBPyConnection, key: bytes | None) -> None:
    """The contract tables, with pseudonyms (key given) or FHIR ids (no key)."""

    def ident(src: str, plain: str) -> str:
        return hmac_sql(src) if key is not None else plain

    params = hmac_params(key) if key is not None else {}
    patient = ident("'Patient/' || patient", "patient")
    episode = ident("ep.src", "ep.ep_key")
    session = ident("s.src", "replace(s.src, '/', '-')")
    statements = {
        # Each episode's pseudonym once, not once per session.
        "ep_ids": f"select ep_key, {episode} as episode_id from ep",
        "clients": f"select {patient} as client_id, birth_year, sex, "
        "null::varchar as primary_substance, payer, null::varchar as referral_source from cl",
        "episodes": f"select {episode} as episode_id, {patient} as client_id, site, "
        "level as level_of_care, track, admit as admit_date, "
        "discharge as discharge_date, reason as discharge_reason from ep",
        "sessions": f"select {session} as session_id, "
        "episode_id, session_date, service_type, scheduled_minutes, status, "
        "attended_minutes, telehealth from ses s join ep_ids using (ep_key)",
        "assessments": "select episode_id, assessed_on, instrument, score "
        "from asm a join ep_ids using (ep_key)",
    }
    for prefix in ("Appointment", "Observation"):
        # Unassigned resources, named as the output would name them (pseudonyms with a key).
        named = ident(f"'{prefix}/' || key", f"'{prefix}-' || key")
        statements[f"unassigned_{prefix.lower()}_ids"] = (
            f"select loc, {named} as id from unassigned_{prefix.lower()}"
        )
    for name, sql in statements.items():
        used = {k: v for k, v in params.items() if f"${k}" in sql}
        temp = "" if name in TABLES else "temp "
        con.execute(f"create or replace {temp}table {name} as {sql}", used)


def _report(
    con: duckdb.DuckDBPyConnection,
    root: Path,
    files: list[dict[str, object]],
    tally: Tally,
    pseudonymized: bool,
    derived: bool,
    as_of: dt.date,
) -> dict[str, Any]:
    written = {}
    names = ["clients", "episodes", "sessions", "assessments"]
    if con.execute(
        "select count(*) from duckdb_tables() where table_name = 'instruments'"
    ).fetchall()[0][0]:
        names.append("instruments")
    for name in names:
        row = con.execute(f"select count(*) from {name}").fetchall()[0]
        written[name] = int(row[0]) if row else 0
    unused = sorted(
        {
            str(t)
            for f in files
            for t in f["resources"]  # type: ignore[attr-defined]
            if t not in FIELDS
        }
    )
    return {
        "source": "FHIR R4 bulk export",
        "export": str(root),
        "pseudonymized": pseudonymized,
        "episodes_from": "derived from encounters" if derived else "EpisodeOfCare",
        "as_of": as_of.isoformat(),
        "files": files,
        "resource_types_not_used": unused,
        "resources_read": tally.read,
        "duplicates_ignored": tally.duplicates,
        "skipped": tally.skipped,
        "unassigned": tally.unassigned,
        "codes": tally.codes,
        "mapped_only_by_other": tally.by_other,
        "tables": {name: {"rows_written": n} for name, n in written.items()},
        "notes": tally.notes,
    }


__all__ = ["import_fhir", "CodeMap"]
