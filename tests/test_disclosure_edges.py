"""The edges of disclosure control (issue 30, items 4-5): the analyst's shared tables are
protected as a model (their counts, the sums a reader can do on them), not by a rule of
their own; hand-made frames with the expected hidden cells written out.
"""

from __future__ import annotations

import pandas as pd
import pytest

import iop_metrics as im
from iop_metrics.disclosure.tables import SLICE_FRAME, Frame, protect_frame

K = 11


def _slices(**columns: list[int]) -> pd.DataFrame:
    """A slices frame: the given counts, every other count column 0, rates from the counts."""
    n = len(next(iter(columns.values())))
    df = pd.DataFrame({c: columns.get(c, [0] * n) for c in SLICE_FRAME.counts})
    for rate, num, den in SLICE_FRAME.rates:
        df[rate] = df[num] / df[den].where(df[den] > 0)
    return df


def test_a_rate_near_its_denominator_does_not_show_both_counts():
    # self-pay: 37 attended of 40 scheduled (the 3 not attended are a count of 1..10); the
    # other payer 192 of 236. Attendance totals 229 of 276, which a reader may know.
    df = _slices(attended=[37, 192], client_scheduled=[40, 236])
    hidden = protect_frame(df, K, SLICE_FRAME)
    # 37 goes (the smaller of the two counts beside the 3), then 192 (the column's total
    # would give 37 back), and both rates with them; 40 and 236 stay
    assert hidden == {
        (0, "attended"): "complementary",
        (0, "attendance_rate"): "rate",
        (1, "attended"): "complementary",
        (1, "attendance_rate"): "rate",
    }


def test_a_rows_other_reasons_are_a_count_too():
    # 30 discharges: 14 completed, 14 disengaged, so 2 left for another reason; a second row
    # of 40 = 20 + 20 + 0. Nothing shown is small, but the row's figures give the 2 away.
    df = _slices(discharges=[30, 40], completed=[14, 20], disengaged=[14, 20])
    # the first row's 14 completed goes, then the second's (34 completed in all would give
    # it back): 16 = completed + other, completed 11 or more, leaves the other 0..5
    assert protect_frame(df, K, SLICE_FRAME) == {
        (0, "completed"): "complementary",
        (0, "completion_rate"): "rate",
        (1, "completed"): "complementary",
        (1, "completion_rate"): "rate",
    }


def test_a_column_sums_to_a_total_a_reader_may_know():
    df = pd.DataFrame({"n": [30, 4, 25, 40]})
    assert protect_frame(df, K, Frame(("n",))) == {(1, "n"): "small", (2, "n"): "complementary"}
    # without the total (a frame whose columns are not parts of a known figure) 4 goes alone
    assert protect_frame(df, K, Frame(("n",), totals=False)) == {(1, "n"): "small"}
    assert im.suppress_frame(df, K, counts=("n",))["n"].tolist()[1:3] != [4, 25]


def test_a_known_total_is_never_what_hides_a_count():
    # 1 + 11 = 12: with the 11 hidden ("suppressed", taken to be 11 or more) the total pins
    # the 1; the model would hide the total, which a reader has from the report: the column
    # goes instead, and the 11 is hidden even so
    df = pd.DataFrame({"n": [1, 11]})
    assert protect_frame(df, K, Frame(("n",))) == {(0, "n"): "small", (1, "n"): "complementary"}


def test_when_its_column_is_not_enough_the_other_columns_go():
    # K = 5: 0 of 6 and 8 of 11 attended; the 3 not attended of the second row is small.
    # Hiding the 8 is no help (the 8 attended in all, which a reader may know, less the 0
    # gives it back) and the whole column is only the 8: the scheduled column goes instead,
    # the 8 is shown again (it is known anyway), and 6 + 11 = 17 leaves the 11 (5 or more
    # each) 5..12, the 3 not attended 0..4
    df = pd.DataFrame({"a": [0, 8], "s": [6, 11]}).assign(r=lambda d: d.a / d.s)
    assert protect_frame(df, 5, Frame(("a", "s"), (("r", "a", "s"),))) == {
        (0, "r"): "rate",
        (0, "s"): "complementary",
        (1, "r"): "rate",
        (1, "s"): "complementary",
    }


