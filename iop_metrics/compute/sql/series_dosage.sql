-- Monthly series: the dosage.sql counts and share for each month of `months`, over the
-- client-weeks of dosage_weeks.sql for the 12 months (read in as `detail`); a client-week
-- belongs to the month its Sunday falls in, as it does for a one-month query.
-- reads: months=?, detail=dosage_weeks
with by_month as (
    select
        year(sunday) * 100 + month(sunday) as month_key,
        count(*) as client_weeks,
        count(*) filter (where meets_threshold) as meeting
    from detail
    group by year(sunday) * 100 + month(sunday)
),

counted as (
    select
        m.month_key,
        coalesce(b.client_weeks, 0) as client_weeks,
        coalesce(b.meeting, 0) as meeting
    from months as m
    left join by_month as b on b.month_key = m.month_key
)

select
    month_key,
    client_weeks,
    meeting,
    meeting / nullif(client_weeks, 0) as share_meeting_threshold
from counted
order by month_key
