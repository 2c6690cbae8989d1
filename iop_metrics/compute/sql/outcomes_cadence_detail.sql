-- Measurement-based care cadence per episode (spec outcomes.md; outcomes_cadence.sql counts these
-- rows): one row per in-scope episode watched for either figure of P. eligible (intake_eligible):
-- admitted in P with admit_date + 13 <= as_of; measured_at_intake: eligible and scored (any
-- instrument) on day 0..13 of the episode and on or before a discharge in those days. open_30d:
-- open at the end of P and begun on or before end - 29; measured_last_30d: open_30d and scored
-- end - 29 .. end (and on or before as_of).
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

final as (
    select
        w.episode_id,
        w.eligible,
        w.eligible and coalesce(s.at_intake, 0) = 1 as measured_at_intake,
        w.open_30d,
        w.open_30d and coalesce(s.recent, 0) = 1 as measured_last_30d
    from watched as w
    left join scored as s on s.episode_id = w.episode_id
)

select * from final order by episode_id
