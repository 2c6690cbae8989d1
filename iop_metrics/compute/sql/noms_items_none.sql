-- No noms rows: what noms_items.sql gives on a database loaded before the table existed (the
-- figures then read as for a program that ships no noms table: counts 0, rates null).
select
    cast(null as varchar) as episode_id,
    cast(null as varchar) as time_point,
    cast(null as date) as collected_on,
    cast(null as varchar) as contact,
    cast(null as varchar) as use_frequency,
    cast(null as varchar) as employment,
    cast(null as varchar) as living,
    cast(null as integer) as arrests,
    cast(null as varchar) as self_help
where 1 = 0
