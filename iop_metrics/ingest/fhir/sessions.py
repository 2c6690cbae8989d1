"""Encounters and Appointments -> session rows; Observations -> assessment rows.

A finished Encounter is an attended session of its ``episodeOfCare`` (or, for
derived episodes, of the derived episode that spans it), with the scheduled
length from its Appointment when it has one. An Appointment that no session
Encounter names becomes a session by its own status: ``noshow`` -> no_show,
``cancelled`` -> by cancelationReason (``pat*`` client, ``prov*`` program, or
the mapping), ``fulfilled`` -> attended. Its episode is one named in
``supportingInformation``, else the patient's only episode on that date; when
there is none or several it is *unassigned* and listed, never guessed.
"""

from __future__ import annotations

import duckdb

from ...errors import Violation
from .codes import Tally, map_codes
from .config import CodeMap, FhirConfig, ranges
from .episodes import CANCEL_RULE, OPEN_END

APPT_SESSION = {"noshow": "no_show", "fulfilled": "attended", "cancelled": None}
OBS_KEEP = ("final", "amended", "corrected")
LIVE = "status is distinct from 'entered-in-error'"


def _in_scope(alias: str) -> str:
    return f"{alias}.d between ep.admit and coalesce(ep.span_end, {OPEN_END})"


def _skip_statuses(con: duckdb.DuckDBPyConnection, tally: Tally, rtype: str, rows: str) -> None:
    for status, n, first in con.execute(
        f"select coalesce(status, '(none)'), count(*), first_loc(loc) from ({rows}) group by all"
    ).fetchall():
        tally.skipped.setdefault(rtype, {})[f"status {status}"] = {"count": n, "first": first}


def _unassigned(con: duckdb.DuckDBPyConnection, tally: Tally, rtype: str, rows: str) -> None:
    """Keep the (key, loc) of ``rows`` in ``unassigned_<type>``; count them, first 100 places."""
    table = f"unassigned_{rtype.lower()}"
    con.execute(f"create or replace temp table {table} as {rows}")
    n, places = con.execute(
        f"select count(*), list(loc order by loc_key(loc))[1:100] from {table}"
    ).fetchall()[0]
    if n:
        tally.unassigned[rtype] = {"count": int(n), "places": places}


def sessions(con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally, derived: bool) -> None:
    """``ses(src, ep_key, session_date, service_type, scheduled, status, attended, telehealth)``."""
    con.execute(
        f"""create or replace temp table apt as
        select key, loc, status, try_cast(left(start, 10) as date) as d,
               round(coalesce(try_cast(minutes as double), date_diff('minute',
                 try_cast(start as timestamptz), try_cast("end" as timestamptz)))) as minutes,
               codings, cancel, actors, supporting, {_iop(cfg)} as iop
        from fhir_appointment_1""",
        _iop_params(cfg),
    )
    _encounter_rows(con, tally, derived)
    _appointment_rows(con, cfg, tally, derived)
    con.execute(
        "create or replace temp table ses0 as select * from s_enc union all select * from s_apt"
    )
    for reason, cond in (
        ("no date", "d is null"),
        ("outside its episode's dates", "d is not null and not in_scope"),
        (
            "no duration (Appointment.minutesDuration, Encounter.length or period)",
            "d is not null and in_scope and (scheduled is null or scheduled < 1)",
        ),
        ("longer than 720 minutes", "d is not null and in_scope and scheduled > 720"),
    ):
        for rtype in ("Encounter", "Appointment"):
            tally.skip(
                con, rtype, reason, f"select loc from ses0 where {cond} and src like '{rtype}/%'"
            )
    con.execute(
        "create or replace temp table ses1 as select * from ses0 where d is not null and "
        "in_scope and scheduled between 1 and 720"
    )
    service = cfg.maps["service_type"]
    tally.mapped(
        "service_type",
        map_codes(
            con,
            "service_type",
            service,
            src="(select src as key, loc, cs from ses1)",
            codings="cs",
            out="m_service",
        ),
    )
    none = con.execute(
        "select count(*), first_loc(loc) from m_service where value is null and not has_code"
    ).fetchall()[0]
    if none and none[0]:
        tally.problems.append(
            Violation(
                str(none[1]),
                0,
                "service_type",
                f"{none[0]} session(s) have no serviceType/type coding; give "
                '[fhir.service_type] value = "<type>" (or other) to accept that',
            )
        )
    con.execute(
        """create or replace temp table ses as
        select s.src, s.ep_key, s.d as session_date, m.value as service_type,
               cast(s.scheduled as integer) as scheduled_minutes, s.status,
               cast(case when s.status <> 'attended' then 0
                         when s.attended < s.scheduled then s.attended end as integer)
                 as attended_minutes,
               s.telehealth
        from ses1 s join m_service m on m.key = s.src"""
    )


