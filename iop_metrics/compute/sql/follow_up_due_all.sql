-- Every discharged episode's follow-up windows (`windows`, follow_up_windows.sql), whatever the
-- period and as_of, read as `due` by derived_episode_follow_up.sql: episodes that ended with
-- reason `died` are never due.
-- reads: windows=follow_up_windows
select
    e.episode_id,
    e.site,
    e.track,
    e.level_of_care,
    e.admit_date,
    e.discharge_date,
    w.window_name,
    w.window_order,
    e.discharge_date + w.first_day as opens_on,
    e.discharge_date + w.last_day as closes_on
from main.episodes as e
cross join windows as w
where e.discharge_date is not null
    and e.discharge_reason <> 'died'
