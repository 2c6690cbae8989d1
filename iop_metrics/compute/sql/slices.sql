-- Figures by a client attribute ($attribute: payer, primary_substance, referral_source, sex,
-- age_band) for in-scope episodes: admissions and discharges in P, completions, disengaged
-- discharges (dropped_out, terminated), sessions and attendance. Age bands are ages at admission
-- (year of admission - birth year), top band 65+.
-- 90-day retention (as the case-mix comparison counts it, comparison.md): the episodes of the
-- retention cohort (admitted in the 12 months ending at P.end) whose 90 days have passed by
-- as_of (admit_date + 89 <= as_of) are the trials; retained unless discharged disengaged with a
-- length of stay under 90 days (LOS = discharge - admit + 1).
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

keyed as (
    select
        e.*,
        case $attribute
            when 'payer' then c.payer
            when 'primary_substance' then c.primary_substance
            when 'referral_source' then c.referral_source
            when 'sex' then c.sex
            when 'age_band' then age_band(e.admit_date, c.birth_year)
        end as slice
    from episodes as e
    left join main.clients as c on c.client_id = e.client_id
),

episode_figures as (
    select
        coalesce(slice, '(unknown)') as slice,
        count(*) filter (where admit_date between $start and $end) as admissions,
        count(*) filter (where discharge_date between $start and $end) as discharges,
        count(*) filter (
            where discharge_date between $start and $end and discharge_reason = 'completed'
        ) as completed,
        count(*) filter (
            where discharge_date between $start and $end
            and discharge_reason in ('dropped_out', 'terminated')
        ) as disengaged,
        count(*) filter (
            where admit_date between cast($end as date) - 364 and $end
            and admit_date + 89 <= $as_of
        ) as retention_trials,
        count(*) filter (
            where admit_date between cast($end as date) - 364 and $end
            and admit_date + 89 <= $as_of
            and discharge_reason in ('dropped_out', 'terminated')
            and date_diff('day', admit_date, discharge_date) + 1 < 90
        ) as left_before_90d
    from keyed
    group by 1
),

session_figures as (
    select
        coalesce(k.slice, '(unknown)') as slice,
        count(*) filter (where s.status = 'attended') as attended,
        count(*) filter (where s.status in ('attended', 'no_show', 'cancelled_client'))
            as client_scheduled
    from keyed as k
    inner join main.sessions as s on s.episode_id = k.episode_id
    where s.session_date between $start and $end
    group by 1
),

final as (
    select
        e.slice,
        e.admissions,
        e.discharges,
        e.completed,
        e.completed / nullif(e.discharges, 0) as completion_rate,
        e.disengaged,
        e.disengaged / nullif(e.discharges, 0) as disengaged_rate,
        e.retention_trials,
        e.retention_trials - e.left_before_90d as retained_90d,
        (e.retention_trials - e.left_before_90d) / nullif(e.retention_trials, 0) as retention_90d,
        coalesce(s.attended, 0) as attended,
        coalesce(s.client_scheduled, 0) as client_scheduled,
        s.attended / nullif(s.client_scheduled, 0) as attendance_rate
    from episode_figures as e
    left join session_figures as s using (slice)
    where e.admissions + e.discharges + e.retention_trials + coalesce(s.client_scheduled, 0) > 0
)

select * from final order by slice