def _iop(cfg: FhirConfig) -> str:
    if cfg.derive is None:
        return "true"
    return (
        "(list_has_any(codings, $full) or list_has_any(list_transform(codings, "
        "lambda c: substr(c, strpos(c, '|') + 1)), $bare))"
    )


def _iop_params(cfg: FhirConfig) -> dict[str, object]:
    if cfg.derive is None:
        return {}
    return {
        "full": [c for c in cfg.derive.codes if "|" in c] or [""],
        "bare": [c for c in cfg.derive.codes if "|" not in c] or [""],
    }


def _encounter_rows(con: duckdb.DuckDBPyConnection, tally: Tally, derived: bool) -> None:
    t = "Encounter"
    tally.skip(
        con, t, "status entered-in-error", "select loc from enc where status = 'entered-in-error'"
    )
    if derived:
        tally.skip(
            con,
            t,
            "not an IOP encounter ([fhir.derive_episodes] codes)",
            "select loc from enc where not iop and status is distinct from 'entered-in-error'",
        )
        link = (
            f"join ep on ep.patient = e.patient and e.iop and "
            f"e.d between ep.admit and coalesce(ep.span_end, {OPEN_END})"
        )
    else:
        tally.skip(
            con,
            t,
            "no episodeOfCare reference",
            f"select loc from enc where ep_ref is null and {LIVE}",
        )
        tally.skip(
            con,
            t,
            "its EpisodeOfCare was not imported",
            f"select loc from enc where ep_ref is not null and {LIVE} "
            "and ep_ref not in (select ep_key from ep)",
        )
        link = "join ep on ep.ep_key = e.ep_ref"
    con.execute(
        f"create or replace temp table enc_ep as select e.*, ep.ep_key, "
        f"{_in_scope('e')} as in_scope from enc e {link} "
        f"where e.status is distinct from 'entered-in-error'"
    )
    if derived:
        tally.skip(
            con,
            t,
            "IOP encounter in no derived episode (not finished, or no patient or date)",
            "select loc from enc where iop and status is distinct from 'entered-in-error' "
            "and key not in (select key from enc_ep)",
        )
    _skip_statuses(
        con, tally, t, "select status, loc from enc_ep where status is distinct from 'finished'"
    )
    con.execute(
        """create or replace temp table s_enc as
        select 'Encounter/' || e.key as src, e.loc, e.ep_key, e.d, e.in_scope,
               coalesce(a.minutes, e.minutes) as scheduled, 'attended' as status,
               e.minutes as attended, e.telehealth,
               list_concat(e.codings, coalesce(a.codings, [])) as cs, e.appt
        from enc_ep e left join apt a on a.key = e.appt where e.status = 'finished'"""
    )


