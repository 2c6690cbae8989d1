-- Not a metric: the first date anything happens in the data (coverage.first_activity), a session
-- or an admission; null for no data.
select min(d) as first_day
from (
    select min(session_date) as d from main.sessions
    union all
    select min(admit_date) as d from main.episodes
)