def test_slices_of_the_sample_hide_self_pays_attendance_whole(sample_con):
    # October 2026 by payer: self-pay attended 37 of 40 (the case); shared with K = 11
    q = im.Query.of(im.parse_period("2026-10"))
    exact = im.slices(sample_con, q, by="payer").set_index("slice")
    assert (exact.loc["self_pay", "attended"], exact.loc["self_pay", "client_scheduled"]) == (
        37,
        40,
    )
    df = im.slices(sample_con, q, by="payer", suppress=K).set_index("slice")
    self_pay = df.loc["self_pay"]
    assert pd.isna(self_pay.attended) and pd.isna(self_pay.attendance_rate)
    for _, row in df.iterrows():  # no row shows a count, nor a rest, of 1..10
        for rate, num, den in SLICE_FRAME.rates:
            n, d = row[num], row[den]
            assert not (pd.notna(n) and 0 < n < K), (row.name, num)
            if pd.notna(n) and pd.notna(d):
                assert not 0 < d - n < K, (row.name, rate)


# The tests that read ``october`` go to one worker (--dist loadgroup), which builds it once
OCTOBER = pytest.mark.xdist_group("edges-october")


@pytest.fixture(scope="module")
def october(sample_db, tmp_path_factory):
    """The October 2026 program report's figures, ``exact(con, Query.of("2026-10"))``, with
    their records (``conftest.exact_october``: read once per session), the module's copy."""
    from conftest import exact_october

    x = exact_october(sample_db, tmp_path_factory, None)
    assert x.query == im.Query.of(im.parse_period("2026-10"))
    return x


def _load_records(loaded, lines):
    """The records of hand-made load figures, as ``quality_cells.sql`` keys them: a table's
    loaded rows one record of their number, each line set aside one record, counted in its
    table's rows read and in each of its reasons (``lines``: (table, reason) -> lines)."""
    out = {}
    for t, read, done in loaded[["table_name", "rows_read", "rows_loaded"]].itertuples(False):
        group = (f"q:{t}|loaded*{done}",)
        aside = sorted({f"q:{t}|{i}" for (u, _), ls in lines.items() if u == t for i in ls})
        assert len(aside) == read - done, t
        out[f"quality[loaded>{t}>].rows_read"] = (*aside, *group)
        out[f"quality[loaded>{t}>].rows_loaded"] = group
    for (t, reason), ls in lines.items():
        out[f"quality[rejected>{t}>{reason}].n"] = tuple(f"q:{t}|{i}" for i in ls)
    return out


def _quality_page(october, lines, **quality):
    """The October 2026 program report's data-quality section, external (K = 11) and
    internal, over hand-made load figures (their set-aside ``lines`` per table and reason),
    and what its model hides there."""
    import dataclasses
    import re

    from iop_metrics.report.data import assemble
    from iop_metrics.report.pages import data_quality

    members = {c: r for c, r in october.members.items() if not c.startswith("quality[")}
    members |= _load_records(quality["loaded"], lines)
    stale = quality.get("open_without_session_30d", 0)  # the first open episodes, or none
    members |= {
        "quality[checks>open_without_session_30d>].n": october.members["census.active_at_end"][
            :stale
        ],
        "quality[checks>sessions_on_closed_days>].n": (),
    }
    x = dataclasses.replace(october, quality={**october.quality, **quality}, members=members)
    out = []
    for k in (K, 0):
        d = assemble(x, suppress=k)
        cells = re.sub(r"</?span[^>]*>", "", data_quality(d))
        out.append((cells, {c: r for c, r in d.reasons.items() if c.startswith("quality")}))
    return out


