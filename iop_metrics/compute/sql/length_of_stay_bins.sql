-- Length of stay in TEDS-D's bins (research/teds-d.md, LOS): in-scope episodes discharged in P,
-- LOS = discharge - admit + 1 days (metrics.md; TEDS also adds a day to outpatient stays), coded
-- as TEDS codes it: 1..30 exact days, 31 = 31-45, 32 = 46-60, 33 = 61-90, 34 = 91-120,
-- 35 = 121-180, 36 = 181-365, 37 = more than a year. One row per code present.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

stays as (
    select date_diff('day', admit_date, discharge_date) + 1 as days
    from episodes
    where discharge_date between $start and $end
),

coded as (
    select
        case
            when days <= 30 then greatest(days, 1)
            when days <= 45 then 31
            when days <= 60 then 32
            when days <= 90 then 33
            when days <= 120 then 34
            when days <= 180 then 35
            when days <= 365 then 36
            else 37
        end as los_code
    from stays
),

final as (
    select los_code, count(*) as n
    from coded
    group by los_code
    order by los_code
)

select * from final
