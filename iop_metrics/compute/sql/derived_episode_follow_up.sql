-- Derived table episode_follow_up, built at every load from the canonical tables (issue #29's
-- benchmark; the noms table is empty when not given): every discharged episode's follow-up windows
-- (`due`, follow_up_due_all.sql; never for reason `died`) with the category and items its
-- follow_up contacts give (`answers`, follow_up_answers.sql over every follow_up row, `items`:
-- follow_up_items_all.sql; null category when it has no contact up to the window's close).
-- Exact for every as_of A on or after P.end: a window due for P closed on or before P.end, so
-- every contact it reads (dated up to the close) exists at A, and an episode visible as
-- discharged at A was discharged on its recorded date with its recorded reason
-- (follow_up_due_derived.sql filters it). Sorted by the close, so that the twelve months of a
-- period are a few of the table's row groups.
-- reads: due=follow_up_due_all, answers=follow_up_answers
select
    d.episode_id,
    d.site,
    d.track,
    d.level_of_care,
    d.admit_date,
    d.discharge_date,
    d.window_name,
    d.window_order,
    d.opens_on,
    d.closes_on,
    a.category,
    a.reached_on,
    a.use_frequency,
    a.employment,
    a.living,
    a.arrests
from due as d
left join answers as a on a.episode_id = d.episode_id and a.window_name = d.window_name
order by d.closes_on, d.episode_id, d.window_order
