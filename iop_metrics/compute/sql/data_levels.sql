-- Not a metric: the loaded levels of care, ASAM's and the program's own, by code (the report's
-- labels for levels; coverage.known_codes).
select code, name from main.levels_of_care order by code
