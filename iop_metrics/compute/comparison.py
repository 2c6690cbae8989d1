"""Sites compared fairly: indirect standardization and over-dispersed funnels (comparison.md).

Promises: each formula is one small function with its source; an adjusted measure's expected
counts come from the case-mix reference model (``casemix.py``), a raw one's from the network
rate (E = n p); over-dispersion (winsorized phi, additive random-effects tau2) is estimated over
the sites with a reading and widens adjusted and raw limits alike; the same data give the same
figures, and ``sites_document`` is the JSON the CLI prints and a run writes as ``sites.json``.

>>> import numpy as np
>>> z = np.array([-2.0, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, 3.0])
>>> f"{winsorized_phi(z):.5f}"  # clipped at -1.3 and 1.6: 6.79 / 8
'0.84875'
>>> [round(x, 4) for x in limits(0.5, 50.0, 25.0, 0.0, Z95)]
[0.402, 0.598]
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..periods import Period
from . import casemix

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd

    from .casemix import CaseMixModel
    from .query import Con, Query

Z95 = 1.959963984540054  # two-sided 95%
Z998 = 3.090232306167813  # two-sided 99.8%
MIN_EPISODES = 25  # a site with fewer eligible has no reading (Hospital Compare's n < 25)
MIN_SITES = 8  # sites with a reading needed before phi and tau2 are estimated
ADJUSTED = tuple(casemix.OUTCOME_FILES)
# Raw funnels only: attendance (one client's sessions are not independent trials) and the
# recovery figures (recovery.md: abstinent at discharge over the paired episodes, the 3-month
# follow-up's response over the due), which have no case-mix model.
RAW = ("attendance", "abstinent_discharge", "response_3m")
MEASURES = (*ADJUSTED, *RAW)
READINGS = ("higher", "possibly higher", "as expected", "possibly lower", "lower", "too few")
WINDOWS = ("12m", "period")
COLUMNS = (
    "site", "n", "observed", "expected", "ratio", "rate", "adjusted_rate", "z", "n_star",
    "lo95", "hi95", "lo998", "hi998", "reading",
)  # fmt: skip


def winsorized_phi(z: Any) -> float:
    """phi = mean of the squared z-scores winsorized at their 10th and 90th percentiles (linear
    interpolation, numpy's default = R's type 7). Spiegelhalter, Qual Saf Health Care
    2005;14:347; as coded in FunnelPlotR 0.6.0 ``od_adjustment.R``."""
    import numpy as np

    z = np.asarray(z, dtype=float)
    lo, hi = np.percentile(z, [10, 90])
    return float(np.mean(np.clip(z, lo, hi) ** 2))


def tau2(phi: float, w: Any) -> float:
    """The additive random-effects variance, DerSimonian-Laird moment form:
    (I phi - (I - 1)) / (sum w - sum w^2 / sum w), 0 when I phi <= I - 1 (Spiegelhalter 2005;
    FunnelPlotR ``od_adjustment.R``). ``w`` = E^2 / V per site."""
    import numpy as np

    w = np.asarray(w, dtype=float)
    i = len(w)
    if i * phi <= i - 1:
        return 0.0
    return float((i * phi - (i - 1)) / (w.sum() - (w**2).sum() / w.sum()))


def limits(p: float, e: float, v: float, t2: float, z: float) -> tuple[float, float]:
    """Limits for the adjusted (or raw) rate of a site with expected E and variance V:
    p (1 +/- z sqrt(V / E^2 + tau2)), clipped to [0, 1]. With tau2 = 0 this is the binomial
    funnel p +/- z sqrt(p (1 - p) / n*) at the case-mix-equivalent size n*."""
    half = z * math.sqrt(v / e**2 + t2)
    return max(0.0, p * (1 - half)), min(1.0, p * (1 + half))


def reading(n: int, rate: float, lim95: tuple[float, float], lim998: tuple[float, float]) -> str:
    """``too few`` under 25 eligible; outside 99.8% ``higher``/``lower``; between 95% and 99.8%
    ``possibly higher``/``possibly lower``; else ``as expected``."""
    if n < MIN_EPISODES:
        return "too few"
    for (lo, hi), word in ((lim998, ""), (lim95, "possibly ")):
        if rate > hi:
            return f"{word}higher"
        if rate < lo:
            return f"{word}lower"
    return "as expected"


@dataclass(frozen=True)
class Dispersion:
    """Over-dispersion over the sites with a reading: phi (winsorized), tau2, Q = sum z^2 and
    its chi-square(I - 1) p-value; all None with fewer than 8 such sites."""

    sites: int
    phi: float | None
    tau2: float
    q: float | None
    p_value: float | None

    @property
    def adjusted(self) -> bool:
        return self.tau2 > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sites": self.sites,
            "phi": self.phi,
            "tau2": self.tau2 if self.phi is not None else None,
            "q": self.q,
            "p_value": self.p_value,
            "adjusted": self.adjusted,
        }


def dispersion(z: Any, w: Any) -> Dispersion:
    """``Dispersion`` from the z-scores and weights E^2 / V of the sites with a reading."""
    import numpy as np
    from scipy.special import chdtrc  # = scipy.stats.chi2.sf(q, df), without scipy.stats' import

    z, w = np.asarray(z, dtype=float), np.asarray(w, dtype=float)
    i = len(z)
    if i < MIN_SITES:
        return Dispersion(i, None, 0.0, None, None)
    phi = winsorized_phi(z)
    q = float((z**2).sum())
    return Dispersion(i, phi, tau2(phi, w), q, float(chdtrc(i - 1, q)))


@dataclass(frozen=True)
class Comparison:
    """One measure in one window: the network's figures, the model (None for a raw funnel),
    the dispersion and one row per site (``COLUMNS``)."""

    measure: str
    adjusted: bool
    start: dt.date
    end: dt.date
    n: int
    observed: int
    model: CaseMixModel | None
    dispersion: Dispersion
    sites: pd.DataFrame

    @property
    def rate(self) -> float | None:
        return self.observed / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        m = self.model
        return {
            "network": {"n": self.n, "observed": self.observed, "rate": self.rate},
            "model": None
            if m is None
            else {
                "episodes": m.episodes,
                "parameters": m.parameters,
                "auc": m.auc,
                "merged": list(m.merged),
                "left_out": list(m.left_out),
            },
            "dispersion": self.dispersion.as_dict(),
            "sites": [
                _site_json({str(k): v for k, v in r.items()}) for r in self.sites.to_dict("records")
            ],
        }


def _site_json(r: dict[str, Any]) -> dict[str, Any]:
    def num(v: Any) -> Any:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    keys = ("site", "n", "observed", "expected", "ratio", "rate", "adjusted_rate", "z", "n_star")
    out = {k: num(r[k]) for k in keys}
    for k in ("n", "observed"):
        out[k] = None if out[k] is None else int(out[k])
    out["limits"] = {
        "95": [num(r["lo95"]), num(r["hi95"])],
        "99.8": [num(r["lo998"]), num(r["hi998"])],
    }
    out["reading"] = r["reading"]
    return out


def window_query(q: Query, window: str) -> Query:
    """``q`` over the comparison window: the period itself, or the 12 months ending with it
    (P.end - 364 .. P.end, as the retention cohort); same as_of, every site."""
    from .query import Query, Scope

    if window not in WINDOWS:
        raise ValueError(f"window must be one of {WINDOWS}, not {window!r}")
    p = q.period
    if window == "12m":
        p = Period(f"12 months to {p.end}", p.end - dt.timedelta(days=364), p.end, "12m")
    return Query(p, q.as_of, Scope(q.scope.levels, None, q.scope.track), q.window_days)


def funnel(
    per_site: pd.DataFrame, *, measure: str, adjusted: bool, start: dt.date, end: dt.date,
    model: CaseMixModel | None = None,
) -> Comparison:  # fmt: skip
    """Every site figure from n, observed and (adjusted) expected and variance per site.

    Raw (``expected``/``variance`` absent or not ``adjusted``): E = n p, V = n p (1 - p).
    """
    import numpy as np
    import pandas as pd

    df = per_site.sort_values("site", ignore_index=True)
    n_all, o_all = int(df["n"].sum()), int(df["observed"].sum())
    p = o_all / n_all if n_all else float("nan")
    n = df["n"].to_numpy(dtype=float)
    o = df["observed"].to_numpy(dtype=float)
    if not adjusted:
        df = df.assign(expected=n * p, variance=n * p * (1 - p))
    e, v = df["expected"].to_numpy(dtype=float), df["variance"].to_numpy(dtype=float)
    ok = v > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(ok, (o - e) / np.sqrt(v), np.nan)
        w = np.where(ok, e**2 / v, np.nan)
        ratio = np.where(e > 0, o / e, np.nan)
    counted = ok & (n >= MIN_EPISODES)
    disp = dispersion(z[counted], w[counted])
    rows = []
    for i, site in enumerate(df["site"]):
        row: dict[str, Any] = {"site": str(site), "n": int(n[i]), "observed": int(o[i])}
        row |= {"expected": float(e[i]), "ratio": _f(ratio[i]), "rate": o[i] / n[i]}
        row["adjusted_rate"] = _f(ratio[i] * p)
        row["z"] = _f(z[i])
        row["n_star"] = _f(w[i] * (1 - p) / p) if ok[i] else None
        if ok[i]:
            l95, l998 = (limits(p, e[i], v[i], disp.tau2, zz) for zz in (Z95, Z998))
            shown = row["adjusted_rate"] if adjusted else row["rate"]
            row["reading"] = reading(int(n[i]), shown, l95, l998)
        else:  # every episode of the network has one outcome: no spread to compare against
            l95 = l998 = (p, p)
            row["reading"] = "too few" if n[i] < MIN_EPISODES else "as expected"
        row |= {"lo95": l95[0], "hi95": l95[1], "lo998": l998[0], "hi998": l998[1]}
        rows.append(row)
    sites = pd.DataFrame(rows, columns=list(COLUMNS))
    return Comparison(measure, adjusted, start, end, n_all, o_all, model, disp, sites)


def _f(x: Any) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def compare_sites(
    con: Con, q: Query, measure: str, *, adjust: bool = True, window: str = "12m",
    pats: pd.DataFrame | None = None,
) -> Comparison:  # fmt: skip
    """``measure`` compared across every site of the data in ``window`` (``12m`` or
    ``period``); adjusted for case mix with ``adjust`` (attendance is never adjusted).
    ``pats``: the measure's ``casemix.patterns`` in that window, when already at hand."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, not {measure!r}")
    if measure in RAW and adjust:
        raise ValueError(
            f"{measure} has no case-mix model (attendance: one client's sessions are not "
            "independent trials; recovery figures: none fitted): use adjust=False"
        )
    wq = window_query(q, window)
    start, end = wq.period.start, wq.period.end
    if measure in RAW:
        if measure == "attendance":
            per_site = attendance_by_site(con, wq)
        else:
            per_site = recovery_by_site(con, wq, measure)
        return funnel(per_site, measure=measure, adjusted=False, start=start, end=end)
    if pats is None:
        pats = casemix.patterns(con, wq, measure)
    if not adjust:  # the raw funnel takes E = n p, V = n p (1 - p): its counts, no model
        return funnel(casemix.counts(pats), measure=measure, adjusted=False, start=start, end=end)
    model = casemix.fit(pats, measure=measure)
    per_site = casemix.expected(model, pats)
    return funnel(per_site, measure=measure, adjusted=True, model=model, start=start, end=end)


