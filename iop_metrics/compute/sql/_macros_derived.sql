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