@OCTOBER
def test_rows_read_are_rows_loaded_and_those_set_aside(october):
    # 21,926 sessions read, 21,923 loaded, 3 set aside: the 3 is "<11", and 21,926 - 21,923
    # would give it back, so the smaller of the two goes; 4 open episodes with no session
    loaded = pd.DataFrame(
        {
            "table_name": ["clients", "sessions"],
            "rows_read": [700, 21926],
            "rows_loaded": [700, 21923],
        }
    )
    rejected = pd.DataFrame({"table_name": ["sessions"], "reason": ["not a date"], "n": [3]})
    lines = {("sessions", "not a date"): (7, 8, 9)}
    (external, hidden), (internal, none) = _quality_page(
        october, lines, loaded=loaded, rejected=rejected, open_without_session_30d=4
    )
    assert hidden == {
        "quality[checks>open_without_session_30d>].n": "small",
        "quality[loaded>sessions>].rows_loaded": "complementary",
        "quality[rejected>sessions>not a date].n": "small",
    }
    assert "<td>sessions</td><td>21,926</td><td>suppressed</td>" in external
    assert "<td>sessions</td><td>not a date</td><td>&lt;11</td>" in external
    assert "<td>clients</td><td>700</td><td>700</td>" in external
    assert "the as-of date: &lt;11." in external
    assert none == {} and "<td>sessions</td><td>21,926</td><td>21,923</td>" in internal
    assert "<td>sessions</td><td>not a date</td><td>3</td>" in internal


@OCTOBER
def test_set_aside_rows_counted_twice_are_no_identity(october):
    # 20 rows set aside (500 read, 480 loaded), counted 15 + 8 = 23 under two reasons (3 rows
    # had both problems): a reader who takes 20 - 15 for the 8 is wrong, so the 8 is hidden
    # ("<11") alone; where the reasons do add up (15 + 5), the 15 goes with it
    loaded = pd.DataFrame({"table_name": ["sessions"], "rows_read": [500], "rows_loaded": [480]})
    a = range(1, 16)
    for b, want in ((range(13, 21), {}), (range(16, 21), {"a": "complementary"})):
        n = [len(a), len(b)]
        rejected = pd.DataFrame({"table_name": ["sessions"] * 2, "reason": ["a", "b"], "n": n})
        lines = {("sessions", "a"): a, ("sessions", "b"): b}
        (_, hidden), _ = _quality_page(october, lines, loaded=loaded, rejected=rejected)
        want = {
            f"quality[rejected>sessions>{r}].n": why for r, why in (want | {"b": "small"}).items()
        }
        assert hidden == want, n


def test_an_external_copy_says_how_many_figures_it_hides_and_why(october_external, tmp_path):
    import json
    from collections import Counter

    from iop_metrics.run.schedule import hidden_of, said

    block = json.loads((october_external / "metrics.json").read_text())["suppression"]
    counted = Counter(block["hidden"].values())
    assert block["hidden_by_reason"] == {
        why: counted.get(why, 0)
        for why in ("small", "complementary", "rate", "estimate", "internal")
    }
    assert block["hidden_by_reason"]["internal"] == 4  # each follow-up window's deaths
    # a run's record of the report (runs.jsonl) carries the same counts; an internal one none
    assert hidden_of(october_external / "metrics.json") == {"hidden": block["hidden_by_reason"]}
    (tmp_path / "metrics.json").write_text(json.dumps({"census": {}}))
    assert hidden_of(tmp_path / "metrics.json") == {}
    assert said({"small": 2, "complementary": 0, "rate": 1}) == "2 small, 1 rate"


