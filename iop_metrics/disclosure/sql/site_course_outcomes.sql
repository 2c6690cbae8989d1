-- The sites page's outcome measures as episode_site_cells.sql reads them (`outcomes`): one row
-- (measure, episode_id, y) per course of case_mix_reliable_improvement.sql (the paired courses)
-- and case_mix_recovery.sql (those at caseness).
-- reads: improved=case_mix_reliable_improvement, recovered=case_mix_recovery
select measure, episode_id, y from improved
union all
select measure, episode_id, y from recovered
