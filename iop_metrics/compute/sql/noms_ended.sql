-- The ended episodes of spec recovery.md (Admission to discharge), read as `ended` by
-- noms_time_points*.sql and noms_detail.sql: the outcome cohort's in-scope episodes with
-- discharge_date in P and on or before as_of, any reason (the ended_episodes macro).
select episode_id, site, track, level_of_care, admit_date, discharge_date
from ended_episodes($as_of, $levels, $site, $track, $start, $end)
