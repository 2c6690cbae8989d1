-- The admission and discharge items of the ended episodes (`ended`, noms_ended.sql), one row per
-- episode with either row in `items` (noms_items.sql: dated on or before as_of), read as
-- `time_points` by noms_detail.sql: with_admission, with_discharge and each item on each side
-- (at most one row each, a contract rule). For speed, only the rows a contract rule allows are
-- read: an admission row is dated from admit_date - 30, a discharge row from discharge_date - 30
-- (so from the earliest admission / P.start, less 30).
select
    i.episode_id,
    max(case when i.time_point = 'admission' then 1 else 0 end) = 1 as with_admission,
    max(case when i.time_point = 'discharge' then 1 else 0 end) = 1 as with_discharge,
    max(case when i.time_point = 'admission' then i.use_frequency end) as a_use,
    max(case when i.time_point = 'admission' then i.employment end) as a_employment,
    max(case when i.time_point = 'admission' then i.living end) as a_living,
    max(case when i.time_point = 'admission' then i.arrests end) as a_arrests,
    max(case when i.time_point = 'admission' then i.self_help end) as a_self_help,
    max(case when i.time_point = 'discharge' then i.use_frequency end) as d_use,
    max(case when i.time_point = 'discharge' then i.employment end) as d_employment,
    max(case when i.time_point = 'discharge' then i.living end) as d_living,
    max(case when i.time_point = 'discharge' then i.arrests end) as d_arrests,
    max(case when i.time_point = 'discharge' then i.self_help end) as d_self_help
from items as i
inner join ended as e on e.episode_id = i.episode_id
where (i.time_point = 'discharge' and i.collected_on >= cast($start as date) - 30)
    or (
        i.time_point = 'admission'
        and i.collected_on >= (select min(admit_date) from ended) - 30
    )
group by i.episode_id
