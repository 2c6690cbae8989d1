-- Not a metric: the rows the load set aside, counted per table and reason (rejected_rows; the
-- report's data quality section).
select table_name, reason, count(*) as n
from main.rejected_rows
group by table_name, reason
order by table_name, reason
