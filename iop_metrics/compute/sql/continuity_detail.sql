-- Continuity of care after residential or inpatient treatment (metrics.md; analogue of NQF/CBE
-- #3453): one row per discharge in P from a residential or inpatient episode (any level; the
-- site in scope, if any), except reason died, with the first day after discharge on which the
-- client attended a session in, or was admitted to, another episode (within 14 days).
with visible as (
    select * from visible_episodes($as_of)
),

discharged as (
    select episode_id, client_id, level_of_care, discharge_date
    from visible
    where setting in ('residential', 'inpatient')
        and discharge_date between $start and $end
        and discharge_reason <> 'died'
        and ($site is null or site = $site)
),

-- the episodes of the discharged clients (only their contacts can follow a discharge)
their_episodes as (
    select o.client_id, o.episode_id, o.admit_date
    from visible as o
    where o.client_id in (select client_id from discharged)
),

contacts as (
    select o.client_id, o.episode_id, o.admit_date as contact_date
    from their_episodes as o
    union all
    select o.client_id, o.episode_id, s.session_date as contact_date
    from main.sessions as s
    inner join their_episodes as o on o.episode_id = s.episode_id
    where s.status = 'attended'
        and s.session_date between cast($start as date) + 1 and cast($end as date) + 14
        and s.session_date <= $as_of
),

first_contact as (
    select
        d.episode_id,
        date_diff('day', d.discharge_date, min(c.contact_date)) as days_to_follow_up
    from discharged as d
    inner join contacts as c
        on c.client_id = d.client_id
        and c.episode_id <> d.episode_id
        and c.contact_date between d.discharge_date + 1 and d.discharge_date + 14
    group by d.episode_id, d.discharge_date
),

final as (
    select
        d.episode_id,
        d.level_of_care,
        d.discharge_date,
        f.days_to_follow_up,
        d.discharge_date + 7 > $as_of as pending_7d,
        d.discharge_date + 14 > $as_of as pending_14d,
        coalesce(d.discharge_date + 7 <= $as_of and f.days_to_follow_up <= 7, false)
            as followed_up_7d,
        coalesce(d.discharge_date + 14 <= $as_of and f.days_to_follow_up <= 14, false)
            as followed_up_14d
    from discharged as d
    left join first_contact as f on f.episode_id = d.episode_id
)

select * from final order by discharge_date, episode_id