def _appointment_rows(
    con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally, derived: bool
) -> None:
    t = "Appointment"
    tally.skip(
        con,
        t,
        "became an Encounter session",
        "select loc from apt where key in (select appt from s_enc where appt is not null)",
    )
    con.execute("delete from apt where key in (select appt from s_enc where appt is not null)")
    tally.skip(
        con, t, "status entered-in-error", "select loc from apt where status = 'entered-in-error'"
    )
    _skip_statuses(
        con,
        tally,
        t,
        "select status, loc from apt where "
        "coalesce(status, '') not in ('noshow', 'fulfilled', 'cancelled', 'entered-in-error')",
    )
    if derived:
        tally.skip(
            con,
            t,
            "not an IOP appointment ([fhir.derive_episodes] codes)",
            "select loc from apt where not iop and status in ('noshow', 'fulfilled', 'cancelled')",
        )
    con.execute(
        "create or replace temp table apt1 as select * from apt where iop and "
        "status in ('noshow', 'fulfilled', 'cancelled')"
    )
    con.execute(
        """create or replace temp table apt_ref as
        with p as (select key, fhir_ref(r, 'Patient') as patient, pos from (
                     select key, unnest(actors) as r, generate_subscripts(actors, 1) as pos
                     from apt1)),
             s as (select key, fhir_ref(r, 'EpisodeOfCare') as named, pos from (
                     select key, unnest(supporting) as r, generate_subscripts(supporting, 1) as pos
                     from apt1))
        select a.key,
               (select arg_min(p.patient, p.pos) from p where p.key = a.key
                and p.patient is not null) as patient,
               (select arg_min(s.named, s.pos) from s where s.key = a.key
                and s.named in (select ep_key from ep)) as named
        from apt1 a"""
    )
    con.execute(
        f"""create or replace temp table apt_ep as
        select a.key, coalesce(r.named, (
                 select min(ep.ep_key) from ep where ep.patient = r.patient and {_in_scope("a")}
                 having count(*) = 1)) as ep_key
        from apt1 a join apt_ref r using (key)"""
    )
    _unassigned(
        con,
        tally,
        t,
        "select a.key, a.loc from apt1 a join apt_ep using (key) where ep_key is null",
    )
    con.execute(
        "create or replace temp table apt_c as select key, loc, cancel from apt1 "
        "where status = 'cancelled'"
    )
    cancel = cfg.maps["cancellation"]
    tally.mapped(
        "cancellation",
        map_codes(
            con,
            "cancellation",
            cancel,
            src="apt_c",
            codings="cancel",
            out="m_cancel",
            fallback=CANCEL_RULE,
        ),
    )
    if cancel.other:
        con.execute("update m_cancel set value = $v where value is null", {"v": cancel.other})
    tally.skip(
        con,
        t,
        "cancelled without a cancelationReason (give [fhir.cancellation] other)",
        "select loc from m_cancel where value is null and not has_code",
    )
    con.execute(
        """create or replace temp table s_apt as
        select 'Appointment/' || a.key as src, a.loc, e.ep_key, a.d,
               a.d between ep.admit and coalesce(ep.span_end, DATE '9999-12-31') as in_scope,
               a.minutes as scheduled,
               case a.status when 'noshow' then 'no_show' when 'fulfilled' then 'attended'
                    else m.value end as status,
               null::double as attended, false as telehealth, a.codings as cs,
               null::varchar as appt
        from apt1 a join apt_ep e using (key) join ep on ep.ep_key = e.ep_key
        left join m_cancel m using (key)
        where a.status <> 'cancelled' or m.value is not null"""
    )


def assessments(con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally) -> None:
    """``asm(ep_key, assessed_on, instrument, score)`` from instrument-coded Observations."""
    t = "Observation"
    keep = ", ".join(f"'{s}'" for s in OBS_KEEP)
    _skip_statuses(
        con,
        tally,
        t,
        f"select status, loc from fhir_observation_1 where coalesce(status, '') not in ({keep})",
    )
    con.execute(
        f"""create or replace temp table obs as
        select o.key, o.loc, o.codings, try_cast(left(o.effective, 10) as date) as d,
               try_cast(o.value as double) as score,
               coalesce(fhir_ref(o.subject, 'Patient'), e.patient) as patient, ee.ep_key as via
        from fhir_observation_1 o
        left join enc e on e.key = fhir_ref(o.encounter, 'Encounter')
        left join enc_ep ee on ee.key = e.key
        where o.status in ({keep})"""
    )
    instruments = CodeMap(dict(cfg.instruments))
    tally.mapped(
        "instrument",
        map_codes(con, "instrument", instruments, src="obs", codings="codings", out="m_instr"),
    )
    con.execute(
        f"""create or replace temp table obs_ep as
        select o.*, m.value as instrument, coalesce(o.via, (
                 select min(ep.ep_key) from ep where ep.patient = o.patient and {_in_scope("o")}
                 having count(*) = 1)) as ep_key
        from obs o join m_instr m using (key)"""
    )
    tally.skip(con, t, "no value", "select loc from obs_ep where score is null")
    tally.skip(con, t, "no date", "select loc from obs_ep where score is not null and d is null")
    # The score ranges (built in, or the mapping's definitions) as rows: no code is ever
    # formatted into the SQL.
    con.execute("create or replace temp table _ranges (instrument varchar, lo double, hi double)")
    con.executemany(
        "insert into _ranges values (?, ?, ?)", [[k, *v] for k, v in ranges(cfg).items()]
    )
    con.execute(
        "create or replace temp table obs_ep as select o.*, "
        "o.score not between r.lo and r.hi as out_of_range "
        "from obs_ep o join _ranges r using (instrument)"
    )
    tally.skip(
        con, t, "score outside the instrument's range", "select loc from obs_ep where out_of_range"
    )
    valid = "score is not null and d is not null and not out_of_range"
    _unassigned(con, tally, t, f"select key, loc from obs_ep where {valid} and ep_key is null")
    con.execute(
        f"create or replace temp table asm as select ep_key, d as assessed_on, instrument, score "
        f"from obs_ep where {valid} and ep_key is not null"
    )
