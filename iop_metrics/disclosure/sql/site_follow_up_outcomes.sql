-- The sites page's 3-month follow-up response as episode_site_cells.sql reads it (`outcomes`):
-- one row (measure, episode_id, y) per episode of follow_up_detail.sql due at 3 months, y = 1
-- when reached (comparison.recovery_by_site). Its records are keyed `f:3m:<id>`, as
-- follow_up_cells.sql keys a due episode-window.
-- reads: detail=follow_up_detail
select
    'response_3m' as measure,
    episode_id,
    case when category = 'reached' then 1 else 0 end as y
from detail
where window_name = '3m'
