-- Derived table episode_next, built at load from the canonical tables (issue #11): for every
-- discharged episode e, the client's earliest other episode n that began after e began and had
-- not ended before e's discharge D, with no window and no as_of (ties: higher intensity, then
-- the smaller episode_id, as in next_episode). Exact for every as_of A and window w: with
-- D <= A, an n discharged after A looks open as of A and still ends on or after D, so A only
-- removes candidates admitted after A; candidates are ordered by admit date first, so
-- next_episode(A, w) is this row when next_admit_date <= A and <= D + w, and no row otherwise
-- (_macros.sql).
with candidates as (
    select
        e.episode_id,
        e.admit_date,
        e.discharge_date,
        n.episode_id as next_episode_id,
        n.level_of_care as next_level,
        l.intensity as next_intensity,
        n.admit_date as next_admit_date,
        row_number() over (
            partition by e.episode_id
            order by n.admit_date, l.intensity desc, n.episode_id
        ) as rank_in_client
    from main.episodes as e
    inner join main.levels_of_care as le on le.code = e.level_of_care
    inner join main.episodes as n
        on n.client_id = e.client_id
        and n.episode_id <> e.episode_id
        and n.admit_date > e.admit_date
        and (n.discharge_date is null or n.discharge_date >= e.discharge_date)
    inner join main.levels_of_care as l on l.code = n.level_of_care
    where e.discharge_date is not null
)

select
    episode_id,
    admit_date,
    discharge_date,
    next_episode_id,
    next_level,
    next_intensity,
    next_admit_date
from candidates
where rank_in_client = 1