def test_a_rounded_rate_leaves_its_numerator_an_interval():
    from iop_metrics.disclosure.precision import numerator_interval, rounded

    # 37 of 40 printed 0.925 pins the 37; over 4,000 the same print allows 3,698..3,702
    assert numerator_interval(0.925, 40) == (37, 37)
    assert numerator_interval(0.925, 4000) == (3698, 3702)
    assert numerator_interval(0.9, 40, digits=1) == (34, 38)  # 0.85..0.95 of 40
    assert numerator_interval(0.0, 40) == (0, 0) and numerator_interval(1.0, 40) == (40, 40)
    assert numerator_interval(0.5, 3) is None  # no count of 3 prints 0.5
    assert rounded({"r": [0.947368421052674, 18]}) == {"r": [0.947, 18]}


def test_an_external_copy_prints_rates_as_a_reader_uses_them(october_external):
    import json
    import re

    def floats(v):
        if isinstance(v, dict):
            return [x for w in v.values() for x in floats(w)]
        return [v] if isinstance(v, float) else []

    doc = json.loads((october_external / "metrics.json").read_text())
    every = floats(doc)
    assert doc["attendance"]["attendance_rate"] == 0.815  # 640 of 785 (0.8152866242038217)
    assert every and all(round(v, 3) == v for v in every)
    html = (october_external / "monthly_report.html").read_text()
    labels = re.findall(r'aria-label="([^"]*)"', html)
    assert any("ucl: 0.866" in x for x in labels)  # the control chart's limit (0.866131226843)
    for text in labels:  # every number a chart's data carries: 3 decimals of a rate at most
        for number, pct in re.findall(r"(\d+\.\d+)(%?)", text):
            value = float(number) / (100 if pct else 1)
            assert abs(round(value, 3) - value) < 1e-9, text


def test_a_charts_data_never_prints_coarser_than_its_exact_value():
    from iop_metrics.disclosure.precision import drawn, numerator_interval

    # 65.45% drawn 0.655 would label "66%" (the sample's retention curve at 90 days did):
    # a value that would end in 5 steps to its own side
    assert drawn(0.654515234911054) == 0.654 and f"{drawn(0.654515234911054):.0%}" == "65%"
    assert drawn(0.6556) == 0.656 and drawn(0.655) == 0.655 and drawn([0.5, 7]) == [0.5, 7]
    # and a drawn 0.654 stands for 0.6535..0.6555: of 1,000, 654 or 655
    assert numerator_interval(0.654, 1000, drawn=True) == (654, 655)
    assert numerator_interval(0.654, 1000) == (654, 654)


def test_a_kaplan_meier_estimate_prints_the_precision_it_is_rounded_to():
    """An external copy rounds its Kaplan-Meier estimates to ``KM_DIGITS`` decimals and prints
    them with ``KM_PLACES`` decimals of a percent: every digit the rounded value has (each
    value at that precision prints back to itself) and none it has not (one decimal fewer
    would lose some), whatever ``KM_DIGITS`` is: 0.71 reads "71%", never "71.0%"."""
    from iop_metrics.disclosure.precision import KM_DIGITS, KM_PLACES, percent_places

    def prints_back(digits: int, places: int) -> bool:
        values = [i / 10**digits for i in range(10**digits + 1)]
        return all(float(f"{v:.{places}%}"[:-1]) / 100 == pytest.approx(v) for v in values)

    for digits in (1, 2, 3, 4):
        places = percent_places(digits)
        assert prints_back(digits, places), digits
        assert places == 0 or not prints_back(digits, places - 1), digits
    assert KM_PLACES == percent_places(KM_DIGITS) == 0
    assert f"{0.71:.{KM_PLACES}%}" == "71%" and f"{0.714:.{percent_places(3)}%}" == "71.4%"


def test_the_retention_curves_tooltips_print_the_estimates_precision():
    """The curve's points at 30, 60 and 90 days carry their estimate in a tooltip (an
    interactive view of the chart shows it; the SVG does not): printed with the decimals the
    report passes (``ReportData.km_places``), one by default."""
    from iop_metrics.report.charts import retention_curve

    df = pd.DataFrame(
        {"day": [1, 30], "retention": [1.0, 0.71], "ci_low": [1.0, 0.65], "ci_high": [1.0, 0.76]}
    )

    def formats(**places: int) -> list[str]:
        layers = retention_curve(df, **places).to_dict()["layer"]
        tips = [t for x in layers for t in x.get("encoding", {}).get("tooltip", [])]
        return [t["format"] for t in tips if t["field"] == "retention"]

    assert formats(places=0) == [".0%"] and formats() == [".1%"]


