"""The site comparison's measures and statistics (comparison.md), one entry each."""

from __future__ import annotations

from .entry import Entry

# The site comparison (comparison.md): the sites page, `iop-metrics sites` and sites.json. Kept
# apart from ENTRIES, which are the report's own figures (its definitions appendix).
COMPARISON: tuple[Entry, ...] = (
    Entry(
        "sites.measures",
        "Measures and eligible episodes",
        "Each measure is a yes/no outcome per episode, over every site of the data, in the "
        "comparison window: the 12 months P.end - 364 .. P.end (as the retention cohort; the "
        "default) or the period itself (`--window period`; the page shows it in a table below "
        "each measure). The scope's levels of care and track apply; its site does not. Completion: "
        "discharges in the window, y = reason completed. Not disengaged within 90 days (not "
        "the report's estimated 90-day retention): admissions in the "
        "window with admit_date + 89 <= as_of, y = 0 when the episode ended dropped_out or "
        "terminated with LOS < 90. Step-down: discharges in the window whose next care is "
        "determined "
        "(step down, up, lateral, no next care; pending left out), y = step_down. Reliable "
        "improvement: the courses of treatment ended in the window paired on PHQ-9 or GAD-7 "
        "(the combined classification of *Paired scores* above), y = reliable_improvement "
        "(one improved reliably, none deteriorated reliably). Recovery: those of them that "
        "were a case at start (at_caseness, recovery's denominator), y = recovery (none of "
        "the paired instruments a case at end). Attendance: "
        "client-scheduled sessions in the window, y = attended; it stays a raw rate (one "
        "client's sessions are not independent trials) but its limits get the over-dispersion "
        "rule. Episodes without a site count as site `(none)`.",
        standard="Hospital Compare's indirect standardization; NHS Talking "
        "Therapies' case-mix adjusted reliable improvement and recovery",
    ),
    Entry(
        "sites.case_mix",
        "Case mix, reference levels and merged levels",
        "At admission: age band (the slices' bands, year(admit_date) - birth_year), sex, primary "
        "substance, payer, referral source; a missing value is the level `unknown`. Each "
        "variable's most common level (ties: first alphabetically) is its reference. A level "
        "with fewer than 10 eligible episodes network-wide, or whose eligible episodes all have "
        "one outcome (separation), is merged into the reference, until none is left; a variable "
        "left with one level is left out. Our reading where the spec is silent: a level that is "
        "separated only in combination with others (quasi-separation; the rule looks at one "
        "variable at a time) shows as a fitted standard error above 10 on the log-odds scale; "
        "the level with the largest such error is merged too and the model refitted. Every merge "
        "is reported as `variable=level`.",
        exclusions="characteristics on the causal path (attendance, length of stay, services) and "
        "site traits are never adjusted for",
    ),
    Entry(
        "sites.model",
        "Reference model and expected counts",
        "A logistic regression of y on the case-mix main effects (treatment coding), "
        "unpenalized, with no site term, fitted on every eligible episode of the network with "
        "statsmodels' GLM (Binomial, logit). The fit runs on the covariate patterns aggregated "
        "in SQL (`case_mix_patterns.sql`: successes and trials per site and pattern) with "
        "frequency weights, which gives the estimates of one row per episode. Per site j: "
        "E_j = sum p_i, V_j = sum p_i (1 - p_i); sum E = sum O (the model has an intercept). "
        "Quality: episodes, parameters, c-statistic (AUC; ties count one half) and observed "
        "against expected by decile of p_i (a pattern's episodes share p_i, so a pattern stays "
        "whole, in the decile of its middle episode: the groups are near tenths). When every "
        "eligible episode has one outcome there is nothing to explain: p_i = the network rate.",
        standard="The Lewin Group (1998) risk adjustment of outpatient substance-abuse "
        "providers; statsmodels GLM (freq_weights)",
    ),
    Entry(
        "sites.adjusted_rate",
        "Standardized ratio and adjusted rate",
        "SR_j = O_j / E_j (`ratio`); network rate p = sum O / sum n; adjusted rate A_j = SR_j p: "
        "the site's rate had it served the network's mix. Two sites' ratios are each a "
        "comparison with the network applied to their own clients, not with each other; "
        "indirect standardization also assumes a factor acts alike at every site (the 'constant "
        "risk fallacy' when it does not).",
        standard="Mohammed et al., BMJ 2009;338:b780; CMS Hospital Compare",
    ),
    Entry(
        "sites.funnel",
        "Funnel limits and case-mix-equivalent size",
        "z_j = (O_j - E_j) / sqrt(V_j); n*_j = (E_j^2 / V_j)(1 - p) / p puts A_j on the binomial "
        "funnel around p, so the limits are p (1 +/- z_a sqrt(V_j / E_j^2 + tau2)), clipped to "
        "[0, 1], with z_a = 1.959964 (95%) and 3.090232 (99.8%); with tau2 = 0 that is "
        "p +/- z_a sqrt(p (1 - p) / n*). Raw funnels use E_j = n_j p, V_j = n_j p (1 - p). A "
        "binary outcome's variance is sum p(1 - p), not E: Poisson (SMR) limits would be about "
        "1.5 times too wide for these measures.",
        standard="Spiegelhalter, Stat Med 2005;24:1185-1202",
    ),
    Entry(
        "sites.dispersion",
        "Over-dispersion (between-site variation)",
        "Over the sites with a reading (25 or more eligible), when there are at least 8: the "
        "z_j winsorized at their 10th and 90th percentiles (linear interpolation, R's type 7), "
        "phi = mean(z_w^2); Q = sum z^2 with its chi-square(I - 1) p-value. If I phi <= I - 1 the "
        "limits stay as they are; else the additive random-effects tau2 = (I phi - (I - 1)) / "
        "(sum w - sum w^2 / sum w), w_j = E_j^2 / V_j, widens every site's limits (adjusted and "
        "raw funnels each get their own). Fewer than 8 such sites: phi, tau2, Q and p are null, "
        "the limits are not widened and the page says why. tau2 is DerSimonian-Laird's moment "
        "estimator with the centre fixed at the target (ratio 1) instead of the weighted mean; "
        "the two agree when the weighted mean ratio is 1, as on a raw funnel over every site.",
        standard="Spiegelhalter, Qual Saf Health Care 2005;14:347-351; FunnelPlotR 0.6.0 "
        "(od_adjustment.R); NHS SHMI (additive random effects)",
    ),
    Entry(
        "sites.reading",
        "Readings",
        "Outside the 99.8% limits: `higher` / `lower` (than expected). Between 95% and 99.8%: "
        "`possibly higher` / `possibly lower`, worth a look (about one site in twenty lands "
        "there by chance). Inside: `as expected`, which means no clear difference, not average. "
        "Fewer than 25 eligible: `too few`, drawn grey. With many sites and measures, act on "
        "the 99.8% limits.",
        standard="Hospital Compare (n < 25 too small); Seaton & Manktelow, BMC Med Res "
        "Methodol 2012;12:98",
    ),
    Entry(
        "sites.suppression",
        "Suppression on the external sites page",
        "A site whose n, observed count, n - observed or expected count is 1..K-1 is hidden "
        "(every figure, and its point); a lone hidden site of a measure takes the next smallest "
        "with it, so that none can be worked out from the program's total. The observed "
        "against expected table by decile is left to the internal page.",
        standard="CMS cell size suppression policy (K = 11)",
    ),
)