def measure_comparisons(
    con: Con, q: Query, measure: str, *, raw_period: bool = False
) -> dict[str, Comparison]:
    """What the sites page shows of ``measure``: ``raw`` and ``adjusted`` of the 12 months (one
    comparison for a measure with no case-mix model) and ``month``, the period (adjusted but
    for ``RAW``); with ``raw_period``, the period's raw one too, which the page's model reads
    (``disclosure.linked.sites_cells``). Each window's patterns are read once for both."""
    adjust = measure not in RAW
    pats = casemix.patterns(con, window_query(q, "12m"), measure) if adjust else None
    raw = compare_sites(con, q, measure, adjust=False, pats=pats)
    out = {"raw": raw, "adjusted": compare_sites(con, q, measure, pats=pats) if adjust else raw}
    pats = casemix.patterns(con, window_query(q, "period"), measure) if adjust else None
    out["month"] = compare_sites(con, q, measure, adjust=adjust, window="period", pats=pats)
    if raw_period:
        out["raw_period"] = (
            compare_sites(con, q, measure, adjust=False, window="period", pats=pats)
            if adjust
            else out["month"]
        )
    return out


def page_comparisons(con: Con, q: Query) -> dict[str, dict[str, Comparison]]:
    """``measure_comparisons`` (with ``raw_period``) of every measure: all a run's sites pages
    and their model read, computed once and handed to each."""
    return {m: measure_comparisons(con, q, m, raw_period=True) for m in MEASURES}