def test_the_external_report_prints_retention_to_the_whole_percent(
    october_external, october_internal
):
    """The sample's October: the external copy rounds its 30/60/90-day estimates to the whole
    percent (71%, 66%, 65%; metrics.json 0.71, 0.66, 0.65) and prints them so in the
    retention sentence, the rates table (with the 95% interval) and the 90-day tile (its
    change in whole points); the internal copy prints the exact estimates to one decimal
    (70.7%, 66.5%, 65.5%), as every other rate of both copies."""
    import json
    import re

    external = (october_external / "monthly_report.html").read_text()
    internal = (october_internal / "monthly_report.html").read_text()
    doc = json.loads((october_external / "metrics.json").read_text())["retention"]
    assert (doc["day_30"], doc["day_60"], doc["day_90"]) == (0.71, 0.66, 0.65)

    def sentence(pcts: tuple[str, str, str]) -> str:
        days = zip(pcts, (30, 60, 90), strict=True)
        said = (f'<span class="r">{p}</span> at {n} days' for p, n in days)
        return "an estimated " + ", ".join(said)

    def row(n: int, pct: str, low: str, high: str, cohort: str = "about ") -> str:
        # the external copy prints the cohort to the nearest ten (``precision.COARSE``)
        count = f'{cohort}<span class="n">{250 if cohort else 252}</span>'
        return (
            f"<td>Estimated {n}-day retention</td><td></td><td>{count}</td>"
            f'<td><span class="r">{pct}</span></td><td>{low} – {high} <small>'
        )

    def tile(pct: str, change: str) -> str:
        return (
            '<div class="label">Estimated 90-day retention</div><div class="value">'
            f'<span class="r">{pct}</span></div><div class="change">{change} pts vs'
        )

    assert sentence(("71%", "66%", "65%")) in external
    assert row(30, "71%", "65%", "76%") in external and row(90, "65%", "59%", "71%") in external
    assert tile("65%", "+0") in external
    assert sentence(("70.7%", "66.5%", "65.5%")) in internal
    assert row(30, "70.7%", "64.5%", "76.0%", "") in internal
    assert row(90, "65.5%", "59.0%", "71.2%", "") in internal
    assert "Of about <span" in external and 'Of <span class="n">252</span> admissions' in internal
    rounded = json.loads((october_external / "metrics.json").read_text())["suppression"]
    assert doc["cohort_admissions"] == 250 and rounded["rounded"] == {
        "retention.cohort_admissions": 10
    }
    assert tile("65.5%", "+0.7") in internal
    # every other rate of the external copy keeps its one decimal (attendance 640 of 785)
    assert "<td>Attendance rate</td>" in external and '<span class="r">81.5%</span>' in external
    # and the whole percents printed are the estimates' alone: the tile, the table, the text
    printed = re.findall(r'<span class="r">(\d+%)</span>', external)
    assert printed == ["65%", "71%", "66%", "65%", "71%", "66%", "65%"]


def _allowed(cells, hidden: set[str], cohort: str = "retention.cohort_admissions") -> set[int]:
    """The values of ``t`` (hidden "<K") a reader of ``_cohort_case`` allows: by enumeration,
    every whole solution of its three equations with the shown cells at their values, ``u``
    (never published) 0 or more and every other hidden cell K or more ("suppressed")."""
    v = cells.values
    out = set()
    for t in range(1, K):
        for u in range(0, v["W"]):
            trial = {"t": t, "~u": u, cohort: t + u}
            trial |= {"z": v["V"] - u, "y": v["W"] - t, "V": v["V"], "W": v["W"]}
            if all(trial[c] == v[c] for c in v if c not in hidden | {"t", "~u"}) and all(
                trial[c] >= K for c in hidden - {"t"}
            ):
                out.add(t)
    return out


