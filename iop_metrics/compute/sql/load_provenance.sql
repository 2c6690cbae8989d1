-- Not a metric: which load the figures come from (load_log: one snapshot, time and package
-- version per load; the report's footer, a run's snapshot).
select
    any_value(snapshot) as snapshot,
    max(loaded_at) as loaded_at,
    any_value(package_version) as package_version
from main.load_log
