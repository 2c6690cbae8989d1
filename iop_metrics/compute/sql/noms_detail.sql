-- Admission to discharge (spec recovery.md, the document's `noms` key): one row per ended
-- episode and domain. Ended: the outcome cohort's in-scope episodes with discharge_date in P and
-- on or before as_of, any reason (the ended_episodes macro). Over `items` (noms_items.sql: the
-- noms rows dated on or before as_of) and `domains` (noms_domains.sql): the episode's admission
-- and discharge rows (at most one each, a contract rule), the domain's item on each (noms_item)
-- and its yes/no (noms_positive; null = unknown). Paired = both rows know the domain; gained =
-- positive at discharge, not at admission; lost = the reverse; for abstinence the use levels
-- (noms_use_level: none < some < daily) and reduced = a lower level at discharge (stopping
-- counts). The flags are null where the episode is not paired on the domain.
with ended as (
    select episode_id, site, track, level_of_care, admit_date, discharge_date
    from ended_episodes($as_of, $levels, $site, $track, $start, $end)
),

time_points as (
    select
        i.episode_id,
        i.time_point,
        i.use_frequency,
        i.employment,
        i.living,
        i.arrests,
        i.self_help
    from items as i
    inner join ended as e on e.episode_id = i.episode_id
    where i.time_point in ('admission', 'discharge')
),

values_by_domain as (
    select
        e.episode_id,
        d.domain,
        d.domain_order,
        max(case when t.time_point = 'admission' then 1 else 0 end) = 1 as with_admission,
        max(case when t.time_point = 'discharge' then 1 else 0 end) = 1 as with_discharge,
        max(case when t.time_point = 'admission' then noms_item(
            d.domain, t.use_frequency, t.employment, t.living, t.arrests, t.self_help
        ) end) as admission_value,
        max(case when t.time_point = 'discharge' then noms_item(
            d.domain, t.use_frequency, t.employment, t.living, t.arrests, t.self_help
        ) end) as discharge_value
    from ended as e
    cross join domains as d
    left join time_points as t on t.episode_id = e.episode_id
    group by e.episode_id, d.domain, d.domain_order
),

flags as (
    select
        episode_id,
        domain,
        domain_order,
        with_admission,
        with_discharge,
        admission_value,
        discharge_value,
        noms_positive(domain, admission_value) as admission,
        noms_positive(domain, discharge_value) as discharge,
        admission_value is not null and discharge_value is not null as paired,
        case when domain = 'abstinent' then noms_use_level(admission_value) end
            as admission_level,
        case when domain = 'abstinent' then noms_use_level(discharge_value) end
            as discharge_level
    from values_by_domain
),

final as (
    select
        e.episode_id,
        e.site,
        e.track,
        e.level_of_care,
        e.admit_date,
        e.discharge_date,
        f.domain,
        f.with_admission,
        f.with_discharge,
        f.admission_value,
        f.discharge_value,
        f.paired,
        case when f.paired then f.admission end as admission,
        case when f.paired then f.discharge end as discharge,
        case when f.paired then f.discharge and not f.admission end as gained,
        case when f.paired then f.admission and not f.discharge end as lost,
        f.admission_level,
        f.discharge_level,
        case
            when f.paired and f.domain = 'abstinent' then f.discharge_level < f.admission_level
        end as reduced
    from flags as f
    inner join ended as e on e.episode_id = f.episode_id
)

select * from final order by discharge_date, episode_id, domain
