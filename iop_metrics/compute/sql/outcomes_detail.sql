-- Outcome measures (metrics.md, Outcome measures): per in-scope episode active in P and
-- instrument, the first and latest score in the episode (assessed on or before as_of; same-day
-- ties broken by the lower score first), the change, and the PHQ-9 / GAD-7 rules:
-- improved = a drop of 5+ (PHQ-9) or 4+ (GAD-7); response = a drop of 50%+ from a baseline of
-- 10+; remission = latest < 5 from a baseline of 10+ (PHQ-9 only).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

active as (
    select episode_id
    from episodes
    where admit_date <= $end and (discharge_date is null or discharge_date >= $start)
),

scored as (
    select
        a.episode_id,
        a.instrument,
        count(*) as assessments,
        arg_min(a.score, (a.assessed_on, a.score)) as first_score,
        arg_max(a.score, (a.assessed_on, -a.score)) as latest_score
    from main.assessments as a
    inner join active using (episode_id)
    where a.assessed_on <= $as_of
    group by a.episode_id, a.instrument
),

final as (
    select
        episode_id,
        instrument,
        assessments,
        first_score,
        latest_score,
        latest_score - first_score as change,
        case
            when assessments < 2 then null
            when instrument = 'PHQ-9' then first_score - latest_score >= 5
            when instrument = 'GAD-7' then first_score - latest_score >= 4
        end as improved,
        case
            when assessments < 2 or instrument = 'BAM-use' or first_score < 10 then null
            else latest_score <= 0.5 * first_score
        end as response,
        case
            when assessments < 2 or instrument <> 'PHQ-9' or first_score < 10 then null
            else latest_score < 5
        end as remission,
        severity_band(instrument, first_score) as first_band,
        severity_band(instrument, latest_score) as latest_band
    from scored
)

select * from final order by episode_id, instrument