HEAD = "sites:completion.12m[north].n"  # a headline figure printed exactly


def _cohort_case(cohort: str = HEAD):
    """A count of 5 (``t``) fixed two ways: as the cohort of 60 less an unpublished 55 that the
    shown 300 less 245 gives, and as 500 less 495. No single cell frees it, so the model cuts
    one way per round, the smallest cell on the target's row first: the cohort (60) before
    245 and 300."""
    from iop_metrics.disclosure.model import Cells

    values = {"t": 5, "~u": 55, cohort: 60, "V": 300, "z": 245, "W": 500, "y": 495}
    exact = (
        {cohort: -1, "t": 1, "~u": 1},
        {"V": -1, "~u": 1, "z": 1},
        {"W": -1, "t": 1, "y": 1},
    )
    return Cells(values, frozenset(c for c in values if c != "~u"), exact)


def test_the_retention_cohort_is_hidden_to_protect_another_count_only_when_nothing_else_will():
    """#30 item 5: a headline figure (``model.HEADLINE``: the sites page's 12-month completion
    n, without which its funnels have no site to draw; the retention cohort, whose hiding hides
    the 30/60/90-day estimates) is tried after every other shown cell. By value alone the
    headline (60) goes, then 495 (two cells hidden); with the order 245 goes instead, then
    495: as many cells hidden, the headline shown, and the 5 still anything from 1 to 10 to a
    reader of what is shown. The retention cohort, printed to the nearest ten in an external
    copy ("about 60": 55..64), no longer pins the 5 (55 admissions known, the 5 is 0..9): only
    the other way (500 less 495) is cut."""
    from iop_metrics.disclosure.model import headline, protect

    cells = _cohort_case()
    assert _allowed(cells, {"t"}, HEAD) == {5} and _allowed(cells, {"t", "y"}, HEAD) == {5}
    hidden = protect(cells, K)
    assert hidden == {"t": "small", "y": "complementary", "z": "complementary"}
    assert _allowed(cells, set(hidden), HEAD) == set(range(1, K))
    # the same counts with a cohort of no such name (by value alone): the cohort goes
    assert headline("all:retention.cohort_admissions") and headline("monthly[2026-10].cohort")
    plain = protect(_cohort_case("cohort"), K)
    assert plain == {"cohort": "complementary", "t": "small", "y": "complementary"}
    cohort = protect(_cohort_case("retention.cohort_admissions"), K)
    assert cohort == {"t": "small", "y": "complementary"}


def test_the_programs_30_60_90_day_retention_survives_at_the_whole_percent(october_gathered):
    # 252 admissions; 71 disengagements by day 30, 9 more by day 60, 2 more by day 90 (160,
    # 132 and 121 at risk): 9 and 2 are each under K, but printed to the whole percent the
    # estimates leave each of them more than one value, so all three are shown
    from iop_metrics.disclosure.precision import km_events_pinned

    d = october_gathered  # gather(sample_con, the program's 2026-10, suppress=K), read once
    r = d.shown["retention"]
    assert (r["cohort_admissions"], r["day_30"], r["day_60"], r["day_90"]) == (
        250,  # 252, printed to the nearest ten
        0.71,
        0.66,
        0.65,
    )
    assert not any(key.startswith("retention.day_") for key in d.reasons)
    # 8 disengagements among ~150: 1 point of rounding allows 7 or 9; 6 decimals pin the 8
    rows = [(150, 0)] * 22 + [(148, 1)] * 8
    after = 0.71 * (1 - 1 / 148) ** 8
    assert not km_events_pinned(0.71, after, rows)
    assert km_events_pinned(0.71, after, rows, digits=6)
    assert not km_events_pinned(0.71, 0.71, [(150, 0)] * 30)  # none between: no count


