-- The outcome cohort of P (spec outcomes.md, The outcome cohort): every in-scope episode that
-- ended in P on or before as_of (whatever the reason; a step-down ends an episode too), with its
-- attended sessions whose service_type is not assessment, dated admit_date .. discharge_date.
-- course = at least 2 of them (NHS Talking Therapies: "finished a course of treatment").
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

ended as (
    select episode_id, client_id, site, track, level_of_care, admit_date, discharge_date
    from episodes
    where discharge_date between $start and $end
),

treatment as (
    select
        s.episode_id,
        count(*) as treatment_sessions
    from main.sessions as s
    inner join ended as e on e.episode_id = s.episode_id
    where s.status = 'attended'
        and s.service_type <> 'assessment'
        and s.session_date between e.admit_date and e.discharge_date
    group by s.episode_id
),

final as (
    select
        e.episode_id,
        e.client_id,
        e.site,
        e.track,
        e.level_of_care,
        e.admit_date,
        e.discharge_date,
        coalesce(t.treatment_sessions, 0) as treatment_sessions,
        coalesce(t.treatment_sessions, 0) >= 2 as course
    from ended as e
    left join treatment as t on t.episode_id = e.episode_id
)

select * from final order by discharge_date, episode_id
