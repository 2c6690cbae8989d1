-- The combined outcome figures of P (spec outcomes.md, Figures): over outcomes_ended.sql
-- (`ended`) and outcomes_episodes.sql (`courses`). paired = courses in the combined
-- classification; paired_rate = paired / courses (data completeness); reliable improvement and
-- deterioration rates = count / paired; recovery and reliable recovery rates = count /
-- at_caseness. A rate whose denominator is 0 is null.
-- reads: ended=outcomes_ended, courses=outcomes_episodes
with counts as (
    select
        (select count(*) from ended) as ended,
        count(*) as courses,
        count(*) filter (where classified) as paired,
        count(*) filter (where at_caseness) as at_caseness,
        count(*) filter (where reliable_improvement) as reliable_improvement,
        count(*) filter (where reliable_deterioration) as reliable_deterioration,
        count(*) filter (where recovery) as recovery,
        count(*) filter (where reliable_recovery) as reliable_recovery
    from courses
),

final as (
    select
        ended,
        courses,
        paired,
        cast(paired as double) / nullif(courses, 0) as paired_rate,
        at_caseness,
        reliable_improvement,
        cast(reliable_improvement as double) / nullif(paired, 0) as reliable_improvement_rate,
        reliable_deterioration,
        cast(reliable_deterioration as double) / nullif(paired, 0)
            as reliable_deterioration_rate,
        paired - reliable_improvement - reliable_deterioration as no_reliable_change,
        recovery,
        cast(recovery as double) / nullif(at_caseness, 0) as recovery_rate,
        reliable_recovery,
        cast(reliable_recovery as double) / nullif(at_caseness, 0) as reliable_recovery_rate
    from counts
)

select * from final
