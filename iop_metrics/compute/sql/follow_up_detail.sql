-- After discharge (spec recovery.md, the document's `follow_up` key): one row per due episode and
-- window (`due`, follow_up_due_derived.sql), with its contacts' category and items (`answers`,
-- follow_up_answers_derived.sql; not_attempted when it has none). Due in window w: an in-scope episode with a
-- discharge_date (on or before as_of) whose window closed (discharge_date + the window's last
-- day) in the twelve months ending P.end (P.end - 364 .. P.end, or P.start .. P.end when P is
-- longer), so on or before as_of (never before P.end); an episode that ended with reason `died` is never due.
-- Contacts: the episode's `follow_up` rows (derived_episode_follow_up.sql: dated on or before
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
-- reads: due=follow_up_due_derived, answers=follow_up_answers_derived
with final as (
    select
        d.episode_id,
        d.site,
        d.track,
        d.level_of_care,
        d.discharge_date,
        d.window_name,
        d.window_order,
        d.closes_on,
        coalesce(a.category, 'not_attempted') as category,
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
    left join answers as a on a.episode_id = d.episode_id and a.window_name = d.window_name
)

select * from final order by window_order, discharge_date, episode_id
