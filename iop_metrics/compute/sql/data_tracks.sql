-- Not a metric: the distinct tracks of the loaded episodes (coverage.known_codes).
select distinct track as code from main.episodes where track is not null order by code
