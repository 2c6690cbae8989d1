-- Derived table episode_noms, built at every load from the canonical tables (issue #29's
-- benchmark; the noms table is empty when not given): for every discharged episode with an admission or a
-- discharge noms row, the date and items of each (at most one each, a contract rule), whatever
-- the dates. Exact for every as_of A: noms_time_points_derived.sql keeps a side only when its
-- row is dated on or before A (rows dated after A do not exist), and an episode ended as of A
-- was discharged on its recorded date. Sorted by discharge date, so that a period's rows are a
-- few of the table's row groups.
select
    e.episode_id,
    e.discharge_date,
    max(case when n.time_point = 'admission' then n.collected_on end) as admission_on,
    max(case when n.time_point = 'admission' then n.use_frequency end) as a_use,
    max(case when n.time_point = 'admission' then n.employment end) as a_employment,
    max(case when n.time_point = 'admission' then n.living end) as a_living,
    max(case when n.time_point = 'admission' then n.arrests end) as a_arrests,
    max(case when n.time_point = 'admission' then n.self_help end) as a_self_help,
    max(case when n.time_point = 'discharge' then n.collected_on end) as discharge_on,
    max(case when n.time_point = 'discharge' then n.use_frequency end) as d_use,
    max(case when n.time_point = 'discharge' then n.employment end) as d_employment,
    max(case when n.time_point = 'discharge' then n.living end) as d_living,
    max(case when n.time_point = 'discharge' then n.arrests end) as d_arrests,
    max(case when n.time_point = 'discharge' then n.self_help end) as d_self_help
from main.noms as n
inner join main.episodes as e on e.episode_id = n.episode_id
where e.discharge_date is not null
    and n.time_point in ('admission', 'discharge')
group by e.episode_id, e.discharge_date
order by e.discharge_date, e.episode_id
