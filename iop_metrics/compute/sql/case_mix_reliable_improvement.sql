-- Case-mix outcome, reliable improvement (comparison.md, What is adjusted; outcomes.md): every
-- course of treatment of every site ended in the comparison window [$start, $end] (as of $as_of)
-- that is paired on PHQ-9, GAD-7 or both (outcomes_episodes.sql, read in as `courses`: the
-- combined classification); y = 1 when it improved reliably (one of them improved by its
-- reliable change, none deteriorated by it). Read by case_mix_patterns.sql as `outcome`
-- (its rows named by the measure).
-- reads: courses=outcomes_episodes
with final as (
    select
        'reliable_improvement' as measure,
        episode_id,
        case when reliable_improvement then 1 else 0 end as y
    from courses
    where classified
)

select * from final
