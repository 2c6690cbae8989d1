-- Measurement-based care cadence (spec outcomes.md; Joint Commission CTS.03.01.09 asks that
-- each person be monitored with a standardized instrument, the cadence is the program's own).
-- measured_at_intake: of in-scope admissions in P with admit_date + 13 <= as_of
-- (intake_eligible), those with a score of any instrument on day 0..13 of the episode (our
-- reading: and within the episode, so on or before a discharge in those days).
-- measured_last_30d: of in-scope episodes open at the end of P that began on or before
-- end - 29 (open_30d), those with a score of any instrument dated end - 29 .. end (and on or
-- before as_of).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

watched as (
    select
        episode_id,
        admit_date,
        discharge_date,
        admit_date between $start and $end and admit_date + 13 <= $as_of as eligible,
        admit_date <= cast($end as date) - 29
            and (discharge_date is null or discharge_date > $end) as open_30d
    from episodes
    where (admit_date between $start and $end and admit_date + 13 <= $as_of)
        or (
            admit_date <= cast($end as date) - 29
            and (discharge_date is null or discharge_date > $end)
        )
),

-- One pass over the score dates that can count for either figure (the score_dates macro: read
-- from the derived table episode_score_dates, sorted by date): an
-- intake score is dated within 13 days of an admission in P (so start .. end + 13), a recent
-- one end - 29 .. end.
scored as (
    select
        w.episode_id,
        max(
            case
                when w.eligible
                    and a.assessed_on between w.admit_date and w.admit_date + 13
                    and (w.discharge_date is null or a.assessed_on <= w.discharge_date)
                    then 1
                else 0
            end
        ) as at_intake,
        max(
            case
                when w.open_30d
                    and a.assessed_on between cast($end as date) - 29 and $end
                    and a.assessed_on <= $as_of
                    then 1
                else 0
            end
        ) as recent
    from watched as w
    inner join score_dates(least(cast($start as date), cast($end as date) - 29),
        cast($end as date) + 13) as a
        on a.episode_id = w.episode_id
    group by w.episode_id
),

counts as (
    select
        count(*) filter (where w.eligible and s.at_intake = 1) as measured_at_intake,
        count(*) filter (where w.eligible) as intake_eligible,
        count(*) filter (where w.open_30d and s.recent = 1) as measured_last_30d,
        count(*) filter (where w.open_30d) as open_30d
    from watched as w
    left join scored as s on s.episode_id = w.episode_id
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
