-- Which attendance counts of the sites page each group of sessions (`groups`,
-- session_groups.sql, over every site) is counted in (issue 30): per window (the period; the 12
-- months ending with it), n = client-scheduled sessions and observed = attended ones of the
-- group's site's row and of the program's (`all`), as attendance.sql by site counts them for
-- the page (comparison.attendance_by_site).
-- reads: groups=session_groups
with windowed as (
    select record, site, status, 'period' as page_window
    from groups
    where in_period = 1 and status <> 'cancelled_program'
    union all
    select record, site, status, '12m' as page_window
    from groups
    where in_year = 1 and status <> 'cancelled_program'
),

heads as (
    select record, status, 'attendance.' || page_window || '[' || site || ']' as head
    from windowed
    union all
    select record, status, 'attendance.' || page_window || '[all]' as head
    from windowed
),

final as (
    select record, head || '.n' as cell from heads
    union all
    select record, head || '.observed' as cell from heads where status = 'attended'
)

select record, cell from final
