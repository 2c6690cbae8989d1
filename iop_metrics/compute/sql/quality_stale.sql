-- Data quality per episode (quality.sql counts these rows; disclosure's episode_cells.sql keys
-- them as the census's episodes): open in-scope episodes with no session (any status) in the 30
-- days up to as_of though admitted 30+ days before it, one row per episode.
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

final as (
    select e.episode_id
    from episodes as e
    where e.discharge_date is null
        and e.admit_date <= cast($as_of as date) - 30
        and not exists (
            select 1
            from main.sessions as s
            where s.episode_id = e.episode_id
                and s.session_date between cast($as_of as date) - 29 and $as_of
        )
)

select episode_id from final