def site_comparison(
    con: Con, q: Query, measure: str, *, adjust: bool = True, window: str = "12m"
) -> pd.DataFrame:
    """One row per site with every figure of the comparison: n, observed, expected, O/E
    (``ratio``), raw and adjusted rate, z, case-mix-equivalent size ``n_star``, the 95% and
    99.8% limits and the reading (``higher`` ... ``too few``). ``measure`` is one of
    ``MEASURES``; ``window`` is ``12m`` (the 12 months ending with the period) or ``period``.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> from iop_metrics.compute.query import Query
    >>> from iop_metrics.ingest.sample import example_connection
    >>> q = Query.of(parse_period("2026-05"))
    >>> site_comparison(example_connection(), q, "completion")[["site", "n", "observed", "reading"]]
       site  n  observed  reading
    0  main  2         1  too few

    A level or track no episode has is a ``ValueError`` naming the known codes (the scope's
    site is not used: every site is compared).
    """
    from .coverage import check_query
    from .query import Query, Scope

    check_query(con, Query(q.period, q.as_of, Scope(q.scope.levels, None, q.scope.track)))
    return compare_sites(con, q, measure, adjust=adjust, window=window).sites


def case_mix_model(con: Con, q: Query, measure: str, *, window: str = "12m") -> CaseMixModel:
    """The reference model of an adjusted ``measure``: ``.odds_ratios()`` (per level, with
    95% intervals), ``.merged``, ``.left_out``, ``.auc``, ``.deciles``, ``.episodes``,
    ``.parameters``.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> from iop_metrics.compute.query import Query
    >>> from iop_metrics.ingest.sample import example_connection
    >>> q = Query.of(parse_period("2026-05"))
    >>> model = case_mix_model(example_connection(), q, "completion")
    >>> model.episodes, model.parameters, model.merged  # two episodes: every level is rare
    (2, 1, ('age_band=45-54',))
    """
    if measure not in ADJUSTED:
        raise ValueError(f"measure must be one of {ADJUSTED}, not {measure!r}")
    pats = casemix.patterns(con, window_query(q, window), measure)
    return casemix.fit(pats, measure=measure)


