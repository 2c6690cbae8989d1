-- The outcome cohort of P (spec outcomes.md, The outcome cohort): every in-scope episode that
-- ended in P on or before as_of (whatever the reason; a step-down ends an episode too), with its
-- attended sessions whose service_type is not assessment, dated admit_date .. discharge_date
-- (the ended_episodes and treatment_sessions macros: read from the derived table
-- episode_treatment). course = at least 2 of them (NHS Talking
-- Therapies: "finished a course of treatment").
with ended as (
    select * from ended_episodes($as_of, $levels, $site, $track, $start, $end)
),

treatment as (
    select episode_id, treatment_sessions
    from treatment_sessions($start, $end)
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
