-- Shared building blocks, made in the database by every load after the derived tables
-- (compute.derived.build; the Spark engine inlines them). next_episode, engagement,
-- treatment_sessions, ended_episodes, course_scores and score_dates read the derived tables
-- (derived_*.sql), whose rows hold exactly what the as_of rules below keep.
-- visible_episodes: the episodes as they were known at the end of as_of (metrics.md, as_of):
-- an admission after as_of does not exist, a discharge after as_of has not happened.
create or replace macro visible_episodes(as_of) as table
    select
        e.episode_id,
        e.client_id,
        e.site,
        e.level_of_care,
        e.track,
        e.admit_date,
        case when e.discharge_date <= as_of then e.discharge_date end as discharge_date,
        case when e.discharge_date <= as_of then e.discharge_reason end as discharge_reason,
        l.intensity,
        l.setting
    from main.episodes as e
    inner join main.levels_of_care as l on l.code = e.level_of_care
    where e.admit_date <= as_of;

-- scoped_episodes: visible episodes in the report's scope. A null levels list means every level;
-- a null site or track means any.
create or replace macro scoped_episodes(as_of, scope_levels, scope_site, scope_track) as table
    select *
    from visible_episodes(as_of)
    where (scope_levels is null or list_contains(scope_levels, level_of_care))
        and (scope_site is null or site = scope_site)
        and (scope_track is null or track = scope_track);

-- next_episode: the row of episode_next when the next admission is on or before as_of and
-- within w days of the discharge, the episode itself visible and discharged as of as_of.
create or replace macro next_episode(as_of, w) as table
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
create or replace macro engagement(as_of, first_admit, last_admit) as table
    select
        episode_id,
        initiated_on,
        coalesce(third_on <= as_of, false) as engaged
    from main.episode_engagement
    where admit_date between first_admit and last_admit
        and initiated_on <= as_of;

-- severity_band: PHQ-9 (0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe,
-- 20-27 severe) and GAD-7 (0-4, 5-9, 10-14, 15-21) bands; null for other instruments.
create or replace macro severity_band(instrument, score) as
    case
        when instrument not in ('PHQ-9', 'GAD-7') or score is null then null
        when score < 5 then 'minimal'
        when score < 10 then 'mild'
        when score < 15 then 'moderate'
        when instrument = 'GAD-7' or score >= 20 then 'severe'
        else 'moderately severe'
    end;

-- age_band: age at admission (year of admission - birth year) in the slices' bands, top band 65+;
-- null when the birth year is unknown (slices.sql, case_mix_patterns.sql).
create or replace macro age_band(admitted, born) as
    case
        when born is null then null
        when year(admitted) - born < 18 then 'under 18'
        when year(admitted) - born < 26 then '18-25'
        when year(admitted) - born < 35 then '26-34'
        when year(admitted) - born < 45 then '35-44'
        when year(admitted) - born < 55 then '45-54'
        when year(admitted) - born < 65 then '55-64'
        else '65+'
    end;

-- treatment_sessions: from episode_treatment (the same count for every episode discharged in the
-- range; an episode ended as of as_of was discharged on its recorded date).
create or replace macro treatment_sessions(first_discharge, last_discharge) as table
    select
        episode_id,
        treatment_sessions
    from main.episode_treatment
    where discharge_date between first_discharge and last_discharge
        and treatment_sessions > 0;

-- course_scores: from episode_scores (the same rows for every episode discharged in the range;
-- an episode ended as of as_of was discharged on its recorded date).
create or replace macro course_scores(first_discharge, last_discharge) as table
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
create or replace macro score_dates(first_day, last_day) as table
    select
        episode_id,
        assessed_on
    from main.episode_score_dates
    where assessed_on between first_day and last_day;

-- ended_episodes: from episode_treatment, the discharged episodes sorted by discharge date (an
-- episode is visible with its discharge as of as_of when it was discharged on or before it, and
-- its level must be a known one, as visible_episodes' join asks).
create or replace macro ended_episodes(
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

-- noms_item (noms_detail.sql, follow_up_detail.sql): a noms row's item for one recovery domain
-- (spec recovery.md, Five domains), as text (arrests as its count); null when not collected.
create or replace macro noms_item(
    domain, use_frequency, employment, living, arrests, self_help
) as
    case domain
        when 'abstinent' then use_frequency
        when 'employed_or_student' then employment
        when 'housed' then living
        when 'no_arrests' then cast(arrests as varchar)
        when 'self_help' then self_help
    end;

-- noms_positive: the domain's yes/no for an item given by noms_item; null (unknown) when the
-- item is null (TEDS -9).
create or replace macro noms_positive(domain, item) as
    case
        when item is null then null
        when domain = 'abstinent' then item = 'none'
        when domain = 'employed_or_student' then item in ('full_time', 'part_time', 'student')
        when domain = 'housed' then item in ('dependent', 'independent')
        when domain = 'no_arrests' then item = '0'
        when domain = 'self_help' then item <> 'none'
    end;

-- noms_use_level: use_frequency on TEDS's three levels, none 0 < some 1 < daily 2.
create or replace macro noms_use_level(use_frequency) as
    case
        when use_frequency = 'none' then 0
        when use_frequency in ('1_3_month', '1_2_week', '3_6_week') then 1
        when use_frequency = 'daily' then 2
    end;
