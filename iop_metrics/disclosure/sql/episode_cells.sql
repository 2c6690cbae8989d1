-- Which published counts of a document each in-scope episode is counted in (issue 30: every
-- published count a sum of atoms): one row (episode_id, cell) per episode and per count of the
-- period's census, discharges, transitions, inflow, continuity, retention cohort and LOS bins
-- that counts it, by the same rules as census.sql, discharges.sql, transitions.sql (over
-- transitions_detail), inflow.sql (inflow_detail), continuity.sql (continuity_detail),
-- retention.sql (retention_cohort) and length_of_stay_bins.sql, and the data-quality section's
-- open episodes without a session in 30 days (quality.sql, over quality_stale). `los_groups`
-- (label, lo, hi): the report's LOS groups of TEDS codes. A cell is named as the document names
-- its count, the data-quality check as published.quality_frame names it.
-- reads: moves=transitions_detail, arrivals=inflow_detail, continued=continuity_detail
-- reads: cohort=retention_cohort, stale=quality_stale, los_groups=?
with episodes as (
    select * from scoped_episodes($as_of, $levels, $site, $track)
),

discharged as (
    select
        episode_id,
        discharge_reason,
        case
            when date_diff('day', admit_date, discharge_date) + 1 <= 30
                then greatest(date_diff('day', admit_date, discharge_date) + 1, 1)
            when date_diff('day', admit_date, discharge_date) + 1 <= 45 then 31
            when date_diff('day', admit_date, discharge_date) + 1 <= 60 then 32
            when date_diff('day', admit_date, discharge_date) + 1 <= 90 then 33
            when date_diff('day', admit_date, discharge_date) + 1 <= 120 then 34
            when date_diff('day', admit_date, discharge_date) + 1 <= 180 then 35
            when date_diff('day', admit_date, discharge_date) + 1 <= 365 then 36
            else 37
        end as los_code
    from episodes
    where discharge_date between $start and $end
),

census as (
    select episode_id, 'census.active_at_start' as cell
    from episodes
    where admit_date < $start and (discharge_date is null or discharge_date >= $start)
    union all
    select episode_id, 'census.admissions' as cell
    from episodes
    where admit_date between $start and $end
    union all
    select episode_id, 'census.discharges' as cell
    from discharged
    union all
    select episode_id, 'census.active_at_end' as cell
    from episodes
    where admit_date <= $end and (discharge_date is null or discharge_date > $end)
),

reasons as (
    select episode_id, 'discharges.total' as cell
    from discharged
    union all
    select episode_id, 'discharges.by_reason.' || discharge_reason as cell
    from discharged
    union all
    select d.episode_id, 'los[' || g.label || '].n' as cell
    from discharged as d
    inner join los_groups as g on d.los_code between g.lo and g.hi
),

transitions as (
    select episode_id, 'transitions.' || outcome as cell
    from moves
    union all
    select episode_id, 'transitions.by_next_level.' || to_level as cell
    from moves
    where to_level is not null
    union all
    select episode_id, '~determined' as cell
    from moves
    where outcome <> 'pending'
    union all
    select episode_id, 'inflow.' || outcome as cell
    from arrivals
),

continuity as (
    select episode_id, 'continuity.residential_discharges' as cell
    from continued
    union all
    select episode_id, 'continuity.followed_up_7d' as cell
    from continued
    where followed_up_7d
    union all
    select episode_id, 'continuity.followed_up_14d' as cell
    from continued
    where followed_up_14d
    union all
    select episode_id, 'continuity.pending_7d' as cell
    from continued
    where pending_7d
    union all
    select episode_id, 'continuity.pending_14d' as cell
    from continued
    where pending_14d
    union all
    select episode_id, '~continuity_den_7d' as cell
    from continued
    where not pending_7d
    union all
    select episode_id, '~continuity_den_14d' as cell
    from continued
    where not pending_14d
),

retention as (
    select episode_id, 'retention.cohort_admissions' as cell
    from cohort
    union all
    select episode_id, '~initiation_eligible' as cell
    from cohort
    where initiation_window_passed
    union all
    select episode_id, '~initiated' as cell
    from cohort
    where initiation_window_passed and initiated
    union all
    select episode_id, '~engagement_eligible' as cell
    from cohort
    where engagement_window_passed
    union all
    select episode_id, '~engaged' as cell
    from cohort
    where engagement_window_passed and initiated and engaged
),

checks as (
    select episode_id, 'quality[checks>open_without_session_30d>].n' as cell
    from stale
),

final as (
    select * from census
    union all
    select * from reasons
    union all
    select * from transitions
    union all
    select * from continuity
    union all
    select * from retention
    union all
    select * from checks
)

select episode_id, cell from final
