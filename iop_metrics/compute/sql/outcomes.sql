-- Outcome summary per instrument over outcomes_detail.sql (read in as `detail`).
select
    instrument,
    count(*) as episodes,
    count(*) filter (where assessments >= 2) as with_follow_up,
    avg(first_score) as mean_first_score,
    avg(latest_score) filter (where assessments >= 2) as mean_latest_score,
    count(*) filter (where improved) as improved,
    count(*) filter (where improved) / nullif(count(improved), 0) as improved_rate,
    count(response) as response_eligible,
    count(*) filter (where response) as responded,
    count(*) filter (where response) / nullif(count(response), 0) as response_rate,
    count(remission) as remission_eligible,
    count(*) filter (where remission) as remitted,
    count(*) filter (where remission) / nullif(count(remission), 0) as remission_rate
from detail
group by instrument
order by instrument
