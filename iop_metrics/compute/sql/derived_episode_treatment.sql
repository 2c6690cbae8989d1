-- Derived table episode_treatment, built at load from the canonical tables (issue #14's
-- benchmark): every discharged episode (with its scope columns) and its attended sessions whose
-- service_type is not assessment dated admit_date .. discharge_date (outcomes.md: a course of
-- treatment has 2 or more). Exact for every as_of A: the outcome cohort as of A holds only
-- episodes discharged on or before A, whose discharge_date as of A is the recorded one, and
-- their sessions dated up to it are all on or before A (ended_episodes and treatment_sessions
-- in _macros.sql). Sorted by discharge date, so that a period's rows are a few of the
-- table's row groups.
select
    e.episode_id,
    e.client_id,
    e.site,
    e.track,
    e.level_of_care,
    e.admit_date,
    e.discharge_date,
    count(s.episode_id) as treatment_sessions
from main.episodes as e
left join main.sessions as s
    on s.episode_id = e.episode_id
    and s.status = 'attended'
    and s.service_type <> 'assessment'
    and s.session_date between e.admit_date and e.discharge_date
where e.discharge_date is not null
group by
    e.episode_id, e.client_id, e.site, e.track, e.level_of_care, e.admit_date, e.discharge_date
order by e.discharge_date, e.episode_id
