-- Measurement-based care cadence (spec outcomes.md; Joint Commission CTS.03.01.09 asks that
-- each person be monitored with a standardized instrument, the cadence is the program's own).
-- measured_at_intake: of in-scope admissions in P with admit_date + 13 <= as_of
-- (intake_eligible), those with a score of any instrument on day 0..13 of the episode (our
-- reading: and within the episode, so on or before a discharge in those days).
-- measured_last_30d: of in-scope episodes open at the end of P that began on or before
-- end - 29 (open_30d), those with a score of any instrument dated end - 29 .. end (and on or
-- before as_of). Counted over outcomes_cadence_detail.sql's rows (`watched`, one per episode).
-- reads: watched=outcomes_cadence_detail
with counts as (
    select
        count(*) filter (where measured_at_intake) as measured_at_intake,
        count(*) filter (where eligible) as intake_eligible,
        count(*) filter (where measured_last_30d) as measured_last_30d,
        count(*) filter (where open_30d) as open_30d
    from watched
),

final as (
    select
        measured_at_intake,
        intake_eligible,
        cast(measured_at_intake as double) / nullif(intake_eligible, 0)
            as measured_at_intake_rate,
        measured_last_30d,
        open_30d,
        cast(measured_last_30d as double) / nullif(open_30d, 0) as measured_last_30d_rate
    from counts
)

select * from final
