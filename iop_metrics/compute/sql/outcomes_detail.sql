-- Outcomes per course of treatment and instrument (spec outcomes.md, Per episode and
-- instrument), over outcomes_ended.sql (read in as `ended`). A course's scores on an instrument
-- are its assessments of it dated admit_date .. discharge_date (so on or before as_of); a date
-- with several scores counts once, at their mean (the course_scores macro: read from the
-- derived table episode_scores). Paired = scores on 2+ dates; first /
-- last = the earliest / latest date's score. worse = last - first (first - last when higher is
-- better): negative is better. Flags an instrument does not define are null, never false:
-- without caseness no case, response; without reliable_change no reliable change; response
-- only when lower is better and a caseness exists (case at start and last <= 0.5 * first,
-- HEDIS DRR-E); remission only on PHQ-9 (first >= 10 and last < 5). Unpaired rows carry their
-- one date and null flags. first_band / last_band: the PHQ-9 / GAD-7 severity bands.
-- reads: ended=outcomes_ended
with courses as (
    select episode_id
    from ended
    where course
),

ends as (
    select c.*
    from course_scores($start, $end) as c
    inner join courses as k on k.episode_id = c.episode_id
),

scored as (
    select
        e.*,
        e.dates >= 2 as paired,
        i.lower_is_better,
        i.caseness,
        i.reliable_change,
        case
            when e.dates < 2 then null
            when i.lower_is_better then e.last_score - e.first_score
            else e.first_score - e.last_score
        end as worse,
        case
            when i.caseness is null then null
            when i.lower_is_better then e.first_score >= i.caseness
            else e.first_score <= i.caseness
        end as first_case,
        case
            when i.caseness is null then null
            when i.lower_is_better then e.last_score >= i.caseness
            else e.last_score <= i.caseness
        end as last_case
    from ends as e
    inner join main.instruments as i on i.code = e.instrument
),

final as (
    select
        episode_id,
        instrument,
        paired,
        dates,
        scores,
        first_on,
        last_on,
        first_score,
        last_score,
        worse,
        case when paired then first_case end as case_at_start,
        case when paired then last_case end as case_at_end,
        case when paired then worse <= -reliable_change end as reliable_improvement,
        case when paired then worse >= reliable_change end as reliable_deterioration,
        case
            when paired and lower_is_better and caseness is not null
                then first_case and last_score <= 0.5 * first_score
        end as response,
        case
            when paired and instrument = 'PHQ-9' then first_score >= 10 and last_score < 5
        end as remission,
        severity_band(instrument, first_score) as first_band,
        severity_band(instrument, last_score) as last_band
    from scored
)

select * from final order by episode_id, instrument
