-- The document's `follow_up` key (spec recovery.md, After discharge): one row per window
-- (`windows`, follow_up_windows.sql; every window has its row, with counts 0 when none is due)
-- over the due episode-windows (`due`, follow_up_due_derived.sql) and those with contacts
-- (`answers`, follow_up_answers_derived.sql, with their category; the others are not_attempted): the figures of
-- follow_up_detail.sql's rows without making them.
-- The five categories sum to due; response_rate = reached / due; per domain, over the reached
-- episodes: <domain>_known = the earliest reached contact knows it, <domain> = positive;
-- abstinent_rate_responders = abstinent / abstinent_known (complete case) and
-- abstinent_rate_all = abstinent / due (everyone not reached counted as not abstinent). A rate
-- is null exactly when its denominator is 0.
-- reads: windows=follow_up_windows, due=follow_up_due_derived, answers=follow_up_answers_derived
with due_counts as (
    select
        window_name,
        count(*) as due
    from due
    group by window_name
),

answer_counts as (
    select
        window_name,
        count(*) filter (where category = 'reached') as reached,
        count(*) filter (where category = 'not_reached') as not_reached,
        count(*) filter (where category = 'declined') as declined,
        count(*) filter (where category = 'deceased') as deceased,
        count(*) filter (where category = 'not_attempted') as not_attempted,
        count(*) filter (where noms_positive('abstinent', use_frequency)) as abstinent,
        count(noms_positive('abstinent', use_frequency)) as abstinent_known,
        count(*) filter (where noms_positive('employed_or_student', employment))
            as employed_or_student,
        count(noms_positive('employed_or_student', employment)) as employed_or_student_known,
        count(*) filter (where noms_positive('housed', living)) as housed,
        count(noms_positive('housed', living)) as housed_known,
        count(*) filter (where noms_positive('no_arrests', cast(arrests as varchar)))
            as no_arrests,
        count(noms_positive('no_arrests', cast(arrests as varchar))) as no_arrests_known
    from answers
    group by window_name
),

counts as (
    select
        d.window_name,
        d.due,
        coalesce(a.reached, 0) as reached,
        coalesce(a.not_reached, 0) as not_reached,
        coalesce(a.declined, 0) as declined,
        coalesce(a.deceased, 0) as deceased,
        d.due - coalesce(a.reached + a.not_reached + a.declined + a.deceased, 0)
            as not_attempted,
        a.abstinent,
        a.abstinent_known,
        a.employed_or_student,
        a.employed_or_student_known,
        a.housed,
        a.housed_known,
        a.no_arrests,
        a.no_arrests_known
    from due_counts as d
    left join answer_counts as a on a.window_name = d.window_name
),

filled as (
    select
        w.window_name,
        w.window_order,
        coalesce(c.due, 0) as due,
        coalesce(c.reached, 0) as reached,
        coalesce(c.not_reached, 0) as not_reached,
        coalesce(c.declined, 0) as declined,
        coalesce(c.deceased, 0) as deceased,
        coalesce(c.not_attempted, 0) as not_attempted,
        coalesce(c.abstinent, 0) as abstinent,
        coalesce(c.abstinent_known, 0) as abstinent_known,
        coalesce(c.employed_or_student, 0) as employed_or_student,
        coalesce(c.employed_or_student_known, 0) as employed_or_student_known,
        coalesce(c.housed, 0) as housed,
        coalesce(c.housed_known, 0) as housed_known,
        coalesce(c.no_arrests, 0) as no_arrests,
        coalesce(c.no_arrests_known, 0) as no_arrests_known
    from windows as w
    left join counts as c on c.window_name = w.window_name
),

final as (
    select
        window_name,
        window_order,
        due,
        reached,
        not_reached,
        declined,
        deceased,
        not_attempted,
        cast(reached as double) / nullif(due, 0) as response_rate,
        abstinent,
        abstinent_known,
        cast(abstinent as double) / nullif(abstinent_known, 0) as abstinent_rate_responders,
        cast(abstinent as double) / nullif(due, 0) as abstinent_rate_all,
        employed_or_student,
        employed_or_student_known,
        housed,
        housed_known,
        no_arrests,
        no_arrests_known
    from filled
)

select * from final order by window_order
