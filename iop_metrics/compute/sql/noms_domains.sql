-- The five recovery domains of spec recovery.md (Five domains), in the document's order: read
-- as `domains` by noms_detail.sql and noms.sql, so that every domain has its row.
select 'abstinent' as domain, 1 as domain_order
union all select 'employed_or_student', 2
union all select 'housed', 3
union all select 'no_arrests', 4
union all select 'self_help', 5
