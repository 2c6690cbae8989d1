-- Data quality for the report: open in-scope episodes with no session (any status) in the 30 days
-- up to as_of though admitted 30+ days before it, and sessions of in-scope episodes in P dated on
-- a day the program is normally closed ($closed_days: federal holidays). The open episodes are
-- quality_stale.sql's rows (`stale`, one per episode).
-- reads: stale=quality_stale
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
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
