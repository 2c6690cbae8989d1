-- The follow-up windows of spec recovery.md (After discharge), in days after discharge_date
-- (the discharge day is day 0; both ends inclusive), read as `windows` by follow_up_detail.sql
-- and follow_up.sql.
select '1m' as window_name, 1 as window_order, 15 as first_day, 59 as last_day
union all select '3m', 2, 60, 134
union all select '6m', 3, 135, 269
union all select '12m', 4, 270, 455
