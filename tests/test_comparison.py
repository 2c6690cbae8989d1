"""The site comparison (comparison.md): a synthetic network with a known truth, the merge rule
by hand, the reference model against an independent fit, tau2 against statsmodels'
DerSimonian-Laird, a permutation null, determinism and the JSON document."""

from __future__ import annotations

import datetime as dt
import json
import math
import random

import numpy as np
import pandas as pd
import pytest
from helpers import write_dataset
from network import tables
from network import write as write_network

from iop_metrics.compute import casemix
from iop_metrics.compute import comparison as c
from iop_metrics.compute.query import Query
from iop_metrics.ingest.load import load_memory
from iop_metrics.periods import parse_period

Q = Query.of(parse_period("2026-10"))


# The tests that read ``net`` go to one worker (--dist loadgroup), which builds it once
NET = pytest.mark.xdist_group("comparison-net")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    return load_memory(write_network(tmp_path_factory.mktemp("net") / "data"))


def _by_site(comp: c.Comparison) -> dict:
    return {r["site"]: r for r in comp.sites.to_dict(orient="records")}


@NET
def test_readings_come_out_as_planted(net):
    adj = c.compare_sites(net, Q, "completion")
    raw = c.compare_sites(net, Q, "completion", adjust=False)
    a, r = _by_site(adj), _by_site(raw)
    assert a["better"]["reading"] == "higher" and r["better"]["reading"] == "higher"
    # court: a high raw rate from its court referrals alone
    assert r["court"]["rate"] > 0.7 and r["court"]["reading"] in ("higher", "possibly higher")
    assert a["court"]["reading"] == "as expected" and abs(a["court"]["adjusted_rate"] - 0.5) < 0.05
    assert a["small"]["reading"] == r["small"]["reading"] == "too few" and a["small"]["n"] == 15
    assert {s["reading"] for k, s in a.items() if k not in ("better", "small")} <= {
        "as expected",
        "possibly higher",
        "possibly lower",
    }
    assert adj.model.merged == ("primary_substance=sedatives", "payer=self_pay")
    assert adj.model.left_out == () and adj.dispersion.sites == 14
    # sum E = sum O (the model has an intercept); the network rate is the centre
    assert adj.sites["expected"].sum() == pytest.approx(adj.observed, rel=1e-9)
    assert adj.n == 4215 and adj.rate == pytest.approx(adj.observed / 4215)


@NET
def test_adjusted_rate_ratio_z_and_n_star_follow_the_formulas(net):
    adj = c.compare_sites(net, Q, "completion")
    p = adj.rate
    for s in adj.sites.to_dict(orient="records"):
        assert s["ratio"] == pytest.approx(s["observed"] / s["expected"])
        assert s["adjusted_rate"] == pytest.approx(s["ratio"] * p)
        # the adjusted rate on the binomial funnel at n* gives back z exactly
        assert (s["adjusted_rate"] - p) / math.sqrt(p * (1 - p) / s["n_star"]) == pytest.approx(
            s["z"], rel=1e-9
        )
        assert s["lo998"] <= s["lo95"] < p < s["hi95"] <= s["hi998"]


WINDOW = ("2025-11-01", "2026-10-31")


def _episode_rows(con) -> pd.DataFrame:
    """Every episode discharged in the 12-month window with its site and client, from the raw
    tables, ages banded in pandas."""
    df = con.execute(
        "select e.site, e.episode_id, e.admit_date, e.discharge_date, e.discharge_reason, c.* "
        "from main.episodes e join main.clients c using (client_id) "
        f"where e.discharge_date between date '{WINDOW[0]}' and date '{WINDOW[1]}'"
    ).df()
    age = pd.to_datetime(df["admit_date"]).dt.year - df["birth_year"]
    bands = [(18, "under 18"), (26, "18-25"), (35, "26-34"), (45, "35-44"), (55, "45-54")]
    bands += [(65, "55-64"), (999, "65+")]
    df["age_band"] = [next(b for lim, b in bands if a < lim) for a in age]
    return df


