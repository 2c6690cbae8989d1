-- The due episode-windows, from the derived table episode_follow_up
-- (derived_episode_follow_up.sql), read as `due` by follow_up_answers_derived.sql,
-- follow_up_detail.sql and follow_up.sql: the in-scope episodes
-- visible as discharged at as_of (a known level, as visible_episodes asks) whose window closed
-- in the twelve months ending P.end, with the category and items of their contacts.
select
    f.episode_id,
    f.site,
    f.track,
    f.level_of_care,
    f.discharge_date,
    f.window_name,
    f.window_order,
    f.opens_on,
    f.closes_on,
    f.category,
    f.reached_on,
    f.use_frequency,
    f.employment,
    f.living,
    f.arrests
from main.episode_follow_up as f
inner join main.levels_of_care as l on l.code = f.level_of_care
where f.closes_on between least(cast($start as date), cast($end as date) - 364) and $end
    and ($levels is null or list_contains($levels, f.level_of_care))
    and ($site is null or f.site = $site)
    and ($track is null or f.track = $track)
