-- Not a metric: the import report (JSON) when the load came through an EHR mapping, else null
-- (load_log.import_report: the same on every row of one load).
select max(import_report) as report from main.load_log where import_report is not null
