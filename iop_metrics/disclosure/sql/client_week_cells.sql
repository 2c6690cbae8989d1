-- Which dosage counts of a document each group of client-weeks (`groups`,
-- client_week_groups.sql) is counted in (issue 30): one row (record, cell) per group and per
-- count, by the rules of dosage.sql (the period's client-weeks, those meeting the threshold),
-- dosage_hours.sql (the hours table: threshold > whole-hour bin) and series_dosage.sql (per
-- month of the trends: client_weeks, meeting). A cell is named as the document, its hours
-- table and its monthly trends name the count.
-- reads: groups=client_week_groups
with final as (
    select record, 'dosage.client_weeks' as cell
    from groups
    where in_period = 1
    union all
    select record, 'dosage.client_weeks_meeting_threshold' as cell
    from groups
    where in_period = 1 and meets = 1
    union all
    select
        record,
        'hours[' || cast(threshold_hours as varchar) || '>' || cast(hours_bin as varchar)
        || '].client_weeks' as cell
    from groups
    where in_period = 1
    union all
    select record, 'monthly[' || month || '].client_weeks' as cell
    from groups
    where month <> ''
    union all
    select record, 'monthly[' || month || '].meeting' as cell
    from groups
    where month <> '' and meets = 1
)

select record, cell from final
