"""The site comparison page: each measure's adjusted funnel beside its raw one (comparison.md).

Promises: every figure comes from ``compute.comparison`` (case-mix adjusted by indirect
standardization, over-dispersed limits); the page says what was adjusted for, what was merged,
how good the model is and that adjustment covers only what was measured; one plain sentence
names each site outside the limits; the external page hides every site whose n, observed or
expected count (or its complement) is 1..K-1, and one more where a lone hidden site could be
worked out from the program's total. A run writes ``sites.json`` (comparison.md's JSON) beside
the internal page.

>>> row = {"n": 64, "observed": 52, "expected": 41.2, "reading": "higher"}
>>> text = sentence("completion", "North", row, ("ages", "substances"))
>>> print(text)  # doctest: +NORMALIZE_WHITESPACE
Given the clients North served (ages, substances), 41 of its 64 discharges were expected
to complete; 52 did: 26% more than expected, higher than chance explains.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..compute import comparison as cmp
from ..compute.casemix import FACTOR_WORDS
from ..compute.engine import engine_of
from ..contract import PROGRAM_FOLDER as ALL
from ..disclosure.model import COMPLEMENTARY, SMALL, WITHHELD, is_small
from ..disclosure.suppress import mark as suppress_mark
from ..periods import Period
from ..scratch import write_atomically


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    unit: str  # what one eligible episode (or session) is called, plural
    expected_verb: str  # "were expected to complete"
    definition: str


MEASURES = (
    Measure(
        "completion",
        "Completion rate",
        "discharges",
        "were expected to complete",
        "Discharges in the window with reason completed, of all discharges in the window.",
    ),
    Measure(
        "retained_90d",
        "Not disengaged within 90 days",
        "admissions",
        "were expected to stay engaged 90 days",
        "Admissions in the window whose 90 days have passed by the as-of date that did not end "
        "disengaged (dropped out or terminated) within 90 days: a plain yes or no for each, so "
        "that sites can be compared and adjusted for case mix. It is not the monthly report's "
        "estimated 90-day retention and differs from it: that one is a Kaplan\u2013Meier "
        "estimate that also counts the people admitted less than 90 days ago, for as long as "
        "they have been followed.",
    ),
    Measure(
        "step_down",
        "Step-down rate",
        "discharges with a known next step",
        "were expected to step down",
        "Discharges followed by a lower level of care within the transitions window, of the "
        "discharges whose next care is known (pending ones are left out).",
    ),
    Measure(
        "reliable_improvement",
        "Reliable improvement",
        "paired courses",
        "were expected to improve reliably",
        "Courses of treatment ended in the window (two or more attended treatment sessions) "
        "with PHQ-9 or GAD-7 scores on two dates, whose first-to-last change reached the "
        "instrument's reliable change (PHQ-9 6 points, GAD-7 4) on one of them with neither "
        "worse by as much, of every such paired course.",
    ),
    Measure(
        "recovery",
        "Recovery",
        "paired courses that were a case at start",
        "were expected to recover",
        "Paired courses that were a case at start (PHQ-9 10 or more, GAD-7 8 or more, on one of "
        "them) whose last scores are below caseness on every paired instrument, of the paired "
        "courses that were a case at start.",
    ),
    Measure(
        "attendance",
        "Attendance rate",
        "client-scheduled sessions",
        "were expected to be attended",
        "Sessions attended of those the client could attend (attended, no-show, cancelled by "
        "the client). Not adjusted for case mix: one client's sessions are not independent.",
    ),
    Measure(
        "abstinent_discharge",
        "Abstinent at discharge",
        "discharges paired on substance use",
        "were expected to report no use at discharge",
        "Episodes ended in the window whose admission and discharge records both give the use "
        "of the primary substance (paired), reporting no use in the 30 days before discharge, "
        "of every such paired episode. Self-reported; not adjusted for case mix.",
    ),
    Measure(
        "response_3m",
        "Reached at 3 months",
        "discharges due a 3-month follow-up",
        "were expected to be reached",
        "Discharges (not by death) whose 3-month follow-up window (days 60 to 134 after "
        "discharge) closed in the 12 months ending with the window, reached by follow-up in it, "
        "of every one due. Not adjusted for case mix.",
    ),
)
BY_KEY = {m.key: m for m in MEASURES}


def sentence(key: str, site: str, row: dict[str, Any], factors: tuple[str, ...]) -> str:
    """One plain sentence for a site outside the limits (comparison.md's wording)."""
    m = BY_KEY[key]
    o, e, n = int(row["observed"]), float(row["expected"]), int(row["n"])
    diff = o / e - 1
    how = f"{abs(diff):.0%} {'more' if diff > 0 else 'fewer'} than expected"
    word = row["reading"].replace("possibly ", "")
    verdict = (
        f"{word} than chance explains"
        if not row["reading"].startswith("possibly")
        else f"possibly {word} than chance explains; worth a look"
    )
    given = f"Given the clients {site} served ({', '.join(factors)})" if factors else "Given"
    if not factors:  # a raw rate: nothing adjusted, the network's rate is the expectation
        given = f"At the network's rate, of {site}'s {n:,} {m.unit}"
        return f"{given}, {e:,.0f} {m.expected_verb}; {o:,} were: {how}, {verdict}."
    return (
        f"{given}, {e:,.0f} of its {n:,} {m.unit} {m.expected_verb}; {o:,} did: {how}, {verdict}."
    )


def suppress_sites(df: pd.DataFrame, k: int) -> pd.DataFrame:
    """``df`` (sites rows) with every figure of a small site hidden (NaN, reading
    ``suppressed``): n, observed, n - observed or expected 1..k-1; a lone hidden site takes the
    next smallest with it, so no hidden count follows from the program's total."""
    out = df.copy()
    if k <= 1 or out.empty:
        return out
    small = out.apply(
        lambda r: (
            any(is_small(v, k) for v in (r["n"], r["observed"], r["n"] - r["observed"]))
            or 0 < r["expected"] < k
        ),
        axis=1,
    )
    if small.sum() == 1:
        rest = out.loc[~small, "n"]
        if len(rest):
            small |= out.index == rest.idxmin()
    figures = [c for c in cmp.COLUMNS if c not in ("site", "reading")]
    out[figures] = out[figures].astype("float64")
    out.loc[small, figures] = float("nan")
    out.loc[small, "reading"] = "suppressed"
    return out


def hidden_sites(frames: list[pd.DataFrame], k: int) -> set[str]:
    """Sites hidden in any of ``frames`` (adjusted and raw share n and observed)."""
    return {
        str(s) for f in frames for s in suppress_sites(f, k).query("reading == 'suppressed'").site
    }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(c): (None if _na(v) else v) for c, v in r.items()} for r in df.to_dict("records")]


