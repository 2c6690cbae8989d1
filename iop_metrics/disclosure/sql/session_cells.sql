-- Which attendance counts of a document each group of sessions (`groups`, session_groups.sql)
-- is counted in (issue 30): one row (record, cell) per group and per count, by the rules of
-- attendance.sql (the period's sessions by status: all of them, by weekday, by service type;
-- client-scheduled = attended, no-show and cancelled by the client) and series_attendance.sql
-- (attended, no-show and client-scheduled per month of the trends), and quality.sql (the
-- period's sessions on a day the program is normally closed). A cell is named as the document,
-- its weekday and service tables, its monthly trends and its data-quality section name the count.
-- reads: groups=session_groups
with period_cells as (
    select record, 'scheduled' as part, weekday, service_type
    from groups
    where in_period = 1
    union all
    select record, status as part, weekday, service_type
    from groups
    where in_period = 1
    union all
    select record, 'client_scheduled' as part, weekday, service_type
    from groups
    where in_period = 1 and status <> 'cancelled_program'
),

final as (
    select record, case part when 'client_scheduled' then '~client_scheduled'
        else 'attendance.' || part end as cell
    from period_cells
    union all
    select record, 'weekday[' || weekday || '].' || part as cell
    from period_cells
    union all
    select record, 'service[' || service_type || '].' || part as cell
    from period_cells
    union all
    select record, 'monthly[' || month || '].' || status as cell
    from groups
    where month <> '' and status in ('attended', 'no_show')
    union all
    select record, 'monthly[' || month || '].client_scheduled' as cell
    from groups
    where month <> '' and status <> 'cancelled_program'
    union all
    select record, 'quality[checks>sessions_on_closed_days>].n' as cell
    from groups
    where in_period = 1 and closed = 1
)

select record, cell from final