def recovery_by_site(con: Con, wq: Query, measure: str) -> pd.DataFrame:
    """Per site, in the window (recovery.md): ``abstinent_discharge``: n = ended episodes
    paired on abstinence, observed = abstinent at discharge; ``response_3m``: n = episodes due
    at 3 months (window closed in the window's last 12 months), observed = reached."""
    import pandas as pd

    from .recovery import follow_up_detail, noms_detail

    if measure == "abstinent_discharge":
        d = noms_detail(con, wq)
        d = d[(d["domain"] == "abstinent") & d["paired"].astype(bool)]
        hit = d["discharge"].astype(bool)
    else:
        d = follow_up_detail(con, wq)
        d = d[d["window_name"] == "3m"]
        hit = d["category"] == "reached"
    site = d["site"].fillna("(none)").astype(str)
    out = pd.DataFrame({"site": site, "n": 1, "observed": hit.astype(int)})
    out = out.groupby("site", sort=True, as_index=False)[["n", "observed"]].sum()
    return out[out["n"] > 0].reset_index(drop=True)[["site", "n", "observed"]]


def attendance_by_site(con: Con, wq: Query) -> pd.DataFrame:
    """n = client-scheduled sessions and observed = attended, per site, in the window."""
    import pandas as pd

    from .query import records

    rows = records(con, "attendance", wq, extra={"by": "site"})
    return pd.DataFrame(
        [
            {"site": r["key"] if r["key"] is not None else "(none)", "n": r["client_scheduled"],
             "observed": r["attended"]}
            for r in rows
            if r["client_scheduled"]
        ],
        columns=["site", "n", "observed"],
    )  # fmt: skip


def sites_document(
    con: Con,
    q: Query,
    *,
    measures: tuple[str, ...] = MEASURES,
    window: str = "12m",
    given: Mapping[str, Comparison] | None = None,
) -> dict[str, Any]:
    """The comparison as the JSON document of comparison.md (every measure by default).
    ``given``: comparisons of ``q`` in ``window`` already at hand, by measure (adjusted but for
    attendance, as here), used as they are; the others are computed."""
    given = given or {}
    wq = window_query(q, window)
    out: dict[str, Any] = {
        "period": {
            "label": q.period.label,
            "start": q.period.start.isoformat(),
            "end": q.period.end.isoformat(),
            "as_of": q.as_of.isoformat(),
        },
        "window": {"start": wq.period.start.isoformat(), "end": wq.period.end.isoformat()},
        "measures": {},
    }
    fitted = tuple(m for m in measures if m in ADJUSTED and m not in given)
    pats = casemix.patterns_of(con, wq, fitted)
    for m in measures:
        if m in given:
            c = given[m]
        else:
            c = compare_sites(con, q, m, adjust=m not in RAW, window=window, pats=pats.get(m))
        out["measures"][m] = c.as_dict()
    return out


def csv_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per measure and site of ``sites_document``'s output, for ``--format csv``."""
    rows = []
    for measure, body in doc["measures"].items():
        for s in body["sites"]:
            flat = {k: v for k, v in s.items() if k != "limits"}
            lim = s["limits"]
            flat |= {"lo95": lim["95"][0], "hi95": lim["95"][1]}
            flat |= {"lo998": lim["99.8"][0], "hi998": lim["99.8"][1]}
            rows.append({"measure": measure, **flat})
    return rows