def _independent_expected(df: pd.DataFrame, model: casemix.CaseMixModel):
    """statsmodels' formula GLM on one row per episode (``df``: site, the raw factors, y), its
    own design with the model's merges applied: (expected per site, the fit, p per row)."""
    import statsmodels.formula.api as smf
    from statsmodels.genmod.families import Binomial

    df = df.copy()
    merged: dict[str, set[str]] = {}
    for x in model.merged:
        var, level = x.split("=")
        merged.setdefault(var, set()).add(level)
    terms = []
    for var in casemix.FACTORS:
        ref = model.references[var]
        df[var] = [ref if v in merged.get(var, ()) else v for v in df[var]]
        if var not in model.left_out:
            terms.append(f"C({var}, Treatment('{ref}'))")
    res = smf.glm("y ~ " + " + ".join(terms or ["1"]), df, family=Binomial()).fit()
    p = res.predict(df)
    return p.groupby(df["site"]).sum(), res, p


@NET
def test_expected_counts_equal_a_fit_on_one_row_per_episode(net):
    """statsmodels' formula GLM on one row per episode (its own design from the raw tables,
    ages banded in pandas) gives the same expected counts per site to 1e-6."""
    model = c.compare_sites(net, Q, "completion").model
    df = _episode_rows(net)
    df["y"] = (df["discharge_reason"] == "completed").astype(int)
    independent, res, p = _independent_expected(df, model)
    ours = c.compare_sites(net, Q, "completion").sites.set_index("site")["expected"]
    assert len(ours) == 15
    for site, e in ours.items():
        assert e == pytest.approx(independent[site], abs=1e-6), site
    assert res.df_model + 1 == model.parameters
    # the c-statistic against the Mann-Whitney U of the same p_i
    from scipy.stats import mannwhitneyu

    u = mannwhitneyu(p[df.y == 1], p[df.y == 0]).statistic
    assert model.auc == pytest.approx(u / (df.y.sum() * (1 - df.y).sum()), abs=1e-9)


# PHQ-9 and GAD-7 as outcomes.md's table gives them: caseness and reliable change
THRESHOLDS = {"PHQ-9": (10, 6), "GAD-7": (8, 4)}


def _outcome_flags(con) -> pd.DataFrame:
    """outcomes.md in pandas from the raw tables: the window's courses of treatment (2+ attended
    non-assessment sessions within the episode) paired on PHQ-9/GAD-7 (same-day scores
    averaged, first and last date), with at_caseness, reliable_improvement and recovery."""
    eps = _episode_rows(con)
    ses = con.execute("select * from main.sessions").df().merge(eps, on="episode_id")
    inside = ses["session_date"].between(ses["admit_date"], ses["discharge_date"])
    treat = ses[inside & (ses["status"] == "attended") & (ses["service_type"] != "assessment")]
    courses = eps[
        eps["episode_id"].isin(set(treat.groupby("episode_id").size().loc[lambda n: n >= 2].index))
    ]
    sc = con.execute("select * from main.assessments").df().merge(courses, on="episode_id")
    sc = sc[sc["assessed_on"].between(sc["admit_date"], sc["discharge_date"])]
    sc = sc[sc["instrument"].isin(list(THRESHOLDS))]
    daily = sc.groupby(["episode_id", "instrument", "assessed_on"])["score"].mean().reset_index()
    flags = {}
    for (eid, inst), g in daily.sort_values("assessed_on").groupby(["episode_id", "instrument"]):
        if len(g) < 2:
            continue
        case, change = THRESHOLDS[inst]
        first, last = g["score"].iloc[0], g["score"].iloc[-1]
        flags.setdefault(eid, []).append(
            (first >= case, last >= case, last - first <= -change, last - first >= change)
        )
    rows = []
    for eid, fl in flags.items():
        start, end = any(f[0] for f in fl), any(f[1] for f in fl)
        up, down = any(f[2] for f in fl), any(f[3] for f in fl)
        rows.append((eid, start, up and not down, start and not end))
    out = pd.DataFrame(
        rows, columns=["episode_id", "at_caseness", "reliable_improvement", "recovery"]
    )
    return courses.merge(out, on="episode_id")


