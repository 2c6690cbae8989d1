-- Which counts of the sites page each episode is counted in (issue 30): for the measures of
-- `outcomes` (site_episode_outcomes.sql: completion and step-down; site_course_outcomes.sql:
-- reliable improvement and recovery) in the comparison window [$start, $end] (every site), one
-- row (episode_id, cell) per episode and per n and observed of its site's row and of the
-- program's (`all`), by the outcome files the page's funnels read (n = the episode's rows,
-- observed = those with y = 1). $page_window names the window's cells.
-- reads: outcomes=?
with episodes as (
    select episode_id, site from scoped_episodes($as_of, $levels, null, $track)
),

rows as (
    select o.episode_id, o.measure || '.' || $page_window || '[' || e.site || ']' as head, o.y
    from outcomes as o
    inner join episodes as e on e.episode_id = o.episode_id
    union all
    select o.episode_id, o.measure || '.' || $page_window || '[all]' as head, o.y
    from outcomes as o
),

final as (
    select episode_id, head || '.n' as cell from rows
    union all
    select episode_id, head || '.observed' as cell from rows where y = 1
)

select episode_id, cell from final
