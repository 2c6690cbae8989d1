-- Data quality for the report: open in-scope episodes with no session (any status) in the 30 days
-- up to as_of though admitted 30+ days before it, and sessions of in-scope episodes in P dated on
-- a day the program is normally closed ($closed_days: federal holidays).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

stale as (
    select e.episode_id
    from episodes as e
    where e.discharge_date is null
        and e.admit_date <= cast($as_of as date) - 30
        and not exists (
            select 1
            from main.sessions as s
            where s.episode_id = e.episode_id
                and s.session_date between cast($as_of as date) - 29 and $as_of
        )
),

closed_day_sessions as (
    select s.session_id
    from main.sessions as s
    inner join episodes as e on e.episode_id = s.episode_id
    where s.session_date between $start and $end
        and list_contains($closed_days, s.session_date)
),

final as (
    select
        (select count(*) from stale) as open_without_session_30d,
        (select count(*) from closed_day_sessions) as sessions_on_closed_days
)

select * from final
