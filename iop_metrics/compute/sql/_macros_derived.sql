-- Macros that read the derived tables built at load (derived_*.sql), created after _macros.sql
-- on databases that have them, replacing the macro of the same name (same rows, less work).
-- next_episode: the row of episode_next when the next admission is on or before as_of and
-- within w days of the discharge, the episode itself visible and discharged as of as_of.
create or replace temp macro next_episode(as_of, w) as table
    select
        episode_id,
        next_episode_id,
        next_level,
        next_intensity,
        greatest(0, date_diff('day', discharge_date, next_admit_date)) as gap_days
    from main.episode_next
    where admit_date <= as_of
        and discharge_date <= as_of
        and next_admit_date <= as_of
        and next_admit_date <= discharge_date + cast(w as integer);

-- engagement: from episode_engagement. The first attended session on day 0..13 as of as_of is
-- the first of all when it is on or before as_of (else none yet); two or more further sessions
-- in its 35 days are dated on or before as_of exactly when the third session of the window is.
create or replace temp macro engagement(as_of, first_admit, last_admit) as table
    select
        episode_id,
        initiated_on,
        coalesce(third_on <= as_of, false) as engaged
    from main.episode_engagement
    where admit_date between first_admit and last_admit
        and initiated_on <= as_of;

-- treatment_sessions: from episode_treatment (the same count for every episode discharged in the
-- range; an episode ended as of as_of was discharged on its recorded date).
create or replace temp macro treatment_sessions(first_discharge, last_discharge) as table
    select
        episode_id,
        treatment_sessions
    from main.episode_treatment
    where discharge_date between first_discharge and last_discharge
        and treatment_sessions > 0;

-- ended_episodes: from episode_treatment, the discharged episodes sorted by discharge date (an
-- episode is visible with its discharge as of as_of when it was discharged on or before it, and
-- its level must be a known one, as visible_episodes' join asks).
create or replace temp macro ended_episodes(
    as_of, scope_levels, scope_site, scope_track, first_discharge, last_discharge
) as table
    select
        d.episode_id,
        d.client_id,
        d.site,
        d.track,
        d.level_of_care,
        d.admit_date,
        d.discharge_date
    from main.episode_treatment as d
    inner join main.levels_of_care as l on l.code = d.level_of_care
    where d.discharge_date between first_discharge and last_discharge
        and d.discharge_date <= as_of
        and d.admit_date <= as_of
        and (scope_levels is null or list_contains(scope_levels, d.level_of_care))
        and (scope_site is null or d.site = scope_site)
        and (scope_track is null or d.track = scope_track);

-- course_scores: from episode_scores (the same rows for every episode discharged in the range;
-- an episode ended as of as_of was discharged on its recorded date).
create or replace temp macro course_scores(first_discharge, last_discharge) as table
    select
        episode_id,
        instrument,
        dates,
        scores,
        first_on,
        last_on,
        first_score,
        last_score
    from main.episode_scores
    where discharge_date between first_discharge and last_discharge;

-- score_dates: from episode_score_dates (the same dates, sorted by date).
create or replace temp macro score_dates(first_day, last_day) as table
    select
        episode_id,
        assessed_on
    from main.episode_score_dates
    where assessed_on between first_day and last_day;
