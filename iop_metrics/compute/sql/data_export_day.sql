-- Not a metric: the day the export was taken, when the load recorded it (load_log.export_date;
-- coverage.export_date), else null.
select max(export_date) as d from main.load_log