@NET
@pytest.mark.parametrize("measure", ["reliable_improvement", "recovery"])
def test_outcome_expected_counts_equal_a_fit_on_one_row_per_episode(net, measure):
    """The outcome measures' eligible courses and y worked out in pandas from the raw tables,
    and their expected counts from statsmodels on one row per course, to 1e-6."""
    df = _outcome_flags(net)
    if measure == "recovery":
        df = df[df["at_caseness"]]
    df = df.assign(y=df[measure].astype(int))
    comp = c.compare_sites(net, Q, measure)
    ours = comp.sites.set_index("site")
    assert comp.n == len(df) and comp.observed == df["y"].sum()
    assert dict(ours["n"]) == dict(df.groupby("site").size())
    assert dict(ours["observed"]) == dict(df.groupby("site")["y"].sum())
    independent, res, _ = _independent_expected(df, comp.model)
    assert len(ours) == 15
    for site, e in ours["expected"].items():
        assert e == pytest.approx(independent[site], abs=1e-6), site
    assert res.df_model + 1 == comp.model.parameters
    # sum E = sum O (the model has an intercept)
    assert ours["expected"].sum() == pytest.approx(comp.observed, rel=1e-9)


@NET
def test_outcome_readings_come_out_as_planted(net):
    """better improves and recovers more for real; court's high raw rates come from its court
    referrals alone; small has too few; self_pay (5 clients) is merged."""
    for measure in ("reliable_improvement", "recovery"):
        adj = _by_site(c.compare_sites(net, Q, measure))
        raw = _by_site(c.compare_sites(net, Q, measure, adjust=False))
        network = c.compare_sites(net, Q, measure)
        assert adj["better"]["reading"] == "higher", measure
        assert raw["better"]["reading"] in ("higher", "possibly higher"), measure
        assert raw["court"]["rate"] > network.rate + 0.15
        assert raw["court"]["reading"] == "possibly higher", measure
        assert adj["court"]["reading"] == "as expected", measure
        assert abs(adj["court"]["adjusted_rate"] - network.rate) < 0.05, measure
        assert adj["small"]["reading"] == raw["small"]["reading"] == "too few"
        assert network.model.merged == ("payer=self_pay",) and network.dispersion.sites == 14
    # every 10th episode is unpaired and every 13th no course: 4215 - 421 - 324 + 32 = 3502
    assert c.compare_sites(net, Q, "reliable_improvement").n == 3502


def _pats(rows):
    cols = ["site", *casemix.FACTORS, "trials", "successes"]
    return pd.DataFrame(rows, columns=cols)


def test_merge_rule_by_hand():
    # payer: medicaid 40 and commercial 40 (a tie: commercial, first alphabetically, is the
    # reference), other 9 (rare); substance: alcohol 60, opioids 20 all failed (separated),
    # stimulants 9 (rare); age 18-25: 20 all failed (separated); sex and referral one level.
    rows = [
        ("a", "35-44", "F", "alcohol", "medicaid", "self", 30, 15),
        ("a", "35-44", "F", "alcohol", "commercial", "self", 30, 20),
        ("b", "18-25", "F", "opioids", "medicaid", "self", 10, 0),
        ("b", "18-25", "F", "opioids", "commercial", "self", 10, 0),
        ("b", "35-44", "F", "stimulants", "other", "self", 9, 4),
    ]
    refs, merged = casemix.merge_rule(_pats(rows))
    assert refs["payer"] == "commercial" and refs["primary_substance"] == "alcohol"
    assert refs["age_band"] == "35-44" and refs["sex"] == "F"
    assert merged == [
        "age_band=18-25",
        "primary_substance=opioids",
        "primary_substance=stimulants",
        "payer=other",
    ]
    model = casemix.fit(_pats(rows), measure="completion")
    assert model.merged == (
        "age_band=18-25",
        "primary_substance=opioids",
        "primary_substance=stimulants",
        "payer=other",
    )
    assert model.left_out == ("age_band", "sex", "primary_substance", "referral_source")
    assert model.terms == ("intercept", "payer=medicaid") and model.parameters == 2
    ors = model.odds_ratios().set_index(["variable", "level"])
    assert ors.loc[("payer", "commercial"), "role"] == "reference"
    assert ors.loc[("payer", "other"), "role"] == "merged into commercial"
    # medicaid 15 of 40 against commercial with other merged in, 24 of 49: OR by hand
    odds_ratio = (15 / 25) / (24 / 25)
    assert ors.loc[("payer", "medicaid"), "odds_ratio"] == pytest.approx(odds_ratio, rel=1e-6)


