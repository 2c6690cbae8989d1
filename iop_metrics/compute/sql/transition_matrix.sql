-- The level-of-care flow matrix over transitions_detail.sql (read in as `detail`): discharges
-- counted from-level x to-level, the outcome (no_next_care, pending) standing in for the
-- to-level where there is no next episode.
-- reads: detail=transitions_detail
with cells as (
    select from_level, coalesce(to_level, outcome) as to_level
    from detail
)

select from_level, to_level, count(*) as n
from cells
group by from_level, to_level
order by from_level, to_level
