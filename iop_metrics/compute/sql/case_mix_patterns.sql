-- Case-mix covariate patterns (comparison.md, Case mix and Method step 1): a measure's eligible
-- episodes (read in as `outcome`: measure, episode_id, y in {0, 1}; the rows of several measures
-- at once, see case_mix_outcomes.sql) grouped by measure, site and by the case mix
-- at admission, with the number of episodes (trials) and of y = 1 (successes) per group. The
-- case mix: age band (age_band macro), sex, primary substance, payer and referral source of the
-- client; a missing value is the level 'unknown', an episode without a site has site '(none)'.
-- The logistic reference model is fitted on these rows with frequency weights (casemix.py):
-- the same estimates as one row per episode, in a few hundred rows on any engine.
-- reads: outcome=?
with episodes as (
    select
        o.measure,
        o.y,
        coalesce(e.site, '(none)') as site,
        coalesce(age_band(e.admit_date, c.birth_year), 'unknown') as age_band,
        coalesce(c.sex, 'unknown') as sex,
        coalesce(c.primary_substance, 'unknown') as primary_substance,
        coalesce(c.payer, 'unknown') as payer,
        coalesce(c.referral_source, 'unknown') as referral_source
    from outcome as o
    inner join main.episodes as e on e.episode_id = o.episode_id
    left join main.clients as c on c.client_id = e.client_id
),

final as (
    select
        measure,
        site,
        age_band,
        sex,
        primary_substance,
        payer,
        referral_source,
        count(*) as trials,
        cast(sum(y) as bigint) as successes
    from episodes
    group by measure, site, age_band, sex, primary_substance, payer, referral_source
)

select * from final
order by measure, site, age_band, sex, primary_substance, payer, referral_source
