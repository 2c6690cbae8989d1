-- The long way (a test reference, issue #31): the macros of _macros.sql that read the derived
-- tables, computed instead from the canonical tables as they were before the derived tables
-- existed. test_derived.py makes them as temp macros (which shadow the database's own) on a
-- database to check that the derived tables change no figure.
-- next_episode: for every visible discharged episode e (discharge date D), the client's earliest
-- other episode that began after e began, no later than D + w, on or before as_of, and had not
-- ended before D. Ties: higher intensity first, then the smaller episode_id (metrics.md).
create or replace temp macro next_episode(as_of, w) as table
    with visible as (
        select * from visible_episodes(as_of)
    ),

    candidates as (
        select
            e.episode_id,
            e.discharge_date,
            n.episode_id as next_episode_id,
            n.level_of_care as next_level,
            n.intensity as next_intensity,
            n.admit_date as next_admit_date,
            row_number() over (
                partition by e.episode_id
                order by n.admit_date, n.intensity desc, n.episode_id
            ) as rank_in_client
        from visible as e
        inner join visible as n
            on n.client_id = e.client_id
            and n.episode_id <> e.episode_id
            and n.admit_date > e.admit_date
            and n.admit_date <= e.discharge_date + cast(w as integer)
            and (n.discharge_date is null or n.discharge_date >= e.discharge_date)
        where e.discharge_date is not null
    )

    select
        episode_id,
        next_episode_id,
        next_level,
        next_intensity,
        greatest(0, date_diff('day', discharge_date, next_admit_date)) as gap_days
    from candidates
    where rank_in_client = 1;

-- engagement (retention_cohort.sql): for the episodes admitted first_admit..last_admit that
-- initiated, the first attended session on day 0..13 after admission (initiated_on) and whether
-- two or more further attended sessions are dated initiated_on..initiated_on + 34 (engaged), both
-- counting only sessions dated on or before as_of.
create or replace temp macro engagement(as_of, first_admit, last_admit) as table
    with initiation as (
        select
            e.episode_id,
            min(s.session_date) as initiated_on
        from main.episodes as e
        inner join main.sessions as s
            on s.episode_id = e.episode_id
            and s.status = 'attended'
            and s.session_date between e.admit_date and e.admit_date + 13
            and s.session_date <= as_of
        where e.admit_date between first_admit and last_admit
        group by e.episode_id
    ),

    further as (
        select
            i.episode_id,
            count(*) - 1 as further_sessions
        from initiation as i
        inner join main.sessions as s
            on s.episode_id = i.episode_id
            and s.status = 'attended'
            and s.session_date between i.initiated_on and i.initiated_on + 34
            and s.session_date <= as_of
        group by i.episode_id
    )

    select
        i.episode_id,
        i.initiated_on,
        coalesce(f.further_sessions, 0) >= 2 as engaged
    from initiation as i
    left join further as f on f.episode_id = i.episode_id;

-- treatment_sessions (outcomes_ended.sql): for the episodes discharged first_discharge ..
-- last_discharge (as recorded), the attended sessions whose service_type is not assessment dated
-- admit_date .. discharge_date; episodes with none have no row.
create or replace temp macro treatment_sessions(first_discharge, last_discharge) as table
    select
        e.episode_id,
        count(*) as treatment_sessions
    from main.episodes as e
    inner join main.sessions as s
        on s.episode_id = e.episode_id
        and s.status = 'attended'
        and s.service_type <> 'assessment'
        and s.session_date between e.admit_date and e.discharge_date
    where e.discharge_date between first_discharge and last_discharge
    group by e.episode_id;

-- course_scores (outcomes_detail.sql): for the episodes discharged first_discharge ..
-- last_discharge (as recorded) and each instrument scored in them dated admit_date ..
-- discharge_date (a date's several scores count once, at their mean): the number of dates and
-- of scores, the first and last date and the score of each.
create or replace temp macro course_scores(first_discharge, last_discharge) as table
    with daily as (
        select
            a.episode_id,
            a.instrument,
            a.assessed_on,
            avg(a.score) as score,
            count(*) as scores
        from main.assessments as a
        inner join main.episodes as e on e.episode_id = a.episode_id
        where e.discharge_date between first_discharge and last_discharge
            and a.assessed_on between e.admit_date and e.discharge_date
            and a.assessed_on <= last_discharge
        group by a.episode_id, a.instrument, a.assessed_on
    ),

    spans as (
        select
            episode_id,
            instrument,
            count(*) as dates,
            cast(sum(scores) as bigint) as scores,
            min(assessed_on) as first_on,
            max(assessed_on) as last_on
        from daily
        group by episode_id, instrument
    )

    select
        s.episode_id,
        s.instrument,
        s.dates,
        s.scores,
        s.first_on,
        s.last_on,
        f.score as first_score,
        l.score as last_score
    from spans as s
    inner join daily as f
        on f.episode_id = s.episode_id and f.instrument = s.instrument
        and f.assessed_on = s.first_on
    inner join daily as l
        on l.episode_id = s.episode_id and l.instrument = s.instrument
        and l.assessed_on = s.last_on;

-- score_dates (outcomes_cadence.sql): each episode's dates with a score of any instrument,
-- first_day .. last_day.
create or replace temp macro score_dates(first_day, last_day) as table
    select distinct
        episode_id,
        assessed_on
    from main.assessments
    where assessed_on between first_day and last_day;

-- ended_episodes (outcomes_ended.sql): the in-scope episodes discharged first_discharge ..
-- last_discharge as of as_of (a discharge after as_of has not happened).
create or replace temp macro ended_episodes(
    as_of, scope_levels, scope_site, scope_track, first_discharge, last_discharge
) as table
    select episode_id, client_id, site, track, level_of_care, admit_date, discharge_date
    from scoped_episodes(as_of, scope_levels, scope_site, scope_track)
    where discharge_date between first_discharge and last_discharge;