def test_a_level_of_exactly_10_episodes_is_kept_and_one_of_9_merged():
    # payer: commercial 30 (reference), medicaid exactly 10 with mixed outcomes (kept: the
    # rule merges "fewer than 10"), other 9 (merged)
    rows = [
        ("a", "35-44", "F", "alcohol", "commercial", "self", 30, 15),
        ("a", "35-44", "F", "alcohol", "medicaid", "self", 10, 4),
        ("b", "35-44", "F", "alcohol", "other", "self", 9, 4),
    ]
    refs, merged = casemix.merge_rule(_pats(rows))
    assert refs["payer"] == "commercial" and merged == ["payer=other"]
    assert casemix.fit(_pats(rows), measure="completion").terms == ("intercept", "payer=medicaid")


def test_expected_and_variance_are_sums_over_the_patterns_by_hand():
    # one factor with two levels of 10 (saturated): the fitted p is each level's rate,
    # commercial 2/10 = 0.2 and medicaid 8/10 = 0.8. Site a: commercial 10 and medicaid 5,
    # E = 10 * 0.2 + 5 * 0.8 = 6, V = 10 * 0.2 * 0.8 + 5 * 0.8 * 0.2 = 2.4 (from E alone,
    # n q (1 - q) at q = E / n = 0.4, it would be 3.6); site b, medicaid 5: E = 4, V = 0.8.
    rows = [
        ("a", "35-44", "F", "alcohol", "commercial", "self", 10, 2),
        ("a", "35-44", "F", "alcohol", "medicaid", "self", 5, 4),
        ("b", "35-44", "F", "alcohol", "medicaid", "self", 5, 4),
    ]
    model = casemix.fit(_pats(rows), measure="completion")
    e = casemix.expected(model, _pats(rows)).set_index("site")
    assert list(e["n"]) == [15, 5] and list(e["observed"]) == [6, 4]
    assert list(e["expected"]) == pytest.approx([6, 4], rel=1e-6)
    assert list(e["variance"]) == pytest.approx([2.4, 0.8], rel=1e-6)
    comp = c.funnel(
        e.reset_index(), measure="completion", adjusted=True, start=Q.period.start,
        end=Q.period.end,
    )  # fmt: skip
    # O = E at both sites: z = 0; network p = 10 / 20, so n* = (E^2 / V) (1 - p) / p = E^2 / V:
    # 36 / 2.4 = 15 and 16 / 0.8 = 20
    assert list(comp.sites["z"]) == pytest.approx([0, 0], abs=1e-6)
    assert list(comp.sites["n_star"]) == pytest.approx([15, 20])


def test_a_level_separated_only_in_combination_is_merged_after_the_fit():
    # sex=M occurs only with court referrals; court without M always completes. Neither level
    # is rare or all one outcome, yet the fit runs away (quasi-separation: court -> +inf,
    # M -> -inf); the fitted standard error shows it and the level is merged.
    rows = [
        ("a", "35-44", "M", "alcohol", "medicaid", "court", 20, 10),
        ("a", "35-44", "F", "alcohol", "medicaid", "court", 10, 10),
        ("a", "35-44", "F", "alcohol", "medicaid", "self", 100, 50),
    ]
    assert casemix.merge_rule(_pats(rows))[1] == []
    model = casemix.fit(_pats(rows), measure="completion")
    assert len(model.merged) == 1 and model.merged[0] in ("sex=M", "referral_source=court")
    assert model.parameters == 2 and all(s <= casemix.MAX_SE for s in model.se)
    e = casemix.expected(model, _pats(rows))
    assert e["expected"].sum() == pytest.approx(70, rel=1e-9)


