-- The noms rows that exist at as_of (spec recovery.md: rows dated after as_of do not exist),
-- read as `items` by noms_detail.sql and follow_up_detail.sql. A database loaded before the
-- table existed reads noms_items_none.sql instead (no rows: every count 0).
select
    episode_id,
    time_point,
    collected_on,
    contact,
    use_frequency,
    employment,
    living,
    arrests,
    self_help
from main.noms
where collected_on <= $as_of
