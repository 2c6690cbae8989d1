-- Which document count of distinct clients each client is counted in (issue 30): one row
-- (episode_id, cell) per client served in the period, by the rule of census.sql (clients_served:
-- distinct clients with an in-scope episode active in [$start, $end]). A client can have several
-- such episodes; it is one record, keyed as its first of them (by admission date, then id): an
-- episode census.sql counts as active at the start or admitted, so that clients served is a sum
-- of the episodes' records (at most the active at the start plus the admissions, and equal to
-- them when no one had two episodes, as a reader assumes).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

served as (
    select
        episode_id,
        row_number() over (partition by client_id order by admit_date, episode_id) as nth
    from episodes
    where admit_date <= $end and (discharge_date is null or discharge_date >= $start)
),

final as (
    select episode_id, 'census.clients_served' as cell
    from served
    where nth = 1
)

select episode_id, cell from final
