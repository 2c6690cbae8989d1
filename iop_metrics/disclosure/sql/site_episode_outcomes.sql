-- The sites page's episode measures as episode_site_cells.sql reads them (`outcomes`): one row
-- (measure, episode_id, y) per episode of case_mix_completion.sql and case_mix_step_down.sql.
-- reads: completion=case_mix_completion, step_down=case_mix_step_down
select measure, episode_id, y from completion
union all
select measure, episode_id, y from step_down
