-- Not a metric: the last date anything happens in the data (coverage.last_activity), a session,
-- an admission or a discharge; null for no data.
select max(d) as last_day
from (
    select max(session_date) as d from main.sessions
    union all
    select max(coalesce(discharge_date, admit_date)) as d from main.episodes
)
