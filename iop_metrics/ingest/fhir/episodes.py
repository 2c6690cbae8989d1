"""Staged FHIR resources -> episode and session rows (still keyed by FHIR ids).

Episodes come from EpisodeOfCare, or, when the export has none and the mapping
asks for it, are derived from the encounters its codes mark as IOP (a gap of
more than ``gap_days`` ends an episode). Sessions are Encounters joined to
their Appointment, plus Appointments that never became an Encounter (no-shows,
cancellations). Every resource left out is counted with a reason in the
``Tally``; a session is never attached to an episode by guessing.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from ...errors import Violation
from .codes import Tally, map_codes
from .config import FhirConfig

OPEN_END = "DATE '9999-12-31'"
EPISODE_SKIP = ("entered-in-error", "cancelled", "planned", "waitlist")
MINUTES = """round(coalesce(
    case lower(length_unit) when 'min' then 1 when 'minute' then 1 when 'minutes' then 1
      when 'h' then 60 when 'hour' then 60 when 'hours' then 60 when 'd' then 1440
      when 's' then 1.0 / 60 end * try_cast(length_value as double),
    date_diff('minute', try_cast(start as timestamptz), try_cast("end" as timestamptz))))"""
CANCEL_RULE = (
    "case when substr(c, strpos(c, '|') + 1) like 'pat%' then 'cancelled_client' "
    "when substr(c, strpos(c, '|') + 1) like 'prov%' then 'cancelled_program' end"
)


def _code_part(col: str) -> str:
    return f"list_transform({col}, lambda c: substr(c, strpos(c, '|') + 1))"


def prepare_encounters(con: duckdb.DuckDBPyConnection, cfg: FhirConfig) -> None:
    """``enc``: encounters with resolved references, date, minutes and an IOP flag."""
    iop = "false"
    params: dict[str, object] = {}
    if cfg.derive is not None:
        params = {
            "full": [c for c in cfg.derive.codes if "|" in c] or [""],
            "bare": [c for c in cfg.derive.codes if "|" not in c] or [""],
        }
        codes = "list_concat(codings, case when class is null then [] else [class] end)"
        iop = f"(list_has_any({codes}, $full) or list_has_any({_code_part(codes)}, $bare))"
    con.execute(
        f"""create or replace temp table enc as
        select key, loc, status, fhir_ref(subject, 'Patient') as patient,
               fhir_ref(episode, 'EpisodeOfCare') as ep_ref,
               fhir_ref(appointment, 'Appointment') as appt,
               try_cast(left(start, 10) as date) as d, {MINUTES} as minutes,
               coalesce(substr(class, strpos(class, '|') + 1) = 'VR', false) as telehealth,
               codings, disposition, {iop} as iop
        from fhir_encounter_1""",
        params,
    )


def episodes_from_fhir(con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally) -> None:
    """``ep(ep_key, src, patient, site, level, track, admit, discharge, span_end, reason, loc)``."""
    t = "EpisodeOfCare"
    for status in EPISODE_SKIP:
        tally.skip(
            con,
            t,
            f"status {status}",
            f"select loc from fhir_episodeofcare_1 where status = '{status}'",
        )
    skipped = ", ".join(f"'{s}'" for s in EPISODE_SKIP)
    con.execute(
        f"""create or replace temp table ep0 as
        select key, loc, status, fhir_ref(patient, 'Patient') as patient, codings, org, ext,
               try_cast(left(start, 10) as date) as admit,
               try_cast(left("end", 10) as date) as discharge
        from fhir_episodeofcare_1 where coalesce(status, '') not in ({skipped})"""
    )
    tally.skip(
        con, t, "patient reference not resolved", "select loc from ep0 where patient is null"
    )
    tally.skip(
        con, t, "no period.start", "select loc from ep0 where patient is not null and admit is null"
    )
    tally.skip(
        con,
        t,
        "period.end before period.start",
        "select loc from ep0 where patient is not null and discharge < admit",
    )
    con.execute(
        "create or replace temp table ep1 as select * from ep0 where patient is not null "
        "and admit is not null and (discharge is null or discharge >= admit)"
    )
    n_open = con.execute(
        "select count(*), first_loc(loc) from ep1 where status = 'finished' and discharge is null"
    ).fetchall()[0]
    if n_open and n_open[0]:
        tally.notes.append(
            f"{n_open[0]} finished EpisodeOfCare without period.end kept as open "
            f"(first {n_open[1]})"
        )
    tally.mapped(
        "level_of_care",
        map_codes(
            con,
            "level_of_care",
            cfg.maps["level_of_care"],
            src="ep1",
            codings="codings",
            out="m_level",
        ),
    )
    none = con.execute(
        "select count(*), first_loc(loc) from m_level where value is null and not has_code"
    ).fetchall()[0]
    if none and none[0]:
        tally.problems.append(
            Violation(
                str(none[1]),
                0,
                "level_of_care",
                f"{none[0]} EpisodeOfCare have no type coding; give [fhir.level_of_care] value = "
                '"<level>" if the whole export is one level of care',
            )
        )
    site = cfg.maps["site"]
    if site.codes or site.other or site.value:
        org = "case when org is null then [] else ['|' || regexp_extract(org, '([^/|=]+)$', 1)] end"
        tally.mapped("site", map_codes(con, "site", site, src="ep1", codings=org, out="m_site"))
    else:
        con.execute(
            "create or replace temp table m_site as select key, null::varchar as value from ep1"
        )
        tally.notes.append("no [fhir.site]: every episode is at site 'main'")
    _reason_source(con, cfg)
    _map_reasons(con, cfg, tally, missing_default=cfg.discharge_missing)
    _map_track(con, cfg, tally)
    con.execute(
        """create or replace temp table ep as
        select e.key as ep_key, 'EpisodeOfCare/' || e.key as src, e.patient, s.value as site,
               l.value as level, tr.value as track, e.admit, e.discharge, e.discharge as span_end,
               case when e.discharge is not null then r.value end as reason, e.loc
        from ep1 e join m_level l using (key) join m_site s using (key)
        join m_track tr using (key) left join m_reason r using (key)"""
    )


def _map_track(con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally) -> None:
    """``m_track(key, value)``: each episode's track from its EpisodeOfCare.type codings through
    ``[fhir.track]``. The codings ``[fhir.level_of_care]`` names (and, with source
    "episode-type", ``[fhir.discharge_reason]``) are theirs, not the track's; any other coding
    the track map does not name is an error (unless ``other``); no coding left: no track."""
    track = cfg.maps["track"]
    if not (track.codes or track.other or track.value):
        con.execute(
            "create or replace temp table m_track as select key, null::varchar as value from ep1"
        )
        return
    owners = [cfg.maps["level_of_care"]]
    if cfg.discharge_source == "episode-type":
        owners.append(cfg.maps["discharge_reason"])
    keys = [k for m in owners for k in m.codes]
    con.execute(
        "create or replace temp table ep_tr as select key, loc, list_filter(codings, lambda c: "
        "not (list_contains($full, c) or list_contains($bare, substr(c, strpos(c, '|') + 1)))) "
        "as cs from ep1",
        {
            "full": [k for k in keys if "|" in k] or [""],
            "bare": [k for k in keys if "|" not in k] or [""],
        },
    )
    tally.mapped("track", map_codes(con, "track", track, src="ep_tr", codings="cs", out="m_track"))
    none = con.execute("select count(*) from m_track where value is null").fetchall()[0]
    if none and none[0]:
        tally.notes.append(
            f"{none[0]} EpisodeOfCare have no track: no type coding beyond their level of care"
        )


def _reason_source(con: duckdb.DuckDBPyConnection, cfg: FhirConfig) -> None:
    """``rs(key, loc, cs)``: for each closed episode, the codings that say why it ended."""
    if cfg.discharge_source == "episode-type":
        con.execute("create or replace temp table rs as select key, loc, codings as cs from ep1")
    elif cfg.discharge_source == "extension":
        value = (
            "coalesce(x->>'$.valueCode', coalesce(x->>'$.valueCoding.system', '') || '|' || "
            "(x->>'$.valueCoding.code'), coalesce(x->>'$.valueCodeableConcept.coding[0].system', "
            "'') || '|' || (x->>'$.valueCodeableConcept.coding[0].code'), x->>'$.valueString')"
        )
        con.execute(
            f"create or replace temp table rs as select key, loc, list_filter(list_transform("
            f"list_filter(ext, lambda x: (x->>'$.url') = $url), lambda x: {value}), "
            f"lambda v: v is not null) as cs from ep1",
            {"url": cfg.discharge_url},
        )
    else:  # the discharge disposition of the episode's last encounter that has one
        con.execute(
            """create or replace temp table rs as
            select e.key, e.loc, coalesce(last.cs, []) as cs from ep1 e left join (
                select ep_ref as key, arg_max(disposition, d) as cs from enc
                where len(disposition) > 0 and ep_ref is not null group by ep_ref
            ) last using (key)"""
        )
    con.execute("delete from rs where key not in (select key from ep1 where discharge is not null)")


def _map_reasons(
    con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally, *, missing_default: str | None
) -> None:
    tally.mapped(
        "discharge_reason",
        map_codes(
            con,
            "discharge_reason",
            cfg.maps["discharge_reason"],
            src="rs",
            codings="cs",
            out="m_reason",
            digits=True,
        ),
    )
    if missing_default is not None:
        con.execute(
            "update m_reason set value = $v where value is null and not has_code",
            {"v": missing_default},
        )
    gap = con.execute(
        "select count(*), first_loc(loc) from m_reason where value is null and not has_code"
    ).fetchall()[0]
    if gap and gap[0]:
        tally.problems.append(
            Violation(
                str(gap[1]),
                0,
                "discharge_reason",
                f"{gap[0]} closed episode(s) have no discharge reason in the configured source "
                f'({cfg.discharge_source}); set [fhir.discharge_reason] missing = "other" '
                "(or another reason) to accept that",
            )
        )


def derive_episodes(
    con: duckdb.DuckDBPyConnection, cfg: FhirConfig, tally: Tally, as_of: dt.date
) -> None:
    """``ep`` from the finished IOP encounters of each patient, split at gaps > gap_days."""
    assert cfg.derive is not None
    con.execute(
        """create or replace temp table spans as
        with o as (select patient, key, d, disposition, loc from enc
                   where iop and status = 'finished' and patient is not null and d is not null),
        g as (select *, case when d - lag(d) over w > $gap then 1 else 0 end as brk
              from o window w as (partition by patient order by d, key)),
        n as (select *, sum(brk) over (partition by patient order by d, key
                                       rows unbounded preceding) as grp from g)
        select patient, first(key order by d, key) as first_key, min(d) as admit,
               max(d) as last_day, first_loc(loc) as loc,
               last(disposition order by d, key) filter (where len(disposition) > 0) as cs
        from n group by patient, grp""",
        {"gap": cfg.derive.gap_days},
    )
    con.execute(
        """create or replace temp table ep1 as
        select 'derived-' || first_key as key, loc, patient, admit, last_day,
               case when last_day + $gap < $as_of then last_day end as discharge,
               coalesce(cs, []) as cs from spans""",
        {"gap": cfg.derive.gap_days, "as_of": as_of},
    )
    con.execute(
        "create or replace temp table rs as "
        "select key, loc, cs from ep1 where discharge is not null"
    )
    # Derived episodes end "other" unless a mapped disposition says otherwise.
    _map_reasons(con, cfg, tally, missing_default="other")
    con.execute(
        """create or replace temp table ep as
        select e.key as ep_key, 'EpisodeOfCare/' || e.key as src, e.patient,
               null::varchar as site, $level as level, cast($track as varchar) as track,
               e.admit, e.discharge, e.discharge as span_end, r.value as reason, e.loc
        from ep1 e left join m_reason r using (key)""",
        # derived episodes have no EpisodeOfCare.type: only a constant track applies
        {"level": cfg.derive.level_of_care, "track": cfg.maps["track"].value},
    )
    n = con.execute("select count(*) from ep").fetchall()[0]
    tally.notes.append(
        f"{n[0] if n else 0} episode(s) derived from encounters (no EpisodeOfCare in the export)"
    )
