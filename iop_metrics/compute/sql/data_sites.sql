-- Not a metric: the distinct sites of the loaded episodes (coverage.known_codes, a run's plan).
select distinct site as code from main.episodes where site is not null order by code
