-- Retention summary (metrics.md, Retention): reads the cohort rows of retention_cohort.sql as
-- `detail` and the Kaplan-Meier curve of retention_curve.sql as `curve`. day_N = R(N); past the
-- last observed time the curve keeps its last value (as lifelines' S does).
-- reads: detail=retention_cohort, curve=retention_curve
select
    count(*) as cohort_admissions,
    case when count(*) > 0 then (select max_by(retention, day) from curve where day <= 30) end
        as day_30,
    case when count(*) > 0 then (select max_by(retention, day) from curve where day <= 60) end
        as day_60,
    case when count(*) > 0 then (select max_by(retention, day) from curve where day <= 90) end
        as day_90,
    count(*) filter (where initiation_window_passed) as initiation_eligible,
    count(*) filter (where initiation_window_passed and initiated) as initiated,
    count(*) filter (where initiation_window_passed and initiated)
        / nullif(count(*) filter (where initiation_window_passed), 0) as initiated_14d,
    count(*) filter (where engagement_window_passed) as engagement_eligible,
    count(*) filter (where engagement_window_passed and initiated and engaged) as engaged,
    count(*) filter (where engagement_window_passed and initiated and engaged)
        / nullif(count(*) filter (where engagement_window_passed), 0) as engaged_34d
from detail
