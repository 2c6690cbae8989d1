"""The case-mix reference model of a site comparison (comparison.md, Case mix and Method).

Promises: the covariate patterns come from one portable SQL file (``case_mix_patterns.sql``,
successes and trials per site and pattern, so Spark gives the same rows); rare and separated
levels are merged into their variable's reference level by the spec's rule and every merge is
named (``payer=other``); the logistic model is statsmodels' GLM with a Binomial family on the
patterns with frequency weights (the same estimates as one row per episode), never a
hand-written optimizer; the same data give the same model (fixed level order, no random start).

>>> pats = example_patterns()
>>> model = fit(pats, measure="completion")
>>> model.merged, model.left_out, model.parameters
(('referral_source=employer',), ('age_band', 'sex', 'primary_substance', 'payer'), 2)
>>> round(float(expected(model, pats)["expected"].sum()), 6) == float(pats["successes"].sum())
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .query import Con, Query

FACTORS = ("age_band", "sex", "primary_substance", "payer", "referral_source")
# What a director reads for each factor ("given the clients North served (ages, ...)").
FACTOR_WORDS = {
    "age_band": "ages",
    "sex": "sex",
    "primary_substance": "substances",
    "payer": "payers",
    "referral_source": "referral routes",
}
MIN_LEVEL = 10  # a level with fewer eligible episodes network-wide is merged
MAX_SE = 10.0  # a standard error above this after the fit: separation the rule did not see
Z95 = 1.959963984540054
# The outcome file of each adjusted measure (episode_id, y), read by case_mix_patterns.sql as
# `outcome`; each file's header says what it reads.
OUTCOME_FILES: dict[str, str] = {
    "completion": "case_mix_completion",
    "retained_90d": "case_mix_retained_90d",
    "step_down": "case_mix_step_down",
    "reliable_improvement": "case_mix_reliable_improvement",
    "recovery": "case_mix_recovery",
}
# Measures whose patterns come from one query: both outcome measures read the one outcome
# cohort (ended episodes, their scores, the courses), which is then computed once.
SHARED_FILES: dict[tuple[str, ...], str] = {
    ("reliable_improvement", "recovery"): "case_mix_outcomes",
}


def patterns(con: Con, q: Query, measure: str) -> pd.DataFrame:
    """Successes and trials per site and case-mix pattern of ``measure``'s eligible episodes
    in the comparison window ``q.period`` (every site: ``q``'s site is ignored)."""
    return patterns_of(con, q, (measure,))[measure]


def patterns_of(con: Con, q: Query, measures: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """``patterns`` of each of ``measures``, the outcome measures from one query when both
    are asked for (``SHARED_FILES``)."""
    from .query import Query, Scope, run

    for measure in measures:
        if measure not in OUTCOME_FILES:
            raise ValueError(f"measure must be one of {tuple(OUTCOME_FILES)}, not {measure!r}")
    network = Query(q.period, q.as_of, Scope(q.scope.levels, None, q.scope.track), q.window_days)
    groups: list[tuple[tuple[str, ...], str]] = []
    left = list(dict.fromkeys(measures))
    for shared, file in SHARED_FILES.items():
        if set(shared) <= set(left):
            groups.append((shared, file))
            left = [m for m in left if m not in shared]
    groups += [((m,), OUTCOME_FILES[m]) for m in left]
    out: dict[str, pd.DataFrame] = {}
    for names, file in groups:
        rows = run(con, "case_mix_patterns", network, bind={"outcome": file})
        for m in names:
            one = rows[rows["measure"] == m] if len(rows) else rows
            out[m] = one.drop(columns="measure").reset_index(drop=True)
    return {m: out[m] for m in measures}


@dataclass(frozen=True)
class CaseMixModel:
    """A fitted reference model: what was merged or left out, the terms and their estimates,
    and its quality (episodes, parameters, c-statistic, observed against expected by decile)."""

    measure: str
    episodes: int
    observed: int
    factors: tuple[str, ...]  # the variables kept, in FACTORS order
    references: dict[str, str]  # variable -> reference level (after merging)
    levels: dict[str, tuple[str, ...]]  # variable -> every level seen, alphabetical
    merged: tuple[str, ...]  # "variable=level", in FACTORS then level order
    left_out: tuple[str, ...]  # variables left with one level
    terms: tuple[str, ...]  # "intercept", then "variable=level" per non-reference level
    coef: tuple[float, ...]
    se: tuple[float, ...]
    auc: float | None
    deciles: pd.DataFrame  # decile, episodes, observed, expected, mean_p

    @property
    def parameters(self) -> int:
        return len(self.terms)

    def recode(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df``'s factor columns with merged levels replaced by their reference level."""
        out = df.copy()
        merged: dict[str, list[str]] = {}
        for m in self.merged:
            var, level = m.split("=", 1)
            merged.setdefault(var, []).append(level)
        for var in FACTORS:
            col = out[var].astype(str)
            out[var] = col.where(~col.isin(merged.get(var, [])), self.references[var])
        return out

    def design(self, df: pd.DataFrame) -> Any:
        """The model matrix (intercept, then treatment dummies in ``terms`` order) of ``df``."""
        import numpy as np

        rec = self.recode(df)
        values = {var: rec[var].to_numpy(dtype=object) for var in FACTORS}
        cols = [np.ones(len(rec))]
        for term in self.terms[1:]:
            var, level = term.split("=", 1)
            cols.append((values[var] == level).astype(float))
        return np.column_stack(cols)

    def predict(self, df: pd.DataFrame) -> Any:
        """Each row's fitted probability (the network rate when every episode has one
        outcome: nothing to explain)."""
        import numpy as np

        if self.observed in (0, self.episodes):
            return np.full(len(df), self.observed / self.episodes if self.episodes else 0.0)

        eta = self.design(df) @ np.asarray(self.coef)
        return 1.0 / (1.0 + np.exp(-eta))

    def odds_ratios(self) -> pd.DataFrame:
        """One row per variable and level: the odds ratio against the reference level with its
        Wald 95% interval; reference and merged levels say so (odds ratio 1)."""
        import pandas as pd

        est = dict(zip(self.terms, zip(self.coef, self.se, strict=True), strict=True))
        rows = []
        for var in FACTORS:
            for level in self.levels[var]:
                key = f"{var}={level}"
                if var in self.left_out:
                    role, b, s = "left out (one level after merging)", None, None
                elif key in self.merged:
                    role, b, s = f"merged into {self.references[var]}", None, None
                elif level == self.references[var]:
                    role, b, s = "reference", 0.0, None
                else:
                    role, (b, s) = "estimated", est[key]
                rows.append(
                    {
                        "variable": var,
                        "level": level,
                        "role": role,
                        "odds_ratio": None if b is None else math.exp(b),
                        "ci_low": None if s is None else math.exp(b - Z95 * s),  # type: ignore[operator]
                        "ci_high": None if s is None else math.exp(b + Z95 * s),  # type: ignore[operator]
                    }
                )
        return pd.DataFrame(rows).astype(
            {"odds_ratio": "float64", "ci_low": "float64", "ci_high": "float64"}
        )


def _network_levels(pats: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per variable: trials and successes per level over the whole network, alphabetical."""
    return {var: pats.groupby(var, sort=True)[["trials", "successes"]].sum() for var in FACTORS}


def reference_level(counts: pd.DataFrame) -> str:
    """The most common level (by eligible episodes); ties go to the first alphabetically."""
    if counts.empty:
        return "unknown"
    top = counts["trials"].max()
    return min(str(lvl) for lvl, n in counts["trials"].items() if n == top)


def merge_rule(pats: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """(reference level per variable, merged ``variable=level`` list) by the spec's rule: a
    level with fewer than 10 eligible episodes, or whose episodes all have the same outcome, is
    merged into the reference level, repeated until no such level is left."""
    refs: dict[str, str] = {}
    merged: list[str] = []
    for var, counts in _network_levels(pats).items():
        ref = reference_level(counts)
        refs[var] = ref
        pooled = {str(lvl): (int(r.trials), int(r.successes)) for lvl, r in counts.iterrows()}
        changed = True
        while changed:
            changed = False
            for lvl in sorted(pooled):
                n, y = pooled[lvl]
                if lvl != ref and (n < MIN_LEVEL or y in (0, n)):
                    rn, ry = pooled.pop(lvl)
                    pooled[ref] = (pooled[ref][0] + rn, pooled[ref][1] + ry)
                    merged.append(f"{var}={lvl}")
                    changed = True
    return refs, merged


def fit(pats: pd.DataFrame, *, measure: str) -> CaseMixModel:
    """The reference model of ``pats`` (``patterns``' rows): logistic regression of y on the
    case-mix main effects, unpenalized, no site term, all eligible episodes of the network.

    A fitted standard error above 10 means a level is separated in combination with others
    (the rule looks at one variable at a time): that level is merged too, and the model refit.
    """
    import pandas as pd

    refs, merged = merge_rule(pats)
    levels = {var: tuple(sorted(map(str, pats[var].unique()))) for var in FACTORS}
    empty = pd.DataFrame(columns=["decile", "episodes", "observed", "expected", "mean_p"])
    n, o = int(pats["trials"].sum()), int(pats["successes"].sum())
    while True:
        left_out = tuple(
            v
            for v in FACTORS
            if not [x for x in levels[v] if f"{v}={x}" not in merged and x != refs[v]]
        )
        terms = ("intercept",) + tuple(
            f"{v}={x}"
            for v in FACTORS
            if v not in left_out
            for x in levels[v]
            if x != refs[v] and f"{v}={x}" not in merged
        )
        kept = tuple(v for v in FACTORS if v not in left_out)
        model = CaseMixModel(
            measure,
            n,
            o,
            kept,
            refs,
            levels,
            tuple(_ordered(merged)),
            left_out,
            terms,
            (0.0,) * len(terms),
            (0.0,) * len(terms),
            None,
            empty,
        )
        if n == 0 or o in (0, n):  # nothing to explain: every p_i is the network rate
            p = o / n if n else 0.0
            b = math.log(p / (1 - p)) if 0 < p < 1 else 0.0
            return _replace(model, coef=(b,) + (0.0,) * (len(terms) - 1), terms=terms)
        coef, se = _glm(model, pats)
        worst = max(range(1, len(terms)), key=lambda i: se[i], default=None)
        if worst is not None and not se[worst] <= MAX_SE:
            merged.append(terms[worst])
            continue
        model = _replace(model, coef=coef, se=se, terms=terms)
        return _replace(model, auc=auc(model, pats), deciles=deciles(model, pats))


def _ordered(merged: list[str]) -> list[str]:
    order = {v: i for i, v in enumerate(FACTORS)}
    return sorted(merged, key=lambda m: (order[m.split("=", 1)[0]], m))


def _replace(model: CaseMixModel, **changes: Any) -> CaseMixModel:
    from dataclasses import replace

    return replace(model, **changes)


def _glm(model: CaseMixModel, pats: pd.DataFrame) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """statsmodels GLM (Binomial, logit) on the network's patterns, one row per pattern and
    outcome with its count as frequency weight."""
    import numpy as np
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.generalized_linear_model import GLM

    pooled = pats.groupby(list(FACTORS), sort=True, as_index=False)[["trials", "successes"]].sum()
    x = model.design(pooled)
    succ = pooled["successes"].to_numpy(dtype=float)
    fail = pooled["trials"].to_numpy(dtype=float) - succ
    y = np.concatenate([np.ones(len(x)), np.zeros(len(x))])
    w = np.concatenate([succ, fail])
    keep = w > 0
    res = GLM(y[keep], np.vstack([x, x])[keep], family=Binomial(), freq_weights=w[keep]).fit()
    se = np.where(np.isfinite(res.bse), res.bse, np.inf)
    return tuple(map(float, res.params)), tuple(map(float, se))


def counts(pats: pd.DataFrame, **sums: str) -> pd.DataFrame:
    """Per site: n (the episodes eligible) and observed O = sum y, for the raw funnel; and the
    sum of each column named in ``sums`` (``expected="e"``: a column ``expected``)."""
    aggs = {"n": ("trials", "sum"), "observed": ("successes", "sum")}
    aggs |= {name: (column, "sum") for name, column in sums.items()}
    return pats.groupby("site", sort=True).agg(**aggs).reset_index()


def expected(model: CaseMixModel, pats: pd.DataFrame) -> pd.DataFrame:
    """Per site: n, observed O = sum y, expected E = sum p_i, variance V = sum p_i (1 - p_i)."""
    p = model.predict(pats)
    t = pats["trials"].to_numpy(dtype=float)
    return counts(pats.assign(e=t * p, v=t * p * (1 - p)), expected="e", variance="v")


def auc(model: CaseMixModel, pats: pd.DataFrame) -> float | None:
    """The c-statistic: the chance that a random y = 1 episode has a higher p_i than a random
    y = 0 one, ties counting one half (episodes of one pattern share p_i)."""
    import pandas as pd

    df = pd.DataFrame(
        {
            "p": model.predict(pats),
            "pos": pats["successes"].to_numpy(dtype=float),
            "neg": (pats["trials"] - pats["successes"]).to_numpy(dtype=float),
        }
    )
    g = df.groupby("p", sort=True)[["pos", "neg"]].sum()
    total_pos, total_neg = g["pos"].sum(), g["neg"].sum()
    if not total_pos or not total_neg:
        return None
    below = g["neg"].cumsum() - g["neg"]
    return float((g["pos"] * (below + 0.5 * g["neg"])).sum() / (total_pos * total_neg))


def deciles(model: CaseMixModel, pats: pd.DataFrame) -> pd.DataFrame:
    """Observed against expected by decile of p_i. Episodes are ranked by p_i; a pattern's
    episodes share p_i, so a pattern is kept whole, in the decile where its middle episode
    falls (the groups are near tenths, not exact ones)."""
    import numpy as np

    pooled = pats.groupby(list(FACTORS), sort=True, as_index=False)[["trials", "successes"]].sum()
    pooled["p"] = model.predict(pooled)
    pooled = pooled.sort_values(["p", *FACTORS], kind="stable", ignore_index=True)
    t = pooled["trials"].to_numpy(dtype=float)
    middle = np.cumsum(t) - t / 2
    pooled["decile"] = np.minimum(9, np.floor(10 * middle / t.sum())).astype(int) + 1
    pooled["e"] = pooled["trials"] * pooled["p"]
    out = pooled.groupby("decile", sort=True).agg(
        episodes=("trials", "sum"), observed=("successes", "sum"), expected=("e", "sum")
    )
    out["mean_p"] = out["expected"] / out["episodes"]
    return out.reset_index()


def example_patterns() -> pd.DataFrame:
    """A tiny hand-made network: court referrals complete more, one level is too rare."""
    import pandas as pd

    rows = []
    for site, court, other, rare in (
        ("a", (30, 24), (70, 35), (3, 1)),
        ("b", (10, 8), (90, 45), (0, 0)),
    ):
        for ref, (t, s) in (("court", court), ("self", other), ("employer", rare)):
            if t:
                rows.append((site, "35-44", "F", "alcohol", "medicaid", ref, t, s))
    cols = ["site", *FACTORS, "trials", "successes"]
    return pd.DataFrame(rows, columns=cols)