def test_dispersion_by_hand():
    z = np.array([-2.0, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, 3.0, 2.5])
    w = np.array([100.0, 50, 80, 120, 60, 90, 70, 110, 40])
    # 10th/90th percentiles (type 7): -1.2 and 2.6; clipped squares sum to 16.99
    d = c.dispersion(z, w)
    assert d.phi == pytest.approx(16.99 / 9)
    sw, sw2 = w.sum(), (w**2).sum()
    assert d.tau2 == pytest.approx((16.99 - 8) / (sw - sw2 / sw))
    assert d.q == pytest.approx(21.79) and d.adjusted
    from scipy.stats import chi2

    assert d.p_value == pytest.approx(chi2.sf(21.79, 8))
    few = c.dispersion(z[:7], w[:7])
    assert (few.phi, few.tau2, few.q, few.p_value, few.adjusted) == (None, 0.0, None, None, False)
    assert c.dispersion(z / 10, w).tau2 == 0.0  # I phi <= I - 1: no adjustment
    # the floor is I phi <= I - 1, not phi <= 1: with I = 9, phi = 0.95 (above 8/9) adds
    # (9 * 0.95 - 8) / (sum w - sum w^2 / sum w) = 0.55 / 610.0 ...; phi = 8/9 exactly adds 0
    assert c.tau2(0.95, w) == pytest.approx(0.55 / (sw - sw2 / sw))
    assert c.tau2(0.95, w) == pytest.approx(0.55 / (720 - 63600 / 720))
    assert c.tau2(8 / 9, w) == 0.0


def test_tau2_equals_statsmodels_dersimonian_laird(tmp_path):
    """On a raw funnel over every site the weighted mean ratio is 1, the target, so the
    unwinsorized tau2 of the spec's formula is DerSimonian-Laird's."""
    from statsmodels.stats.meta_analysis import combine_effects

    sizes = {f"s{i:02d}": 150 + 40 * i for i in range(12)}
    con = load_memory(write_network(tmp_path / "d", seed=3, sizes=sizes, site_sd=0.4))
    raw = c.compare_sites(con, Q, "completion", adjust=False).sites
    z, e, o = (raw[k].to_numpy() for k in ("z", "expected", "observed"))
    w = raw["n_star"] * raw["observed"].sum() / (raw["n"].sum() - raw["observed"].sum())
    w = w.to_numpy()
    ours = c.tau2(float(np.mean(z**2)), w)
    dl = combine_effects(o / e, 1 / w, method_re="dl").tau2
    assert ours > 0.005 and ours == pytest.approx(dl, rel=1e-9)
    # and the winsorized one widens the limits: the reading shows it
    comp = c.compare_sites(con, Q, "completion", adjust=False)
    assert comp.dispersion.adjusted and comp.dispersion.tau2 > 0


def test_permuted_site_labels_give_mean_z2_near_1_and_5_percent_outside_95(tmp_path):
    sizes = {f"s{i:02d}": 120 + 25 * (i % 7) for i in range(20)}
    con = load_memory(write_network(tmp_path / "d", seed=11, sizes=sizes))
    pats = casemix.patterns(con, c.window_query(Q, "12m"), "completion")
    model = casemix.fit(pats, measure="completion")
    # one row per episode (pattern rows repeated), then the site labels shuffled
    ep = pats.loc[pats.index.repeat(pats["trials"])].reset_index(drop=True)
    pairs = zip(pats.trials, pats.successes, strict=True)
    succ = np.concatenate([np.arange(t) < s for t, s in pairs])
    ep = ep.assign(trials=1, successes=succ.astype(int))
    rng = np.random.default_rng(5)
    z = []
    for _ in range(150):
        perm = ep.assign(site=rng.permutation(ep["site"].to_numpy()))
        per = perm.groupby(["site", *casemix.FACTORS], as_index=False)[["trials", "successes"]]
        comp = c.funnel(
            casemix.expected(model, per.sum()),
            measure="completion",
            adjusted=True,
            start=Q.period.start,
            end=Q.period.end,
        )
        z.extend(comp.sites["z"])
    z = np.asarray(z)
    assert len(z) == 3000
    # (a site is 1/20 of a fixed network: the finite-population factor puts E z^2 near 0.95)
    assert 0.85 < np.mean(z**2) < 1.08
    assert 0.03 < np.mean(np.abs(z) > c.Z95) < 0.07


