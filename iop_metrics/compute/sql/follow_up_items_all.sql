-- Every follow_up row of the noms table, whatever its date, read as `items` by
-- derived_episode_follow_up.sql (follow_up_answers.sql reads only those dated on or before a
-- window's close).
select
    episode_id,
    time_point,
    collected_on,
    contact,
    use_frequency,
    employment,
    living,
    arrests
from main.noms
where time_point = 'follow_up'
