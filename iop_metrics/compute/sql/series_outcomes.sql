-- Monthly series (outcomes.md, the outcome cohort of a period): for each calendar month in which
-- an in-scope episode ended, outcomes.sql's combined figures over the courses that ended in that
-- month, as of $as_of. Reads outcomes_ended.sql (`ended`) and outcomes_episodes.sql (`courses`)
-- run once over the whole span of the months: an ended episode's course, its scores and its
-- combined flags depend on its own dates and $as_of only, never on the period, so grouping them
-- by the month of discharge_date gives each month's document figures. A month without an ended
-- episode has no row (the caller fills its zeros and null rates).
-- reads: ended=outcomes_ended, courses=outcomes_episodes
with ended_by_month as (
    select
        year(discharge_date) * 100 + month(discharge_date) as month_key,
        count(*) as ended
    from ended
    group by year(discharge_date) * 100 + month(discharge_date)
),

courses_by_month as (
    select
        year(discharge_date) * 100 + month(discharge_date) as month_key,
        count(*) as courses,
        count(*) filter (where classified) as paired,
        count(*) filter (where at_caseness) as at_caseness,
        count(*) filter (where reliable_improvement) as reliable_improvement,
        count(*) filter (where reliable_deterioration) as reliable_deterioration,
        count(*) filter (where recovery) as recovery,
        count(*) filter (where reliable_recovery) as reliable_recovery
    from courses
    group by year(discharge_date) * 100 + month(discharge_date)
),

counts as (
    select
        e.month_key,
        e.ended,
        coalesce(c.courses, 0) as courses,
        coalesce(c.paired, 0) as paired,
        coalesce(c.at_caseness, 0) as at_caseness,
        coalesce(c.reliable_improvement, 0) as reliable_improvement,
        coalesce(c.reliable_deterioration, 0) as reliable_deterioration,
        coalesce(c.recovery, 0) as recovery,
        coalesce(c.reliable_recovery, 0) as reliable_recovery
    from ended_by_month as e
    left join courses_by_month as c on c.month_key = e.month_key
),

final as (
    select
        month_key,
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
        recovery,
        cast(recovery as double) / nullif(at_caseness, 0) as recovery_rate,
        reliable_recovery,
        cast(reliable_recovery as double) / nullif(at_caseness, 0) as reliable_recovery_rate
    from counts
)

select * from final order by month_key
