-- Which recovery counts of a document each ended episode is counted in (issue 30): one row
-- (record, cell) per episode and per count, by the rules of noms.sql over noms_detail.sql
-- (`detail`: one row per ended episode and domain, run over [$start, $end]: the trends' months
-- and the period): the period's [$period_start, $period_end] ended episodes, those with an
-- admission and a discharge row, and per domain the paired, positive at admission and at
-- discharge, gained, lost (abstinence also using at admission, reduced), and per month of
-- `months` its abstinent paired and abstinent at discharge as series.py's recovery row counts
-- them (an episode's flags depend on its own rows and $as_of only, never on the window it is
-- read in). A cell is named as the document and its monthly trends name the count. The ended
-- episode is the record the episode counts count (`e:<id>`: the ended are the period's
-- discharges); that it has an admission and a discharge row is a record of its own (`n:<id>`),
-- and so is what its rows say of each domain (`n:<domain>:<id>`: paired, at admission, gained
-- ... of one domain are sums of the same records, so at_discharge = at_admission + gained -
-- lost follows; one record per domain keeps the atoms few: the domains' yes/no would split
-- an episode's record 3^5 ways, and no count ties two domains).
-- reads: months=?, detail=noms_detail
with parts as (
    select * from (
        values
        ('paired'), ('at_admission'), ('at_discharge'), ('gained'), ('lost'),
        ('using_at_admission'), ('reduced')
    ) as t (part)
),

period_rows as (
    select * from detail where discharge_date between $period_start and $period_end
),

with_rows as (
    select distinct episode_id, with_admission, with_discharge from period_rows
),

flags as (
    select r.domain || ':' || cast(r.episode_id as varchar) as record, r.domain, p.part
    from period_rows as r
    cross join parts as p
    where case p.part
        when 'paired' then r.paired
        when 'at_admission' then r.admission
        when 'at_discharge' then r.discharge
        when 'gained' then r.gained
        when 'lost' then r.lost
        when 'using_at_admission' then r.domain = 'abstinent' and r.paired and not r.admission
        when 'reduced' then r.reduced
    end
),

monthly as (
    select
        'n:abstinent:' || cast(d.episode_id as varchar) as record,
        'monthly[' || m.label || '].' || c.column_name as cell
    from detail as d
    inner join months as m on d.discharge_date between m.month_start and m.month_end
    cross join (values ('abstinent_paired'), ('abstinent_at_discharge')) as c (column_name)
    where d.domain = 'abstinent' and d.paired
        and (c.column_name = 'abstinent_paired' or d.discharge)
),

final as (
    select 'e:' || cast(episode_id as varchar) as record, 'noms.ended' as cell
    from with_rows
    union all
    select 'n:' || cast(episode_id as varchar) as record, 'noms.with_admission' as cell
    from with_rows
    where with_admission
    union all
    select 'n:' || cast(episode_id as varchar) as record, 'noms.with_discharge' as cell
    from with_rows
    where with_discharge
    union all
    select 'n:' || record as record, 'noms.' || domain || '.' || part as cell
    from flags
    union all
    select record, cell from monthly
)

select record, cell from final
