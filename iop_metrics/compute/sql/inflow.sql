-- Inflow summary over inflow_detail.sql (read in as `detail`).
-- reads: detail=inflow_detail
select
    count(*) filter (where outcome = 'stepped_down_into') as stepped_down_into,
    count(*) filter (where outcome = 'stepped_up_into') as stepped_up_into,
    count(*) filter (where outcome = 'lateral_into') as lateral_into,
    count(*) filter (where outcome = 'direct') as direct
from detail