def test_same_data_in_any_row_order_gives_the_same_json(tmp_path):
    t = tables(7)
    shuffled = {k: random.Random(1).sample(v, len(v)) for k, v in t.items()}
    a = load_memory(write_dataset(tmp_path / "a", t))
    b = load_memory(write_dataset(tmp_path / "b", shuffled))
    doc = json.dumps(c.sites_document(a, Q), sort_keys=False)
    assert doc == json.dumps(c.sites_document(b, Q)) == json.dumps(c.sites_document(a, Q))
    body = json.loads(doc)
    assert list(body) == ["period", "window", "measures"]
    assert list(body["measures"]) == list(c.MEASURES)
    assert body["window"] == {"start": "2025-11-01", "end": "2026-10-31"}
    comp = body["measures"]["completion"]
    assert list(comp) == ["network", "model", "dispersion", "sites"]
    assert list(comp["dispersion"]) == ["sites", "phi", "tau2", "q", "p_value", "adjusted"]
    site = comp["sites"][0]
    assert list(site) == [
        *("site", "n", "observed", "expected", "ratio", "rate", "adjusted_rate", "z"),
        *("n_star", "limits", "reading"),
    ]
    assert list(site["limits"]) == ["95", "99.8"]
    assert body["measures"]["attendance"]["model"] is None
    assert {s["reading"] for s in comp["sites"]} <= set(c.READINGS)


@NET
def test_attendance_is_never_adjusted(net):
    with pytest.raises(ValueError, match="attendance has no case-mix model"):
        c.compare_sites(net, Q, "attendance")
    with pytest.raises(ValueError, match="measure must be one of"):
        c.compare_sites(net, Q, "nonsense")


def test_retained_and_step_down_eligibility_by_hand(tmp_path):
    from helpers import client, episode

    eps = [
        # admitted 2026-07-01: 90 days passed by 2026-09-28, so eligible as of 2026-10-31
        episode("r1", "a", "2.1", "2026-07-01", "2026-07-20", "dropped_out", site="x"),  # y 0
        episode("r2", "b", "2.1", "2026-07-01", "2026-09-28", "dropped_out", site="x"),  # 90 d
        episode("r3", "c", "2.1", "2026-07-01", "", "", site="x"),  # open: 1
        episode("r4", "d", "2.1", "2026-08-10", "2026-08-20", "dropped_out", site="x"),  # too new
        # a discharge stepping down to 1.0 within 14 days, one with no next care, one pending
        episode("s1", "e", "2.1", "2026-03-01", "2026-04-01", "completed", site="y"),
        episode("s1b", "e", "1.0", "2026-04-05", "", "", site="y"),
        episode("s2", "f", "2.1", "2026-03-01", "2026-04-01", "completed", site="y"),
        episode("s3", "g", "2.1", "2026-03-01", "2026-10-25", "completed", site="y"),
    ]
    con = load_memory(
        write_dataset(
            tmp_path / "d",
            {"clients": [client(x) for x in "abcdefg"], "episodes": eps, "sessions": []},
        )
    )
    wq = c.window_query(Q, "12m")
    ret = casemix.patterns(con, wq, "retained_90d")
    # r1..r3 and the three s episodes (admitted 2026-03-01); only r1 disengaged under 90 days
    assert (ret["trials"].sum(), ret["successes"].sum()) == (6, 5)
    sd = casemix.patterns(con, wq, "step_down")
    # determined: s1 (step-down), s2, r1, r2, r4 (no next care); s3 is pending
    assert (sd["trials"].sum(), sd["successes"].sum()) == (5, 1)
    comp = casemix.patterns(con, wq, "completion")
    assert (comp["trials"].sum(), comp["successes"].sum()) == (6, 3)
    assert set(comp["payer"]) == {"unknown"} and set(comp["age_band"]) == {"45-54"}


