-- After discharge (spec recovery.md, the document's `follow_up` key): one row per due episode and
-- window (`windows`, follow_up_windows.sql). Due in window w: an in-scope episode with a
-- discharge_date (on or before as_of) whose window closed (discharge_date + the window's last
-- day) in the twelve months ending P.end (P.end - 364 .. P.end, or P.start .. P.end when P is
-- longer), so on or before as_of (never before P.end); an episode that ended with reason `died` is never due.
-- Contacts: the episode's `follow_up` rows in `items` (noms_items.sql: dated on or before
-- as_of; after discharge_date, a contract rule); a `discharge` row is never a contact, whatever
-- its date. A contact is in the window
-- when discharge_date + first_day <= collected_on <= discharge_date + last_day. Category, the
-- first that holds: reached (a `reached` contact in the window), deceased (a `deceased` contact
-- in the window or before it), declined (a `declined` contact in the window or before it: a
-- refusal carries over to later windows until someone is reached, so it counts only when no
-- `reached` contact is dated on or after the latest refusal), not_reached (a `not_reached`
-- contact in the window), not_attempted.
-- The items are those of the earliest `reached` contact in the window (two on one date are a
-- contract error), each domain's yes/no by noms_positive (null = unknown or not reached).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

due as (
    select
        e.episode_id,
        e.site,
        e.track,
        e.level_of_care,
        e.discharge_date,
        w.window_name,
        w.window_order,
        e.discharge_date + w.first_day as opens_on,
        e.discharge_date + w.last_day as closes_on
    from episodes as e
    cross join windows as w
    where e.discharge_date is not null
        and e.discharge_reason <> 'died'
        and e.discharge_date + w.last_day
        between least(cast($start as date), cast($end as date) - 364) and $end
),

contacts as (
    select
        d.episode_id,
        d.window_name,
        i.collected_on,
        i.contact,
        i.collected_on >= d.opens_on as in_window,
        i.use_frequency,
        i.employment,
        i.living,
        i.arrests
    from due as d
    inner join items as i
        on i.episode_id = d.episode_id
        and i.time_point = 'follow_up'
        and i.collected_on <= d.closes_on
),

status as (
    select
        episode_id,
        window_name,
        min(case when contact = 'reached' and in_window then collected_on end) as reached_on,
        max(case when contact = 'deceased' then 1 else 0 end) = 1 as deceased,
        max(case when contact = 'declined' then collected_on end) as declined_on,
        max(case when contact = 'reached' then collected_on end) as last_reached_on,
        max(case when contact = 'not_reached' and in_window then 1 else 0 end) = 1
            as not_reached
    from contacts
    group by episode_id, window_name
),

answers as (
    select
        s.episode_id,
        s.window_name,
        s.reached_on,
        c.use_frequency,
        c.employment,
        c.living,
        c.arrests
    from status as s
    inner join contacts as c
        on c.episode_id = s.episode_id
        and c.window_name = s.window_name
        and c.collected_on = s.reached_on
        and c.contact = 'reached'
),

final as (
    select
        d.episode_id,
        d.site,
        d.track,
        d.level_of_care,
        d.discharge_date,
        d.window_name,
        d.window_order,
        d.closes_on,
        case
            when s.reached_on is not null then 'reached'
            when s.deceased then 'deceased'
            when s.declined_on is not null
                and (s.last_reached_on is null or s.last_reached_on < s.declined_on)
                then 'declined'
            when s.not_reached then 'not_reached'
            else 'not_attempted'
        end as category,
        a.reached_on,
        a.use_frequency,
        a.employment,
        a.living,
        a.arrests,
        noms_positive('abstinent', a.use_frequency) as abstinent,
        noms_positive('employed_or_student', a.employment) as employed_or_student,
        noms_positive('housed', a.living) as housed,
        noms_positive('no_arrests', cast(a.arrests as varchar)) as no_arrests
    from due as d
    left join status as s on s.episode_id = d.episode_id and s.window_name = d.window_name
    left join answers as a on a.episode_id = d.episode_id and a.window_name = d.window_name
)

select * from final order by window_order, discharge_date, episode_id
