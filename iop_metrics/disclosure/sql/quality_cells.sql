-- Which counts of the data-quality section each row the load read is counted in (issue 30):
-- one row (record, cell) per record and count, by the rules of load_rows.sql (rows read and
-- loaded per table, load_log) and load_rejected.sql (rows set aside per table and reason,
-- rejected_rows), named as published.quality_frame names the cells. The rows a table loaded
-- are one record that stands for their number (`q:<table>|loaded*<n>`); a row set aside is a
-- record of its own, its file line (`q:<table>|<line>`), counted in the table's rows read and
-- in the n of each reason it was set aside for (a second problem with the same reason on one
-- line is a record of its own, `q:<table>|<line>#<j>`, as load_rejected.sql counts it twice);
-- rows read that are neither (none in a load that works) are one record of their number
-- (`q:<table>|other*<n>`). Rows read = loaded + set aside then follows from the records, and so
-- does what the reasons tell of the set aside.
with loaded as (
    select table_name, rows_read, rows_loaded from main.load_log
),

rejected as (
    select
        table_name,
        line,
        reason,
        row_number() over (
            partition by table_name, line, reason order by column_name, value
        ) as k,
        row_number() over (
            partition by table_name, line order by reason, column_name, value
        ) as j
    from main.rejected_rows
),

lines as (
    select distinct r.table_name, r.line
    from rejected as r
    inner join loaded as l on l.table_name = r.table_name
),

aside as (
    select table_name, count(*) as n from lines group by table_name
),

columns as (
    select * from (values ('rows_read'), ('rows_loaded')) as t (part)
),

final as (
    select
        'q:' || l.table_name || '|loaded*' || cast(l.rows_loaded as varchar) as record,
        'quality[loaded>' || l.table_name || '>].' || c.part as cell
    from loaded as l
    cross join columns as c
    where l.rows_loaded > 0
    union all
    select
        'q:' || table_name || '|' || cast(line as varchar) as record,
        'quality[loaded>' || table_name || '>].rows_read' as cell
    from lines
    union all
    select
        'q:' || l.table_name || '|other*'
        || cast(l.rows_read - l.rows_loaded - coalesce(a.n, 0) as varchar) as record,
        'quality[loaded>' || l.table_name || '>].rows_read' as cell
    from loaded as l
    left join aside as a on a.table_name = l.table_name
    where l.rows_read - l.rows_loaded - coalesce(a.n, 0) > 0
    union all
    select
        case
            when k = 1 then 'q:' || table_name || '|' || cast(line as varchar)
            else 'q:' || table_name || '|' || cast(line as varchar) || '#' || cast(j as varchar)
        end as record,
        'quality[rejected>' || table_name || '>' || reason || '].n' as cell
    from rejected
)

select record, cell from final
