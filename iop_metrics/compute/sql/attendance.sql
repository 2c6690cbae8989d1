-- Attendance (metrics.md, Attendance): sessions of in-scope episodes dated in P, counted by
-- status, grouped by $by (all, service_type, weekday, track, site, week, month). Sessions the
-- program cancelled are left out of both rates' denominators.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

period_sessions as (
    select
        s.session_date,
        s.service_type,
        s.status,
        e.track,
        e.site
    from main.sessions as s
    inner join episodes as e on e.episode_id = s.episode_id
    where s.session_date between $start and $end
),

keyed as (
    select
        case $by
            when 'service_type' then service_type
            when 'weekday' then strftime(session_date, '%A')
            when 'track' then coalesce(track, '(none)')
            when 'site' then site
            when 'week' then strftime(date_trunc('week', session_date), '%Y-%m-%d')
            when 'month' then strftime(session_date, '%Y-%m')
            else 'all'
        end as key,
        case $by when 'weekday' then isodow(session_date) else 0 end as sort_key,
        status
    from period_sessions
),

counted as (
    select
        key,
        min(sort_key) as sort_key,
        count(*) as scheduled,
        count(*) filter (where status = 'attended') as attended,
        count(*) filter (where status = 'no_show') as no_show,
        count(*) filter (where status = 'cancelled_client') as cancelled_client,
        count(*) filter (where status = 'cancelled_program') as cancelled_program
    from keyed
    group by key
),

final as (
    select
        key,
        scheduled,
        attended,
        no_show,
        cancelled_client,
        cancelled_program,
        attended + no_show + cancelled_client as client_scheduled,
        attended / nullif(attended + no_show + cancelled_client, 0) as attendance_rate,
        no_show / nullif(attended + no_show + cancelled_client, 0) as no_show_rate
    from counted
)

select final.* from final inner join counted using (key) order by counted.sort_key, key
