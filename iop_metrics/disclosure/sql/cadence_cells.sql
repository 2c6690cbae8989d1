-- Which measurement-based care counts of a document each episode is counted in (issue 30): one
-- row (episode_id, cell) per episode and count, over outcomes_cadence_detail.sql's rows
-- (`watched`, the very rows outcomes_cadence.sql counts): the admissions eligible for an
-- intake score and those measured, the episodes open 30 days at the end of the period and
-- those measured in its last 30 days. The record is the episode the census counts (`e:<id>`).
-- reads: watched=outcomes_cadence_detail
with final as (
    select episode_id, 'outcomes.intake_eligible' as cell
    from watched
    where eligible
    union all
    select episode_id, 'outcomes.measured_at_intake' as cell
    from watched
    where measured_at_intake
    union all
    select episode_id, 'outcomes.open_30d' as cell
    from watched
    where open_30d
    union all
    select episode_id, 'outcomes.measured_last_30d' as cell
    from watched
    where measured_last_30d
)

select episode_id, cell from final
