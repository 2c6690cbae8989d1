-- Kaplan-Meier retention over the cohort's (t, event) pairs (retention_cohort.sql, read in as
-- `detail`). One row per day N = 1 .. max(t) + 1:
--   at_risk  = episodes with t >= N,   events = events at t = N,
--   retention = R(N) = product over event times u < N of (1 - events_u / at_risk_u),
--               the estimated share still engaged for at least N days (= lifelines S(N - 1)),
--   a 95% band from Greenwood's variance on the log(-log) scale (as lifelines does).
-- reads: detail=retention_cohort
with by_day as (
    select
        t as day,
        count(*) as leaving,
        sum(event) as events
    from detail
    group by t
),

grid as (
    select cast(d as bigint) as day
    from (
        select unnest(generate_series(1, last_day)) as d
        from (select max(t) + 1 as last_day from detail) as bounds
    ) as days
),

daily as (
    select
        g.day,
        coalesce(b.events, 0) as events,
        coalesce(b.leaving, 0) as leaving
    from grid as g
    left join by_day as b on b.day = g.day
),

at_risk as (
    select
        day,
        events,
        cast(sum(leaving) over (order by day desc) as bigint) as at_risk
    from daily
),

steps as (
    select
        day,
        at_risk,
        events,
        case when at_risk > 0 then 1 - events / at_risk else 1.0 end as factor,
        case
            when events = 0 then 0.0
            when at_risk > events then events / (at_risk * (at_risk - events))
            else cast('Infinity' as double)
        end as greenwood_term
    from at_risk
),

cumulative as (
    select
        day,
        at_risk,
        events,
        coalesce(product(factor) over before_day, 1.0) as retention,
        coalesce(sum(greenwood_term) over before_day, 0.0) as greenwood_sum
    from steps
    window before_day as (order by day rows between unbounded preceding and 1 preceding)
),

final as (
    select
        day,
        cast(at_risk as bigint) as at_risk,
        cast(events as bigint) as events,
        retention,
        case
            when retention >= 1 then 1.0
            when retention <= 0 then 0.0
            when greenwood_sum = cast('Infinity' as double) then 0.0
            else exp(-exp(ln(-ln(retention))
                + 1.959963984540054 * sqrt(greenwood_sum) / abs(ln(retention))))
        end as ci_low,
        case
            when retention >= 1 then 1.0
            when retention <= 0 then 0.0
            when greenwood_sum = cast('Infinity' as double) then 1.0
            else exp(-exp(ln(-ln(retention))
                - 1.959963984540054 * sqrt(greenwood_sum) / abs(ln(retention))))
        end as ci_high
    from cumulative
)

select * from final order by day
