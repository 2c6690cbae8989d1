-- The document's `noms` key (spec recovery.md, Admission to discharge): one row per domain
-- (`domains`, noms_domains.sql; every domain has its row, with counts 0 when nothing is known)
-- over noms_detail.sql (`detail`: one row per ended episode and domain). ended, with_admission,
-- with_discharge are the same on every row. Per domain, over its paired episodes: at_admission,
-- at_discharge, gained, lost (so at_discharge = at_admission + gained - lost); paired_rate =
-- paired / ended (data completeness), admission_rate = at_admission / paired, discharge_rate =
-- at_discharge / paired, change = discharge_rate - admission_rate (a difference of proportions,
-- never relative). Abstinence: using_at_admission = paired - at_admission, reduced, reduced_rate
-- = reduced / using_at_admission (null on the other domains). A rate is null exactly when its
-- denominator is 0.
-- reads: domains=noms_domains, detail=noms_detail
with counts as (
    select
        domain,
        count(*) as ended,
        count(*) filter (where with_admission) as with_admission,
        count(*) filter (where with_discharge) as with_discharge,
        count(*) filter (where paired) as paired,
        count(*) filter (where admission) as at_admission,
        count(*) filter (where discharge) as at_discharge,
        count(*) filter (where gained) as gained,
        count(*) filter (where lost) as lost,
        count(*) filter (where reduced) as reduced
    from detail
    group by domain
),

filled as (
    select
        d.domain,
        d.domain_order,
        coalesce(c.ended, 0) as ended,
        coalesce(c.with_admission, 0) as with_admission,
        coalesce(c.with_discharge, 0) as with_discharge,
        coalesce(c.paired, 0) as paired,
        coalesce(c.at_admission, 0) as at_admission,
        coalesce(c.at_discharge, 0) as at_discharge,
        coalesce(c.gained, 0) as gained,
        coalesce(c.lost, 0) as lost,
        coalesce(c.reduced, 0) as reduced
    from domains as d
    left join counts as c on c.domain = d.domain
),

final as (
    select
        domain,
        domain_order,
        ended,
        with_admission,
        with_discharge,
        paired,
        cast(paired as double) / nullif(ended, 0) as paired_rate,
        at_admission,
        at_discharge,
        gained,
        lost,
        cast(at_admission as double) / nullif(paired, 0) as admission_rate,
        cast(at_discharge as double) / nullif(paired, 0) as discharge_rate,
        cast(at_discharge as double) / nullif(paired, 0)
            - cast(at_admission as double) / nullif(paired, 0) as change,
        case when domain = 'abstinent' then paired - at_admission end as using_at_admission,
        case when domain = 'abstinent' then reduced end as reduced,
        case
            when domain = 'abstinent'
                then cast(reduced as double) / nullif(paired - at_admission, 0)
        end as reduced_rate
    from filled
)

select * from final order by domain_order
