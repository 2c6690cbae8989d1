-- Not a metric: the rows each contract table read and loaded (load_log; the report's data
-- quality section).
select table_name, rows_read, rows_loaded from main.load_log order by table_name
