-- Monthly series: one month's retention cohort (admitted in the 12 months ending at $end) taken
-- from the rows of retention_cohort.sql already computed for the whole series (read in as
-- `cohorts`). A cohort row's t, event and flags depend on $as_of only, never on $end.
-- reads: cohorts=?
select *
from cohorts
where admit_date between cast($end as date) - 364 and $end
