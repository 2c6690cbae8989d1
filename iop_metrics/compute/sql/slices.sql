-- Figures by a client attribute ($attribute: payer, primary_substance, referral_source, sex,
-- age_band) for in-scope episodes: admissions and discharges in P, completions, sessions and
-- attendance. Age bands are ages at admission (year of admission - birth year), top band 65+.
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
        ) as completed
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
        coalesce(s.attended, 0) as attended,
        coalesce(s.client_scheduled, 0) as client_scheduled,
        s.attended / nullif(s.client_scheduled, 0) as attendance_rate
    from episode_figures as e
    left join session_figures as s using (slice)
    where e.admissions + e.discharges + coalesce(s.client_scheduled, 0) > 0
)

select * from final order by slice
