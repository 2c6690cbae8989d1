-- The two outcome measures of the site comparison at once (comparison.md, What is adjusted):
-- the rows of case_mix_reliable_improvement.sql (read in as `improvement_rows`) and of
-- case_mix_recovery.sql (`recovery_rows`), both over the one outcome cohort (`courses`), so
-- that case_mix_patterns.sql reads it as `outcome` and the cohort is computed once for both.
-- reads: improvement_rows=case_mix_reliable_improvement, recovery_rows=case_mix_recovery
with final as (
    select measure, episode_id, y from improvement_rows
    union all
    select measure, episode_id, y from recovery_rows
)

select * from final