def _na(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


def measure_section(
    con: Any,
    q: Any,
    meas: Measure,
    k: int,
    share: dict[str, str] | None = None,
    comparisons: dict[str, cmp.Comparison] | None = None,
    given: dict[str, cmp.Comparison] | None = None,
) -> dict[str, Any]:
    """Everything the page shows for one measure, suppressed for ``k`` > 1; ``share``: the
    page's cells a run's plan hides besides, with why (``linked.plan``; a row is hidden whole
    when any of its counts is). A hidden count reads "<K" when it is 1..K-1 (and the plan
    did not take that label away), "withheld" when the plan withholds it, else "suppressed".
    ``comparisons`` gets the measure's exact comparison of the 12 months (adjusted but for
    attendance), as sites.json has it: kept out of the section, which holds only what the
    page may show. ``given``: the measure's ``comparison.measure_comparisons``, when a run
    has them at hand."""
    from markupsafe import Markup

    from ..disclosure.linked import page_rows
    from .charts import to_svg
    from .charts.sites import chart
    from .markup import Hidden

    share = share or {}
    forced = page_rows(share)

    def mark(window: str, site: str, part: str, value: Any) -> Hidden:
        why = share.get(f"{meas.key}.{window}[{site}].{part}")
        if why is None:  # hidden with its row
            why = SMALL if is_small(int(value), k) else COMPLEMENTARY
        return Hidden(suppress_mark(why, k))

    def marked(records: list[dict[str, Any]], exact: pd.DataFrame, window: str) -> list[Any]:
        truth = {str(r["site"]): r for r in exact.to_dict("records")}
        for r in records:
            if r["reading"] == "suppressed" and str(r["site"]) in truth:
                for part in ("n", "observed"):
                    r[part] = mark(window, str(r["site"]), part, truth[str(r["site"])][part])
        return records

    adjusted = meas.key not in cmp.RAW
    got = given if given is not None else cmp.measure_comparisons(con, q, meas.key)
    raw, adj, month = got["raw"], got["adjusted"], got["month"]
    if comparisons is not None:
        comparisons[meas.key] = adj
    hide = hidden_sites([adj.sites, raw.sites], k) | forced.get(f"{meas.key}.12m", set())
    hide_month = hidden_sites([month.sites], k) | forced.get(f"{meas.key}.period", set())

    def shown(df: pd.DataFrame, hidden: set[str]) -> pd.DataFrame:
        out = df.copy()
        figures = [c for c in cmp.COLUMNS if c not in ("site", "reading")]
        out[figures] = out[figures].astype("float64")
        mask = out["site"].isin(hidden)
        out.loc[mask, figures] = float("nan")
        out.loc[mask, "reading"] = "suppressed"
        return out

    a, r, mo = shown(adj.sites, hide), shown(raw.sites, hide), shown(month.sites, hide_month)
    rows = a.merge(r[["site", "reading"]].rename(columns={"reading": "raw_reading"}), on="site")
    factors = tuple(FACTOR_WORDS[f] for f in adj.model.factors) if adj.model else ()
    sentences = [
        sentence(meas.key, row["site"], row, factors)
        for row in _records(a)
        if row["reading"] not in ("as expected", "too few", "suppressed")
    ]
    network_small = k > 1 and (
        any(is_small(v, k) for v in (adj.n, adj.observed, adj.n - adj.observed)) or ALL in hide
    )
    charts = {}
    if adj.rate is not None and 0 < adj.rate < 1 and not network_small:
        p = adj.rate
        if adjusted:
            fig = chart(a, p, x="n_star", y="adjusted_rate", tau2=adj.dispersion.tau2,
                        title="Adjusted rate", x_title="Case-mix-equivalent size (n*)")  # fmt: skip
            charts["adjusted"] = Markup(to_svg(fig, k))
        fig = chart(r, p, x="n", y="rate", tau2=raw.dispersion.tau2, title="Raw rate",
                    x_title=f"Eligible ({meas.unit})")  # fmt: skip
        charts["raw"] = Markup(to_svg(fig, k))
    return {
        **meas.__dict__,
        "adjusted": adjusted,
        "charts": charts,
        "rows": marked(_records(rows), adj.sites, "12m"),
        "month_rows": marked(_records(mo), month.sites, "period"),
        "network": {
            "n": mark("12m", ALL, "n", adj.n) if network_small else adj.n,
            "observed": mark("12m", ALL, "observed", adj.observed)
            if network_small
            else adj.observed,
            "rate": None if network_small else adj.rate,
        },
        "sentences": sentences,
        "dispersion": [dispersion_text(c, k) for c in ((adj, raw) if adjusted else (raw,))],
        "model": model_view(adj.model, k),
    }


def dispersion_text(c: cmp.Comparison, k: int) -> str:
    """What the over-dispersion rule did to one funnel, in a sentence."""
    kind = "Adjusted funnel" if c.adjusted else "Raw funnel"
    d = c.dispersion
    if d.phi is None:
        return (
            f"{kind}: {d.sites} site(s) with {cmp.MIN_EPISODES} or more eligible, fewer than "
            f"{cmp.MIN_SITES}, so the between-site spread cannot be estimated and the limits are "
            "not widened for it (read them as too narrow rather than too wide)."
        )
    test = f"phi = {d.phi:.2f} over {d.sites} sites (Q = {d.q:.1f}, p = {d.p_value:.3g})"
    if d.adjusted:
        widen = f"the limits are widened by a between-site variance tau² = {d.tau2:.3g}"
        return f"{kind}: {test}; {widen}."
    return f"{kind}: {test}; no more spread than chance, so the limits are not widened."


SEX_WORDS = {"F": "female", "M": "male", "X": "another sex (X)", "U": "unknown"}


def level_words(merged: str) -> str:
    """A merged case-mix level ("variable=level", as the model names it) in a reader's words.

    >>> [level_words(m) for m in ("sex=U", "age_band=unknown", "payer=self_pay")]
    ['sex: unknown', 'age band: unknown', 'payer: self pay']
    """
    var, _, level = merged.partition("=")
    word = SEX_WORDS.get(level, level) if var == "sex" else level.replace("_", " ")
    return f"{var.replace('_', ' ')}: {word}"


def model_view(model: Any, k: int) -> dict[str, Any] | None:
    if model is None:
        return None
    return {
        "factors": [f.replace("_", " ") for f in model.factors],
        "merged": list(model.merged),
        "merged_words": [level_words(m) for m in model.merged],
        "left_out": list(model.left_out),
        "left_out_words": [v.replace("_", " ") for v in model.left_out],
        "episodes": model.episodes,
        "parameters": model.parameters,
        "auc": model.auc,
        # decile counts can be small: the external page leaves the table to the internal one
        "deciles": [] if k else _records(model.deciles),
    }


def lead(measures: list[dict[str, Any]]) -> str:
    """Names every site outside the 99.8% limits of any measure, or says there is none."""
    named = [
        f"{r['site']} ({m['title'].lower()}, {r['reading']})"
        for m in measures
        for r in m["rows"]
        if r["reading"] in ("higher", "lower")
    ]
    if not named:
        return (
            "No site is outside the 99.8% limits on any measure: after allowing for the clients "
            "each site served, the differences between sites are within what chance produces."
        )
    return "Outside the 99.8% limits, so differing by more than chance: " + "; ".join(named) + "."


def write_sites_page(
    db: str | Path,
    period: Period,
    path: Path,
    *,
    sites: tuple[str, ...],
    levels: tuple[str, ...] | None,
    suppress: int,
    program: str | None = None,
    hide: dict[str, str] | None = None,
    comparisons: str | Path | None = None,
) -> None:
    """Compute the comparison from ``db`` and write the page to ``path``; the internal page
    (no suppression) gets ``sites.json`` beside it. ``program`` names the program in the title;
    the levels of care in scope are named as in the loaded levels_of_care table. ``hide``: the
    page's share of a run's plan (``linked.plan``), whose rows are hidden besides its own.
    ``comparisons``: a file of ``save_comparisons`` (the run computes them once for its pages
    and their model); read, not computed again."""
    from ..compute.coverage import data_end
    from ..compute.query import Query, Scope
    from ..db import connect
    from .markup import css, render

    k = suppress if suppress > 1 else 0
    q = Query.of(period, scope=Scope(levels, None))
    wq = cmp.window_query(q, "12m")
    con = connect(db)
    try:
        exact: dict[str, cmp.Comparison] = {}  # the internal page's, for its sites.json
        keep = None if k else exact
        given = load_comparisons(comparisons, q) if comparisons else {}
        measures = [
            measure_section(con, q, m, k, hide if k else None, keep, given.get(m.key))
            for m in MEASURES
        ]
        doc = None if k else cmp.sites_document(con, q, given=exact)
        names = dict(engine_of(con).query("data_levels", {}).data)
        end = data_end(con)
    finally:
        con.close()
    default_title = f"Sites compared, {period.label}"
    page = render(
        "sites.html.j2",
        title=f"{program}: sites compared, {period.label}" if program else default_title,
        css=css(),
        k=k,
        external=bool(k),
        period_label=f"{period.label} ({period.start} – {period.end})",
        window_label=f"{wq.period.start} – {wq.period.end}",
        data_ends=end.sentence(q.as_of) if end is not None and end.shortens(q.as_of) else None,
        levels=", ".join(f"{names.get(c, c)} ({c})" for c in levels) if levels else "all",
        generated=f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        min_episodes=cmp.MIN_EPISODES,
        min_sites=cmp.MIN_SITES,
        measures=measures,
        lead=lead(measures),
        withheld=bool(k) and WITHHELD in (hide or {}).values(),
    )
    _write(path, page)
    if doc is not None:
        _write(path.with_name("sites.json"), json.dumps(doc, indent=2) + "\n")


def save_comparisons(
    comparisons: dict[str, dict[str, cmp.Comparison]], q: Any, path: str | Path
) -> None:
    """Keep ``comparison.page_comparisons`` of ``q`` for the pages of a run (its own folder)."""
    from .figures import keep

    keep((q, comparisons), path)


def load_comparisons(path: str | Path, q: Any) -> dict[str, dict[str, cmp.Comparison]]:
    """The comparisons ``save_comparisons`` kept, checked to be those of ``q``."""
    from .figures import kept

    comparisons: dict[str, dict[str, cmp.Comparison]] = kept(
        path, q, "comparisons", lambda v: v[0]
    )[1]
    return comparisons


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, text)
