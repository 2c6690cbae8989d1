-- Sessions grouped by all that decides which published counts count them (issue 30: a group
-- of alike sessions is one record that stands for n): sessions of in-scope episodes dated in
-- [$start, $end] (the trends' months, the period and the 12 months ending with it), by site,
-- month of `months` (label; '' outside them), whether dated in the period [$period_start,
-- $end] and in the 12 months ending with it (the sites page's window), weekday
-- (as attendance.sql), service type, status and whether dated on a day the program is normally
-- closed (quality.sql: in $closed_days, the federal holidays of the years around them).
-- `record` names the group by what is true of its sessions whatever the run (site, calendar
-- month, `-01` when dated on its first day, weekday, service type, status, `|closed` at the end
-- for a closed day) and its n (`key*n`), so the same sessions make the same record in every
-- scope of one run (a site's report, the program's, the sites page) and in every run (an
-- earlier month's document and a later run's trend, read together through the ledger). The
-- run's own columns (trend month, in the period, in the 12 months) follow from the key: a
-- period is whole months, and the 12 months ending with a month's last day begin on the first
-- or second day of a month (`end - 364`), so the first day is the only cut inside a month.
-- No session id leaves the query.
-- reads: months=?
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

dated as (
    select
        coalesce(e.site, '(none)') as site,
        strftime(s.session_date, '%Y-%m')
        || case when day(s.session_date) = 1 then '-01' else '' end as dated_in,
        coalesce(m.label, '') as month,
        case when s.session_date between $period_start and $end then 1 else 0 end as in_period,
        case
            when s.session_date between cast($end as date) - 364 and $end then 1 else 0
        end as in_year,
        strftime(s.session_date, '%A') as weekday,
        s.service_type,
        s.status,
        case when list_contains($closed_days, s.session_date) then 1 else 0 end as closed
    from main.sessions as s
    inner join episodes as e on e.episode_id = s.episode_id
    left join months as m on s.session_date between m.month_start and m.month_end
    where s.session_date between $start and $end
),

grouped as (
    select
        site, dated_in, month, in_period, in_year, weekday, service_type, status, closed,
        count(*) as n
    from dated
    group by site, dated_in, month, in_period, in_year, weekday, service_type, status, closed
),

final as (
    select
        's:' || site || '|' || dated_in || '|' || weekday || '|' || service_type || '|' || status
        || case when closed = 1 then '|closed' else '' end || '*' || cast(n as varchar) as record,
        site,
        month,
        in_period,
        in_year,
        weekday,
        service_type,
        status,
        closed
    from grouped
)

select * from final
