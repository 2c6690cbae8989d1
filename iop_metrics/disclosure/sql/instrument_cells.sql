-- Which per-instrument outcome counts of a document each course paired on an instrument is
-- counted in (issue 30): one row (record, cell) per course, instrument and count, over
-- outcomes_detail.sql's rows (`detail`) of the period, by the rules of
-- outcomes_by_instrument.sql (its counts over the courses paired on the instrument; a flag the
-- instrument does not define is null and counts nowhere, as its count is null and no cell) and
-- of the report's PHQ-9 severity bands (figures._bands: each PHQ-9 paired course in the cell of
-- its band at the first and at the last score). A course on an instrument is a record of its
-- own (`i:<instrument>|<episode_id>`: an episode has a course on each instrument it is scored
-- on). remission's base (first score 10 or more) is the `~` count behind its rate.
-- reads: detail=outcomes_detail
with paired as (
    select
        'i:' || instrument || '|' || cast(episode_id as varchar) as record,
        instrument,
        case_at_start,
        case_at_end,
        reliable_improvement,
        reliable_deterioration,
        response,
        remission,
        first_score,
        first_band,
        last_band
    from detail
    where paired
),

parts as (
    select * from (
        values
        ('paired'), ('case_at_start'), ('reliable_improvement'), ('reliable_deterioration'),
        ('not_case_at_end'), ('response'), ('remission')
    ) as t (part)
),

flags as (
    select p.record, p.instrument, s.part
    from paired as p
    cross join parts as s
    where case s.part
        when 'paired' then true
        when 'case_at_start' then p.case_at_start
        when 'reliable_improvement' then p.reliable_improvement
        when 'reliable_deterioration' then p.reliable_deterioration
        when 'not_case_at_end' then p.case_at_start and not p.case_at_end
        when 'response' then p.response
        when 'remission' then p.remission
    end
),

final as (
    select record, 'outcomes.by_instrument.' || instrument || '.' || part as cell
    from flags
    union all
    select record, '~' || instrument || ':remission_base' as cell
    from paired
    where remission is not null and first_score >= 10
    union all
    select record, 'bands[' || first_band || '>' || last_band || '].n' as cell
    from paired
    where instrument = 'PHQ-9' and first_band is not null and last_band is not null
)

select record, cell from final
