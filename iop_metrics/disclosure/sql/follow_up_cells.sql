-- Which follow-up counts of a document each due episode-window is counted in (issue 30): one
-- row (record, cell) per due episode-window and per count, by the rules of follow_up.sql over
-- follow_up_detail.sql (`detail`: one row per due episode and window, run over [$start, $end]:
-- the windows closed in the 12 months ending with each month of the trends and with the
-- period): the period's (windows closed from $period_end - 364, or $period_start when the
-- period is longer, to $period_end) due, the five exclusive contact categories, and per domain
-- those reached whose row knows it and those positive; per month of `months` the 3-month
-- window's due and reached closed in the 12 months ending with the month, as series.py's
-- recovery row counts them (a window's category and items depend on its own contacts, dated up
-- to its close, never on the period it is read in). A cell is named as the document and its
-- monthly trends name the count. A due episode-window is a record of its own
-- (`f:<window>:<id>`): the categories of a window are then sums of the same records, so the
-- five sum to due; what its reached contact says of each domain is another
-- (`f:<window>:<domain>:<id>`, known and positive: positive <= known follows; known <=
-- reached stays declared, relations.py): the four domains' yes/no would split a reached
-- record 3^4 ways, and no count ties two domains. The deaths are internal only
-- (recovery.md): each window also has a record that weighs 0 (`f:<window>:deceased*0`),
-- counted in its due and its deceased, so that none found is no fact of the records: the
-- model takes the deaths as a count a reader does not know, 0 or more, as it is (an empty
-- category would be known 0).
-- reads: months=?, detail=follow_up_detail, windows=follow_up_windows
with parts as (
    select * from (
        values
        ('due', ''), ('reached', ''), ('not_reached', ''), ('declined', ''), ('deceased', ''),
        ('not_attempted', ''), ('abstinent', 'abstinent'), ('abstinent_known', 'abstinent'),
        ('employed_or_student', 'employed_or_student'),
        ('employed_or_student_known', 'employed_or_student'), ('housed', 'housed'),
        ('housed_known', 'housed'), ('no_arrests', 'no_arrests'),
        ('no_arrests_known', 'no_arrests')
    ) as t (part, domain)
),

keyed as (
    select
        'f:' || window_name || ':' || cast(episode_id as varchar) as record,
        d.*
    from detail as d
),

period_rows as (
    select *
    from keyed
    where closes_on between least(cast($period_start as date), cast($period_end as date) - 364)
        and $period_end
),

flags as (
    select
        case
            when p.domain = '' then r.record
            else 'f:' || r.window_name || ':' || p.domain || ':' || cast(r.episode_id as varchar)
        end as record,
        r.window_name,
        p.part
    from period_rows as r
    cross join parts as p
    where case p.part
        when 'due' then true
        when 'reached' then r.category = 'reached'
        when 'not_reached' then r.category = 'not_reached'
        when 'declined' then r.category = 'declined'
        when 'deceased' then r.category = 'deceased'
        when 'not_attempted' then r.category = 'not_attempted'
        when 'abstinent' then r.abstinent
        when 'abstinent_known' then r.abstinent is not null
        when 'employed_or_student' then r.employed_or_student
        when 'employed_or_student_known' then r.employed_or_student is not null
        when 'housed' then r.housed
        when 'housed_known' then r.housed is not null
        when 'no_arrests' then r.no_arrests
        when 'no_arrests_known' then r.no_arrests is not null
    end
),

rolling as (
    select k.record, m.label, k.category
    from keyed as k
    inner join months as m
        on k.closes_on between cast(m.month_end as date) - 364 and m.month_end
    where k.window_name = '3m'
),

final as (
    select record, 'follow_up.' || window_name || '.' || part as cell
    from flags
    union all
    select
        'f:' || w.window_name || ':deceased*0' as record,
        'follow_up.' || w.window_name || '.' || p.part as cell
    from windows as w
    cross join parts as p
    where p.part in ('due', 'deceased')
    union all
    select record, 'monthly[' || label || '].due_3m' as cell
    from rolling
    union all
    select record, 'monthly[' || label || '].reached_3m' as cell
    from rolling
    where category = 'reached'
)

select record, cell from final
