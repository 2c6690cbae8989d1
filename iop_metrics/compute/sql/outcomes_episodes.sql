-- Outcomes per course of treatment, combined over PHQ-9 and GAD-7 (spec outcomes.md, NHS
-- Talking Therapies logic), over outcomes_ended.sql (`ended`) and outcomes_detail.sql
-- (`detail`). A course enters the combined classification (classified) when it is paired on
-- PHQ-9, GAD-7 or both; only the paired ones of the two count for it:
-- at_caseness = one is a case at start; reliable_improvement = one improved reliably and none
-- deteriorated reliably; reliable_deterioration = the reverse (mixed change is neither);
-- recovery = at_caseness and none is a case at end; reliable_recovery = both. The flags are
-- null for a course outside the classification. One row per course, with its site and track:
-- the per-episode query the site comparison aggregates.
-- reads: ended=outcomes_ended, detail=outcomes_detail
with combined as (
    select
        episode_id,
        count(*) as instruments,
        max(case when case_at_start then 1 else 0 end) as any_case_start,
        max(case when case_at_end then 1 else 0 end) as any_case_end,
        max(case when reliable_improvement then 1 else 0 end) as any_improved,
        max(case when reliable_deterioration then 1 else 0 end) as any_deteriorated
    from detail
    where paired and instrument in ('PHQ-9', 'GAD-7')
    group by episode_id
),

final as (
    select
        e.episode_id,
        e.client_id,
        e.site,
        e.track,
        e.level_of_care,
        e.admit_date,
        e.discharge_date,
        e.treatment_sessions,
        c.episode_id is not null as classified,
        c.instruments as paired_instruments,
        case when c.episode_id is not null then c.any_case_start = 1 end as at_caseness,
        case
            when c.episode_id is not null then c.any_improved = 1 and c.any_deteriorated = 0
        end as reliable_improvement,
        case
            when c.episode_id is not null then c.any_deteriorated = 1 and c.any_improved = 0
        end as reliable_deterioration,
        case
            when c.episode_id is not null then c.any_case_start = 1 and c.any_case_end = 0
        end as recovery,
        case
            when c.episode_id is not null
                then c.any_case_start = 1 and c.any_case_end = 0
                and c.any_improved = 1 and c.any_deteriorated = 0
        end as reliable_recovery
    from ended as e
    left join combined as c on c.episode_id = e.episode_id
    where e.course
)

select * from final order by discharge_date, episode_id