def test_reliable_improvement_and_recovery_eligibility_by_hand(tmp_path):
    """Reliable improvement counts every course paired on PHQ-9/GAD-7; recovery only those that
    were a case at start (comparison.md, outcomes.md)."""
    from helpers import client, episode, session

    def course(eid, cid, site, admit="2026-06-01", discharge="2026-07-15", n=2):
        eps.append(episode(eid, cid, "2.1", admit, discharge, site=site))
        day = dt.date.fromisoformat(admit)
        for d in (1, 8)[:n]:
            ses.append(session(eid, (day + dt.timedelta(days=d)).isoformat()))

    def score(eid, inst, *pairs):
        scs.extend(
            {"episode_id": eid, "assessed_on": d, "instrument": inst, "score": v} for d, v in pairs
        )

    eps, ses, scs = [], [], []
    first, last = "2026-06-01", "2026-07-15"
    course("e1", "a", "x")  # PHQ-9 16 -> 6: improved, case at start, recovered
    score("e1", "PHQ-9", (first, 16), (last, 6))
    course("e2", "b", "x")  # PHQ-9 7 -> 0: improved, no case at start (no recovery to count)
    score("e2", "PHQ-9", (first, 7), (last, 0))
    course("e3", "c", "x")  # one PHQ-9 only: not paired
    score("e3", "PHQ-9", (first, 18))
    course("e4", "d", "x", n=1)  # one treatment session and an assessment: no course
    ses.append(session("e4", "2026-06-03", service="assessment"))
    score("e4", "PHQ-9", (first, 18), (last, 2))
    course("e5", "e", "y")  # GAD-7 10 -> 9: a case throughout, no reliable change
    score("e5", "GAD-7", (first, 10), (last, 9))
    course("e6", "f", "y")  # PHQ-9 improved, GAD-7 deteriorated: mixed, still a case at end
    score("e6", "PHQ-9", (first, 12), (last, 4))
    score("e6", "GAD-7", (first, 9), (last, 14))
    course("e7", "g", "y")  # PHQ-9 11 -> 9 (same-day mean of 8 and 10): recovered, not improved
    score("e7", "PHQ-9", (first, 11), (last, 8), (last, 10))
    course("e8", "h", "y", "2025-08-01", "2025-10-20")  # ended before the window
    score("e8", "PHQ-9", ("2025-08-01", 20), ("2025-10-20", 2))
    eps.append(episode("e9", "i", "2.1", "2026-06-01", site="y"))  # open: not ended
    ses += [session("e9", "2026-06-02"), session("e9", "2026-06-09")]
    score("e9", "PHQ-9", (first, 20), (last, 2))
    course("e10", "j", "y")  # the second score is after discharge: not paired
    score("e10", "PHQ-9", (first, 15), ("2026-07-20", 3))
    course("e11", "k", "y")  # BAM-use only: outside the combined classification
    score("e11", "BAM-use", (first, 40), (last, 2))
    con = load_memory(
        write_dataset(
            tmp_path / "d",
            {
                "clients": [client(x) for x in "abcdefghijk"],
                "episodes": eps,
                "sessions": ses,
                "assessments": scs,
            },
        )
    )
    wq = c.window_query(Q, "12m")
    ri = casemix.patterns(con, wq, "reliable_improvement").groupby("site")
    # x: e1 and e2 (both improved); y: e5, e6 (mixed), e7, none improved
    assert ri["trials"].sum().to_dict() == {"x": 2, "y": 3}
    assert ri["successes"].sum().to_dict() == {"x": 2, "y": 0}
    rec = casemix.patterns(con, wq, "recovery").groupby("site")
    # case at start: e1 (recovered) at x; e5, e6, e7 (recovered) at y; e2 was no case
    assert rec["trials"].sum().to_dict() == {"x": 1, "y": 3}
    assert rec["successes"].sum().to_dict() == {"x": 1, "y": 1}
    # the network figures through the comparison agree: 2 of 5, 2 of 4
    for measure, (n, o) in (("reliable_improvement", (5, 2)), ("recovery", (4, 2))):
        comp = c.compare_sites(con, Q, measure, window="12m")
        assert (comp.n, comp.observed) == (n, o)
        assert comp.sites["expected"].sum() == pytest.approx(o, rel=1e-9)


@NET
def test_the_outcome_measures_from_one_query_equal_each_alone(net):
    """Both outcome measures read the one outcome cohort in one query (SHARED_FILES); their
    patterns equal those of each measure's own query, as do the other measures'."""
    wq = c.window_query(Q, "12m")
    asked = ("recovery", "completion", "reliable_improvement")
    together = casemix.patterns_of(net, wq, asked)
    assert tuple(together) == asked
    for measure, pats in together.items():
        alone = casemix.patterns(net, wq, measure)
        assert len(alone) > 100
        pd.testing.assert_frame_equal(pats, alone)
    assert together["recovery"]["trials"].sum() == 2837
