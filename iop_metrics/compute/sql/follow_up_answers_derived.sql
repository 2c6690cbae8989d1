-- follow_up_answers.sql's rows from the derived due rows (`due`, follow_up_due_derived.sql),
-- read as `answers` by follow_up_detail.sql and follow_up.sql: the due episode-windows with a
-- contact up to the close, with their category and items.
-- reads: due=follow_up_due_derived
select
    episode_id,
    window_name,
    category,
    reached_on,
    use_frequency,
    employment,
    living,
    arrests
from due
where category is not null
