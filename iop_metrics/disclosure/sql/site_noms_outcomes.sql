-- The sites page's abstinence at discharge as episode_site_cells.sql reads it (`outcomes`): one
-- row (measure, episode_id, y) per ended episode of noms_detail.sql paired on abstinence, y = 1
-- when abstinent at discharge (comparison.recovery_by_site). Its records are keyed
-- `n:abstinent:<id>`, as noms_cells.sql keys what an episode's rows say of abstinence.
-- reads: detail=noms_detail
select
    'abstinent_discharge' as measure,
    episode_id,
    case when discharge then 1 else 0 end as y
from detail
where domain = 'abstinent' and paired
