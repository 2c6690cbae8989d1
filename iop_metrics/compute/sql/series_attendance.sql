-- Monthly series: the attendance.sql counts and rate (by = all) for each month of `months`, one
-- scan of the sessions dated $start..$end (the 12 months) of in-scope episodes.
-- reads: months=?
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

by_month as (
    select
        year(s.session_date) * 100 + month(s.session_date) as month_key,
        count(*) filter (where s.status = 'attended') as attended,
        count(*) filter (where s.status = 'no_show') as no_show,
        count(*) filter (where s.status = 'cancelled_client') as cancelled_client
    from main.sessions as s
    inner join episodes as e on e.episode_id = s.episode_id
    where s.session_date between $start and $end
    group by year(s.session_date) * 100 + month(s.session_date)
),

counted as (
    select
        m.month_key,
        coalesce(b.attended, 0) as attended,
        coalesce(b.no_show, 0) as no_show,
        coalesce(b.cancelled_client, 0) as cancelled_client
    from months as m
    left join by_month as b on b.month_key = m.month_key
)

select
    month_key,
    attended,
    no_show,
    cancelled_client,
    attended + no_show + cancelled_client as client_scheduled,
    attended / nullif(attended + no_show + cancelled_client, 0) as attendance_rate
from counted
order by month_key
