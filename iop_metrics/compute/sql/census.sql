-- Census (metrics.md, Census): in-scope episodes at the start and end of P, admissions,
-- discharges, and distinct clients served.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

final as (
    select
        count(*) filter (
            where admit_date < $start and (discharge_date is null or discharge_date >= $start)
        ) as active_at_start,
        count(*) filter (where admit_date between $start and $end) as admissions,
        count(*) filter (where discharge_date between $start and $end) as discharges,
        count(*) filter (
            where admit_date <= $end and (discharge_date is null or discharge_date > $end)
        ) as active_at_end,
        count(distinct client_id) filter (
            where admit_date <= $end and (discharge_date is null or discharge_date >= $start)
        ) as clients_served
    from episodes
)

select * from final
