-- Case-mix outcome, recovery (comparison.md, What is adjusted; outcomes.md): the courses paired
-- on PHQ-9/GAD-7 (outcomes_episodes.sql, read in as `courses`) of every site ended in the
-- comparison window [$start, $end] that were a case at start (at_caseness: recovery's
-- denominator; a course that was no case has nothing to recover from); y = 1 when none of its
-- paired instruments is a case at end. Read by case_mix_patterns.sql as `outcome`
-- (its rows named by the measure).
-- reads: courses=outcomes_episodes
with final as (
    select
        'recovery' as measure,
        episode_id,
        case when recovery then 1 else 0 end as y
    from courses
    where classified and at_caseness
)

select * from final
