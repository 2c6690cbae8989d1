-- The contacts of the follow-up windows (spec recovery.md, After discharge), read as `answers`
-- by derived_episode_follow_up.sql: one row per episode and window (`due`,
-- follow_up_due_all.sql) with a follow_up contact dated on or before the window's close (in
-- `items`, follow_up_items_all.sql), with its category and the items of the earliest reached contact in the
-- window (the rules: follow_up_detail.sql). A due episode-window without a row here is
-- not_attempted. Unsorted.
-- reads: items=follow_up_items_all, due=follow_up_due_all
with contacts as (
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
        case
            when s.reached_on is not null then 'reached'
            when s.deceased then 'deceased'
            when s.declined_on is not null
                and (s.last_reached_on is null or s.last_reached_on < s.declined_on)
                then 'declined'
            when s.not_reached then 'not_reached'
            else 'not_attempted'
        end as category,
        s.reached_on,
        c.use_frequency,
        c.employment,
        c.living,
        c.arrests
    from status as s
    left join contacts as c
        on c.episode_id = s.episode_id
        and c.window_name = s.window_name
        and c.collected_on = s.reached_on
        and c.contact = 'reached'
)

select * from answers
