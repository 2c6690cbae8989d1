-- Inflow (metrics.md, Transitions, Inflow): one row per in-scope admission in P with its previous
-- episode: the client's episode p, discharged on or before as_of, whose next episode is this
-- admission; if several, the one discharged last (ties: higher intensity, then smaller id).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

admissions as (
    select * from episodes where admit_date between $start and $end
),

previous as (
    select
        n.next_episode_id as episode_id,
        p.episode_id as previous_episode_id,
        p.level_of_care as previous_level,
        p.intensity as previous_intensity,
        row_number() over (
            partition by n.next_episode_id
            order by p.discharge_date desc, p.intensity desc, p.episode_id
        ) as rank_for_admission
    from next_episode($as_of, $window) as n
    inner join visible_episodes($as_of) as p on p.episode_id = n.episode_id
    -- only the admissions in P: each keeps all its candidates, so its rank is the same
    where n.next_episode_id in (select episode_id from admissions)
),

final as (
    select
        a.episode_id,
        a.level_of_care,
        a.admit_date,
        p.previous_episode_id,
        p.previous_level,
        case
            when p.previous_episode_id is null then 'direct'
            when p.previous_intensity > a.intensity then 'stepped_down_into'
            when p.previous_intensity < a.intensity then 'stepped_up_into'
            else 'lateral_into'
        end as outcome
    from admissions as a
    left join previous as p on p.episode_id = a.episode_id and p.rank_for_admission = 1
)

select * from final order by admit_date, episode_id
