-- Continuity summary over continuity_detail.sql (read in as `detail`); pending discharges (window
-- not yet passed by as_of) are left out of each rate.
-- reads: detail=continuity_detail
select
    count(*) as residential_discharges,
    count(*) filter (where followed_up_7d) as followed_up_7d,
    count(*) filter (where followed_up_14d) as followed_up_14d,
    count(*) filter (where pending_7d) as pending_7d,
    count(*) filter (where pending_14d) as pending_14d,
    count(*) filter (where followed_up_7d) / nullif(count(*) filter (where not pending_7d), 0)
        as rate_7d,
    count(*) filter (where followed_up_14d) / nullif(count(*) filter (where not pending_14d), 0)
        as rate_14d
from detail
