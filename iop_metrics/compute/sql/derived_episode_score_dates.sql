-- Derived table episode_score_dates, built at load from the canonical tables (issue #14's
-- benchmark): each episode's dates with a score of any instrument, sorted by date, so that the
-- scores of a few weeks (the measurement-based care cadence) are a few of the table's row groups.
-- The same dates as the assessments table: exact for every as_of (score_dates in
-- _macros.sql; the cadence applies as_of itself).
select distinct
    assessed_on,
    episode_id
from main.assessments
order by assessed_on, episode_id
