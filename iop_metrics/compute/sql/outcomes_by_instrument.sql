-- Outcomes per instrument (spec outcomes.md, by_instrument), over outcomes_detail.sql
-- (`detail`): one row per instrument with at least one course paired on it; counts over the
-- courses paired on it. A count the instrument does not define is null (count(flag) = 0 when
-- every flag is null): case_at_start and not_case_at_end without caseness, the reliable counts
-- without reliable_change, response without a lower-is-better caseness, remission but on
-- PHQ-9. response_rate = response / case_at_start; remission_rate = remission / courses with
-- first >= 10 (remission_base); means are plain means of first and last.
-- reads: detail=outcomes_detail
with paired as (
    select * from detail where paired
),

counts as (
    select
        instrument,
        count(*) as paired,
        count(case_at_start) as has_case,
        count(*) filter (where case_at_start) as case_at_start,
        avg(first_score) as mean_first,
        avg(last_score) as mean_last,
        count(reliable_improvement) as has_reliable,
        count(*) filter (where reliable_improvement) as reliable_improvement,
        count(*) filter (where reliable_deterioration) as reliable_deterioration,
        count(*) filter (where case_at_start and not case_at_end) as not_case_at_end,
        count(response) as has_response,
        count(*) filter (where response) as response,
        count(remission) as has_remission,
        count(*) filter (where remission) as remission,
        count(*) filter (where remission is not null and first_score >= 10) as remission_base
    from paired
    group by instrument
),

final as (
    select
        instrument,
        paired,
        case when has_case > 0 then case_at_start end as case_at_start,
        mean_first,
        mean_last,
        case when has_reliable > 0 then reliable_improvement end as reliable_improvement,
        case when has_reliable > 0 then reliable_deterioration end as reliable_deterioration,
        case when has_case > 0 then not_case_at_end end as not_case_at_end,
        case when has_response > 0 then response end as response,
        case
            when has_response > 0 then cast(response as double) / nullif(case_at_start, 0)
        end as response_rate,
        case when has_remission > 0 then remission end as remission,
        case when has_remission > 0 then remission_base end as remission_base,
        case
            when has_remission > 0 then cast(remission as double) / nullif(remission_base, 0)
        end as remission_rate
    from counts
)

select * from final order by instrument
