-- The admission and discharge items, from the derived table episode_noms
-- (derived_episode_noms.sql), read as `time_points` by noms_detail.sql: for the ended episodes
-- (`ended`, noms_ended.sql) with an admission or discharge row dated on or before as_of, each
-- side's items only when its row is (rows dated after as_of do not exist).
-- reads: ended=noms_ended
select
    t.episode_id,
    coalesce(t.admission_on <= $as_of, false) as with_admission,
    coalesce(t.discharge_on <= $as_of, false) as with_discharge,
    case when t.admission_on <= $as_of then t.a_use end as a_use,
    case when t.admission_on <= $as_of then t.a_employment end as a_employment,
    case when t.admission_on <= $as_of then t.a_living end as a_living,
    case when t.admission_on <= $as_of then t.a_arrests end as a_arrests,
    case when t.admission_on <= $as_of then t.a_self_help end as a_self_help,
    case when t.discharge_on <= $as_of then t.d_use end as d_use,
    case when t.discharge_on <= $as_of then t.d_employment end as d_employment,
    case when t.discharge_on <= $as_of then t.d_living end as d_living,
    case when t.discharge_on <= $as_of then t.d_arrests end as d_arrests,
    case when t.discharge_on <= $as_of then t.d_self_help end as d_self_help
from main.episode_noms as t
inner join ended as e on e.episode_id = t.episode_id
where t.discharge_date between $start and $end
    and (t.admission_on <= $as_of or t.discharge_on <= $as_of)
