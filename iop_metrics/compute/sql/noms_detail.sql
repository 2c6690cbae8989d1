-- Admission to discharge (spec recovery.md, the document's `noms` key): one row per ended
-- episode and domain. Ended: the outcome cohort's in-scope episodes with discharge_date in P and
-- on or before as_of, any reason (the ended_episodes macro). Over the noms rows dated on or
-- before as_of (`time_points`) and `domains` (noms_domains.sql): the episode's admission
-- and discharge rows (at most one each, a contract rule), the domain's item on each (noms_item)
-- and its yes/no (noms_positive; null = unknown). Paired = both rows know the domain; gained =
-- positive at discharge, not at admission; lost = the reverse; for abstinence the use levels
-- (noms_use_level: none < some < daily) and reduced = a lower level at discharge (stopping
-- counts). The flags are null where the episode is not paired on the domain. Reads `ended`
-- (noms_ended.sql) and `time_points` (noms_time_points_derived.sql, from the derived table
-- episode_noms).
-- reads: domains=noms_domains, ended=noms_ended, time_points=noms_time_points_derived
with values_by_domain as (
    select
        e.episode_id,
        e.site,
        e.track,
        e.level_of_care,
        e.admit_date,
        e.discharge_date,
        d.domain,
        coalesce(t.with_admission, false) as with_admission,
        coalesce(t.with_discharge, false) as with_discharge,
        noms_item(d.domain, t.a_use, t.a_employment, t.a_living, t.a_arrests, t.a_self_help)
            as admission_value,
        noms_item(d.domain, t.d_use, t.d_employment, t.d_living, t.d_arrests, t.d_self_help)
            as discharge_value
    from ended as e
    cross join domains as d
    left join time_points as t on t.episode_id = e.episode_id
),

flags as (
    select
        *,
        noms_positive(domain, admission_value) as admission_positive,
        noms_positive(domain, discharge_value) as discharge_positive,
        admission_value is not null and discharge_value is not null as paired,
        case when domain = 'abstinent' then noms_use_level(admission_value) end
            as admission_level,
        case when domain = 'abstinent' then noms_use_level(discharge_value) end
            as discharge_level
    from values_by_domain
),

final as (
    select
        episode_id,
        site,
        track,
        level_of_care,
        admit_date,
        discharge_date,
        domain,
        with_admission,
        with_discharge,
        admission_value,
        discharge_value,
        paired,
        case when paired then admission_positive end as admission,
        case when paired then discharge_positive end as discharge,
        case when paired then discharge_positive and not admission_positive end as gained,
        case when paired then admission_positive and not discharge_positive end as lost,
        admission_level,
        discharge_level,
        case
            when paired and domain = 'abstinent' then discharge_level < admission_level
        end as reduced
    from flags
)

select * from final order by discharge_date, episode_id, domain
