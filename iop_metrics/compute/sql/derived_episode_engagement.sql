-- Derived table episode_engagement, built at load from the canonical tables (issue #11): for
-- every episode with an attended session on day 0..13 after admission, the first such date
-- (initiated_on) and the date of the third attended session dated initiated_on..+34, counting
-- the first (third_on; none when fewer). Exact for every as_of A: only sessions after A are
-- left out as of A, so the first session as of A is initiated_on when initiated_on <= A (else
-- none), and two or more further sessions are counted as of A exactly when third_on <= A
-- (the engagement macro in _macros.sql).
with initiation as (
    select
        e.episode_id,
        e.admit_date,
        min(s.session_date) as initiated_on
    from main.episodes as e
    inner join main.sessions as s
        on s.episode_id = e.episode_id
        and s.status = 'attended'
        and s.session_date between e.admit_date and e.admit_date + 13
    group by e.episode_id, e.admit_date
),

numbered as (
    select
        i.episode_id,
        s.session_date,
        row_number() over (partition by i.episode_id order by s.session_date) as nth
    from initiation as i
    inner join main.sessions as s
        on s.episode_id = i.episode_id
        and s.status = 'attended'
        and s.session_date between i.initiated_on and i.initiated_on + 34
)

select
    i.episode_id,
    i.admit_date,
    i.initiated_on,
    n.session_date as third_on
from initiation as i
left join numbered as n on n.episode_id = i.episode_id and n.nth = 3
