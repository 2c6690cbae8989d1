-- Which outcome counts of a document each ended episode is counted in (issue 30): one row
-- (record, cell) per episode and per count, by the rules of outcomes.sql over
-- outcomes_ended.sql (`ended`) and outcomes_episodes.sql (`courses`), run over [$start, $end]
-- (the trends' months and the period): the period's [$period_start, $end] ended episodes,
-- courses, paired ones and their combined classification, and per month of `months` its
-- discharges' courses as series_outcomes.sql counts them (an episode's course and flags depend
-- on its own dates and $as_of only, never on the window it is read in). A cell is named as the
-- document and its monthly trends name the count. An ended episode is the record the
-- episode counts count (`e:<id>`: the ended are the period's discharges); a course is a
-- record of its own (`c:<id>`: courses are tied to the episodes they end only by the
-- identities declared, which keeps the episodes' atoms as few as they were).
-- reads: months=?, ended=outcomes_ended, courses=outcomes_episodes
with parts as (
    select * from (
        values
        ('courses'), ('paired'), ('at_caseness'), ('reliable_improvement'),
        ('reliable_deterioration'), ('no_reliable_change'), ('recovery'), ('reliable_recovery')
    ) as t (part)
),

flags as (
    select c.episode_id, c.discharge_date, p.part
    from courses as c
    cross join parts as p
    where case p.part
        when 'courses' then true
        when 'paired' then c.classified
        when 'at_caseness' then c.at_caseness
        when 'reliable_improvement' then c.reliable_improvement
        when 'reliable_deterioration' then c.reliable_deterioration
        when 'no_reliable_change'
            then c.classified and not c.reliable_improvement and not c.reliable_deterioration
        when 'recovery' then c.recovery
        when 'reliable_recovery' then c.reliable_recovery
    end
),

final as (
    select 'e:' || cast(episode_id as varchar) as record, 'outcomes.ended' as cell
    from ended
    where discharge_date between $period_start and $end
    union all
    select 'c:' || cast(episode_id as varchar) as record, 'outcomes.' || part as cell
    from flags
    where discharge_date between $period_start and $end
    union all
    select
        'c:' || cast(f.episode_id as varchar) as record,
        'monthly[' || m.label || '].' || f.part as cell
    from flags as f
    inner join months as m on f.discharge_date between m.month_start and m.month_end
    where f.part in ('courses', 'paired', 'at_caseness', 'reliable_improvement', 'recovery')
)

select record, cell from final
