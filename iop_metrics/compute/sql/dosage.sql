-- Dosage summary over the client-weeks of dosage_weeks.sql (read in as `detail`).
-- reads: detail=dosage_weeks
select
    count(*) as client_weeks,
    count(*) filter (where meets_threshold) as client_weeks_meeting_threshold,
    count(*) filter (where meets_threshold) / nullif(count(*), 0) as share_meeting_threshold,
    median(hours) as median_hours_per_client_week
from detail
