-- Dosage (metrics.md, Dosage; ASAM Criteria level 2.1): one row per client-week, i.e. an
-- in-scope episode and a Monday..Sunday week whose Sunday falls in P, open all seven days.
-- Hours are attended minutes of that episode's attended sessions in the week / 60. The threshold
-- is 6 hours when the client was under 18 in the year of admission, else 9 (unknown = adult).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

period_days as (
    select cast($start as date) + cast(k as integer) as d
    from (
        select unnest(generate_series(0, date_diff('day', cast($start as date), cast($end as date))))
            as k
    ) as offsets
),

sundays as (
    select d as sunday from period_days where isodow(d) = 7
),

client_weeks as (
    select
        e.episode_id,
        e.track,
        w.sunday - 6 as monday,
        w.sunday,
        case when year(e.admit_date) - c.birth_year < 18 then 6 else 9 end as threshold_hours
    from episodes as e
    inner join sundays as w
        on e.admit_date <= w.sunday - 6
        and (e.discharge_date is null or e.discharge_date >= w.sunday)
    left join main.clients as c on c.client_id = e.client_id
),

-- Attended minutes per episode and Monday..Sunday week: one pass over the attended sessions
-- dated in the weeks (Sundays in P, so from P.start - 6; each date is in exactly one week),
-- then matched to the client-weeks.
minutes as (
    select
        s.episode_id,
        s.session_date - cast(isodow(s.session_date) - 1 as integer) as monday,
        sum(s.attended_minutes) as attended_minutes
    from main.sessions as s
    where s.status = 'attended'
        and s.session_date between cast($start as date) - 6 and $end
    group by s.episode_id, s.session_date - cast(isodow(s.session_date) - 1 as integer)
),

final as (
    select
        w.episode_id,
        w.track,
        w.monday,
        w.sunday,
        w.threshold_hours,
        cast(coalesce(m.attended_minutes, 0) as double) / 60 as hours,
        coalesce(m.attended_minutes, 0) >= 60 * w.threshold_hours as meets_threshold
    from client_weeks as w
    left join minutes as m on m.episode_id = w.episode_id and m.monday = w.monday
)

select * from final order by sunday, episode_id
