-- Client-weeks grouped by all that decides which published counts count them (issue 30: a
-- group of alike client-weeks is one record that stands for n): the client-weeks of
-- dosage_weeks.sql (`detail`, run over [$start, $end]: the trends' months and the period), by
-- site, month of `months` its Sunday falls in (label; '' outside them, as series_dosage.sql),
-- whether its Sunday is in the period [$period_start, $end], threshold, whole-hour bin (as
-- dosage_hours.sql) and whether it meets the threshold. `record` names the group by what is
-- true of its client-weeks whatever the run (site, calendar month of its Sunday, threshold,
-- hours, meeting) and its n (`key*n`), the same in every scope of one run and in every run (a
-- period is whole months: in the period and the trend month follow from the calendar month).
-- No episode id leaves it.
-- reads: months=?, detail=dosage_weeks
with episodes as (
    select episode_id, site from scoped_episodes($as_of, $levels, $site, $track)
),

dated as (
    select
        coalesce(e.site, '(none)') as site,
        strftime(d.sunday, '%Y-%m') as dated_in,
        coalesce(m.label, '') as month,
        case when d.sunday between $period_start and $end then 1 else 0 end as in_period,
        d.threshold_hours,
        cast(least(floor(d.hours), 20) as integer) as hours_bin,
        case when d.meets_threshold then 1 else 0 end as meets
    from detail as d
    inner join episodes as e on e.episode_id = d.episode_id
    left join months as m on d.sunday between m.month_start and m.month_end
),

grouped as (
    select site, dated_in, month, in_period, threshold_hours, hours_bin, meets, count(*) as n
    from dated
    group by site, dated_in, month, in_period, threshold_hours, hours_bin, meets
),

final as (
    select
        'w:' || site || '|' || dated_in || '|' || cast(threshold_hours as varchar) || '|'
        || cast(hours_bin as varchar) || '|' || cast(meets as varchar) || '*'
        || cast(n as varchar) as record,
        month,
        in_period,
        threshold_hours,
        hours_bin,
        meets
    from grouped
)

select * from final
