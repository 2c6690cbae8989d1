-- The due episode-windows of spec recovery.md (After discharge), read as `due` by
-- follow_up_answers.sql, follow_up_detail.sql and follow_up.sql: one row per in-scope episode
-- with a discharge_date (on or before as_of) and window (`windows`, follow_up_windows.sql) that
-- closed (discharge_date + the window's last day) in the twelve months ending P.end
-- (P.end - 364 .. P.end, or P.start .. P.end when P is longer), so on or before as_of (never
-- before P.end); an episode that ended with reason `died` is never due. Unsorted.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
)

select
    e.episode_id,
    e.site,
    e.track,
    e.level_of_care,
    e.discharge_date,
    w.window_name,
    w.window_order,
    e.discharge_date + w.first_day as opens_on,
    e.discharge_date + w.last_day as closes_on
from episodes as e
cross join windows as w
where e.discharge_date is not null
    and e.discharge_reason <> 'died'
    and e.discharge_date + w.last_day
    between least(cast($start as date), cast($end as date) - 364) and $end