def _whole_range(cells, hidden: dict[str, str], k: int, about: dict[str, tuple[int, int]], cell):
    """The least and greatest whole value of ``cell`` to a reader of what the labels say: a
    "<k" cell 1..k-1, a "suppressed" one 1 or more (zeros are printed), a count printed
    "about" within its interval, every other cell at its value (a MILP of scipy's, apart from
    the model's programmes)."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint, milp

    order = sorted(cells.values)
    a = np.array([[eq.get(c, 0) for c in order] for eq in cells.exact], dtype=float)

    def box(c: str) -> tuple[float, float]:
        if c in hidden:
            return (1, k - 1) if hidden[c] == "small" else (1, np.inf)
        return about.get(c, (cells.values[c], cells.values[c]))

    lo, hi = zip(*(box(c) for c in order), strict=True)
    ends = []
    for sign in (1, -1):
        goal = np.zeros(len(order))
        goal[order.index(cell)] = sign
        got = milp(
            goal,
            constraints=LinearConstraint(a, 0, 0),
            bounds=Bounds(lo, hi),
            integrality=np.ones(len(order)),
        )
        assert got.success, (cell, got.message)
        ends.append(round(sign * got.fun))
    return tuple(ends)


def test_a_count_no_cell_frees_from_the_stronger_reader_leaves_the_others_protected():
    """#30 B: the search protects from a reader stronger than the labels (a hidden count of K
    or more taken as K or more). When that reader pins a count whatever is hidden, the search
    must not stop there: the other counts are then protected from the reader the labels
    allow. Here (K = 5) the cohort, printed "about 30" twice (25..34), is ``a`` (1), five 5s,
    ``P`` (4, the sum of four 1s) and four more 1s: with the 5s taken as 5 or more, ``a`` is 1
    whatever is hidden. Stopping there left ``P`` "<5" over four parts each at least 1: every
    part is 1 to any reader. Going on, ``P`` loses its label, and no small count is pinned."""
    from iop_metrics.disclosure.model import Cells, protect

    k = 5
    parts = [f"p{i}" for i in range(1, 5)]
    fives, ones = [f"x{i}" for i in range(1, 6)], [f"s{i}" for i in range(1, 5)]
    cohort, month = "retention.cohort_admissions", "monthly[2026-10].cohort"
    values = {"a": 1, "P": 4, cohort: 34, month: 34}
    values |= dict.fromkeys(parts + ones, 1) | dict.fromkeys(fives, 5)
    exact = (
        {cohort: -1, "a": 1, "P": 1} | dict.fromkeys(fives + ones, 1),
        {month: -1, cohort: 1},
        {"P": -1} | dict.fromkeys(parts, 1),
    )
    cells = Cells(values, frozenset(values), exact)
    hidden = protect(cells, k)
    about = dict.fromkeys([cohort, month], (25, 34))
    ranges = {c: _whole_range(cells, hidden, k, about, c) for c in ["a", "P", *parts, *ones]}
    assert {c: r for c, r in ranges.items() if r[0] == r[1]} == {}
    assert ranges["P"] == (4, 16) and ranges["p1"] == ranges["a"] == (1, 4)
    assert hidden == {
        "P": "complementary",
        **dict.fromkeys(["a", *parts, *ones], "small"),
        **dict.fromkeys(fives, "complementary"),
    }
    # the search's stronger reader: the 5s 5 or more pin ``a`` whatever is hidden
    strong = {c: r for c, r in hidden.items() if c not in fives}
    assert _whole_range(cells, strong, k, about | dict.fromkeys(fives, (5, 99)), "a") == (1, 1)


def test_a_count_the_labels_pin_with_everything_hidden_is_freed_by_the_counts_printed_to_the_ten():
    """#30: when every nonzero count is hidden and even the reader the labels allow (a hidden
    count 1 or more) pins a count, the counts printed to the nearest ten near it are hidden,
    one a round, though none frees it alone. Here (K = 5) the cohort, 14, printed "about 10"
    (5..14) as the retention cohort and as the month's, is fourteen counts of 1: each at least
    1 and the fourteen at most 14, every one is 1 whatever else is hidden. Hiding one cohort
    leaves the other; hiding both frees every count."""
    from iop_metrics.disclosure.model import Cells, protect

    k = 5
    parts = [f"x{i:02d}" for i in range(1, 15)]
    cohort, month = "retention.cohort_admissions", "monthly[2026-10].cohort"
    values = {cohort: 14, month: 14} | dict.fromkeys(parts, 1)
    exact = ({cohort: -1} | dict.fromkeys(parts, 1), {month: -1, cohort: 1})
    cells = Cells(values, frozenset(values), exact)
    about = dict.fromkeys([cohort, month], (5, 14))
    labelled = dict.fromkeys(parts, "small")
    assert _whole_range(cells, labelled, k, about, "x01") == (1, 1)
    assert _whole_range(cells, labelled | {cohort: "complementary"}, k, about, "x01") == (1, 1)
    hidden = protect(cells, k)
    assert {c: _whole_range(cells, hidden, k, about, c) for c in parts} == dict.fromkeys(
        parts, (1, 4)
    )
    assert hidden == labelled | {cohort: "complementary", month: "complementary"}


def _grid(rows: list[list[int]]):
    """A table with its row and column totals and its grand total, every cell published."""
    from iop_metrics.disclosure.model import Cells

    v = {f"x{i}{j}": n for i, row in enumerate(rows) for j, n in enumerate(row)}
    v |= {f"r{i}": sum(row) for i, row in enumerate(rows)}
    v |= {f"s{j}": sum(row[j] for row in rows) for j in range(len(rows[0]))}
    v["t"] = sum(map(sum, rows))
    eqs = [{f"r{i}": 1, **{f"x{i}{j}": -1 for j in range(len(row))}} for i, row in enumerate(rows)]
    eqs += [{f"s{j}": 1, **{f"x{i}{j}": -1 for i in range(len(rows))}} for j in range(len(rows[0]))]
    eqs += [{"t": 1, **{f"r{i}": -1 for i in range(len(rows))}}]
    eqs += [{"t": 1, **{f"s{j}": -1 for j in range(len(rows[0]))}}]
    return Cells(v, frozenset(v), tuple(eqs))


@pytest.mark.parametrize(
    "rounds, hidden",
    [
        # six rounds of one neighbour free it: fewer than CYCLE, so the search never asks
        (None, ["x00", "x01", "x10", "x11", "x12", "x20", "x22"]),
        (3, ["x00", "x01", "x10", "x11", "x12", "x20", "x22"]),
        # after two rounds, one programme: the rest of a rectangle through x10 at once
        (2, ["x00", "x01", "x10", "x11", "x20", "x21"]),
    ],
)
def test_after_cycle_rounds_of_one_neighbour_the_cells_hidden_come_from_one_programme(
    monkeypatch, rounds, hidden
):
    """#30: where no one cell frees a count (a 1 in a table with its totals) nor a label
    dropped, its smallest neighbour is hidden, one a round; after ``model.CYCLE`` such rounds
    the shown cells to hide together come from one linear programme (``_cycle``). The small
    programs' six months gave more away with the programme from the first round (55 counts to
    106 on one of them), a 50-site network's plan spent minutes on one count with a neighbour
    a round. Either way the 1 is free to a reader of the labels (a MILP of scipy's)."""
    from iop_metrics.disclosure import model

    if rounds is not None:
        monkeypatch.setattr(model, "CYCLE", rounds)
    cells = _grid([[11, 79, 48], [1, 16, 72], [46, 56, 21]])
    got = model.protect(cells, 11)
    assert sorted(got) == hidden
    assert got["x10"] == "small" and _whole_range(cells, got, 11, {}, "x10") == (1, 10)
