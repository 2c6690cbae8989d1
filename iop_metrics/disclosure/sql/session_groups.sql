-- Sessions of in-scope episodes (every site: the sites page's rows too) grouped by all that
-- decides which published counts count them (issue 30): site, month of `months` (label,
-- month_start, month_end; null outside them), whether dated in the period [$start, $end] and
-- in the 12 months ending with it (the sites page's window), weekday, service type and status,
-- with the number of sessions (n). Sessions of one group are counted in the same cells
-- (attendance.sql by all, weekday and service_type; series_attendance.sql by month; the sites
-- page's attendance by site), so a group stands for n records.
-- reads: months=?
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

dated as (
    select
        e.site,
        m.label as month,
        s.session_date between $start and $end as in_period,
        s.session_date between cast($end as date) - 364 and $end as in_year,
        strftime(s.session_date, '%A') as weekday,
        s.service_type,
        s.status
    from main.sessions as s
    inner join episodes as e on e.episode_id = s.episode_id
    left join months as m on s.session_date between m.month_start and m.month_end
    where s.session_date between $first_day and $end
),

final as (
    select site, month, in_period, in_year, weekday, service_type, status, count(*) as n
    from dated
    group by site, month, in_period, in_year, weekday, service_type, status
)

select * from final
