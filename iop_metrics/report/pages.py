"""One function per report section: words first, then charts and tables (called by the notebook)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from ..contract import DISCHARGE_REASONS
from ..privacy import is_small
from . import charts
from .data import ReportData
from .sections import (
    attendance_sentence,
    census_sentence,
    continuity_sentence,
    control_limits,
    count,
    discharge_sentence,
    dosage_sentence,
    figure,
    rate,
    retention_sentence,
    table,
    transitions_sentence,
)


def _h2(title: str, sentence: str) -> str:
    return f'<h2>{title}</h2><p class="lead">{sentence}</p>'


def _keep(*blocks: str) -> str:
    """Blocks printed on one page (a heading or sentence with the chart or table it opens)."""
    return '<div class="keep">' + "".join(blocks) + "</div>"


def _section(parts: list[str]) -> str:
    """A section whose heading and opening sentence stay on the page of its first block."""
    head = _keep(*parts[:2])
    return '<section class="part">' + head + "".join(parts[2:]) + "</section>"


def not_drawn(what: str, k: int) -> str:
    """Said in place of a chart whose every figure is hidden."""
    return (
        f'<p class="note">{what} is not drawn: small-cell suppression hides every figure in '
        f"it (each rests on 1 to {k - 1} records, or would let one be worked out).</p>"
    )


def hidden_note(df: pd.DataFrame, col: str, noun: str, k: int) -> str:
    """The sentence under a chart that says how many of its slots are hidden, and why."""
    n = int(df[col].isna().sum())
    if not k or not n:
        return ""
    return (
        f" {n} of {len(df)} {noun} are hidden and marked \u201csuppressed\u201d: small-cell "
        f"suppression for outside readers leaves out every figure built on 1 to {k - 1} "
        "records, and any other that would let one be worked out."
    )


def attendance(d: ReportData) -> str:
    limits, _ = control_limits(d.monthly)
    parts = [_h2("Attendance", attendance_sentence(d, limits))]
    if limits["attendance_rate"].notna().any():
        parts.append(
            figure(
                charts.pchart(limits),
                "Monthly attendance rate (points) with its "
                "12-month centre line and 3-sigma control limits (band); red points "
                "fall outside the limits." + hidden_note(limits, "attendance_rate", "months", d.k),
            )
        )
    else:
        parts.append("<p>The monthly attendance chart is not drawn: every month is hidden.</p>")
    row = []
    for df, noun, title, sort in (
        (d.weekday, "weekdays", "No-show rate by weekday.", list(d.weekday["key"])),
        (d.service, "service types", "No-show rate by service type.", None),
    ):
        if df["no_show_rate"].notna().any():
            chart = charts.bar_rate(df, "key", "no_show_rate", "No-show rate", sort=sort)
            row.append(figure(chart, title + hidden_note(df, "no_show_rate", noun, d.k)))
        elif len(df):
            row.append(
                f'<p class="note">{title[:-1]} is not drawn: the rate of every one of the '
                f"{len(df)} {noun} is hidden by small-cell suppression.</p>"
            )
    parts.append('<div class="pair">' + "".join(row) + "</div>")
    parts.append(
        table(
            d.service,
            [
                ("key", "Service type", "text"),
                ("client_scheduled", "Sessions (client-attributable)", "count"),
                ("attended", "Attended", "count"),
                ("no_show", "No-show", "count"),
                ("cancelled_program", "Cancelled by program", "count"),
                ("attendance_rate", "Attendance", "rate"),
                ("no_show_rate", "No-show", "rate"),
            ],
            d.k,
        )
    )
    dosage = [f"<p>{dosage_sentence(d)}</p>"]
    if d.hours["client_weeks"].notna().any():
        dosage.append(
            figure(
                charts.hours_histogram(d.hours),
                "Hours attended per full client-week; the ASAM threshold is 9 hours "
                "for adults and 6 for adolescents."
                + hidden_note(d.hours, "client_weeks", "bars", d.k),
            )
        )
    elif d.k and len(d.hours):
        dosage.append(not_drawn("The chart of hours per client-week", d.k))
    parts.append(_keep(*dosage))
    return _section(parts)


def census_and_flow(d: ReportData) -> str:
    parts = [_h2("Census and flow", census_sentence(d))]
    bars = d.monthly.melt(id_vars="month", value_vars=["admissions", "discharges"])
    parts.append(
        figure(
            charts.census_trend(d.monthly),
            "Admissions and discharges by month "
            "(bars) and active census at month end (line), last 12 months."
            + hidden_note(bars, "value", "monthly bars", d.k),
        )
    )
    parts.append(f"<p>{transitions_sentence(d)}</p>")
    for df, title in (
        (d.flow, "Level-of-care flow this period"),
        (d.flow_12m, "Level-of-care flow, trailing 12 months"),
    ):
        if df["n"].notna().any():
            parts.append(
                figure(
                    charts.flow_matrix(df, title),
                    title + ": discharges by level "
                    "(rows) and where they went within the window (columns)."
                    + (" A dash (–) marks a hidden cell (small-cell suppression)." if d.k else ""),
                )
            )
        elif d.k and len(df):
            parts.append(not_drawn(f"The chart of the {title[0].lower()}{title[1:]}", d.k))
    i = d.shown["inflow"]
    parts.append(
        "<p>How this period's admissions came in: "
        f"{count(i['stepped_down_into'], d.k)} stepped down from more intensive care, "
        f"{count(i['stepped_up_into'], d.k)} stepped up from less intensive care, "
        f"{count(i['lateral_into'], d.k)} came laterally and {count(i['direct'], d.k)} were "
        "direct admissions.</p>"
    )
    return _section(parts)


def retention(d: ReportData) -> str:
    parts = [_h2("Retention", retention_sentence(d))]
    if not d.curve.empty:
        parts.append(
            figure(
                charts.retention_curve(d.curve),
                "Kaplan–Meier estimate of the share "
                "still engaged by days since admission, with its 95% band; red "
                "points mark 30, 60 and 90 days.",
            )
        )
    elif d.k and d.shown["retention"]["cohort_admissions"] != 0:
        parts.append(not_drawn("The retention curve", d.k))
    r = d.shown["retention"]
    parts.append(
        f"<p>Early engagement (adapted from HEDIS IET): {rate(r['initiated_14d'], d.k)} "
        "attended a session within 14 days of admission, and "
        f"{rate(r['engaged_34d'], d.k)} attended two or more further sessions within 34 "
        "days of that first one.</p>"
    )
    reasons_block = [f"<p>{discharge_sentence(d)}</p>"]
    names = " and ".join(r.label for r in d.references)
    shares = _reason_shares(d)
    if not shares.empty:
        reasons_block.append(
            figure(
                charts.reasons_vs_reference(shares),
                f"Discharge reasons this period against {names}, intensive outpatient "
                "discharges (shares of all discharges).",
            )
        )
    elif d.k and d.shown["discharges"]["total"] != 0:
        reasons_block.append(
            f'<p class="note">The chart of discharge reasons against {html.escape(names)} is not '
            "drawn: some reason counts are hidden by small-cell suppression, and shares "
            "would reveal them. The reference shares are in the table.</p>"
        )
    by = d.shown["discharges"]["by_reason"]
    reasons = pd.DataFrame(
        {"reason": list(DISCHARGE_REASONS), "n": [by[x] for x in DISCHARGE_REASONS]}
    )
    columns = [("reason", "Reason (TEDS-D)", "text"), ("n", "Discharges", "count")]
    for i, r in enumerate(d.references):
        reasons[f"ref{i}"] = [_ref_share(r, r.reasons.get(x)) for x in DISCHARGE_REASONS]
        columns.append((f"ref{i}", r.label, "html"))
    reasons_block.append(table(reasons, columns, d.k))
    parts.append(_keep(*reasons_block))
    parts.append(_keep(*length_of_stay(d)))
    return _section(parts)


def _ref_share(r: Any, share: float | None) -> str:
    if r.withheld:
        return '<span class="r sup">withheld</span>'
    return "—" if share is None else f'<span class="r">{share:.1%}</span>'


def length_of_stay(d: ReportData) -> list[str]:
    """The period's discharges in TEDS-D's length-of-stay bins, beside the references'."""
    with_bins = [r for r in d.references if r.los_shares or r.withheld]
    lead = (
        "Length of stay of this period's discharges in TEDS-D's bins (admission and "
        "discharge day both counted, as TEDS counts outpatient stays)"
    )
    if with_bins:
        lead += ", beside " + " and ".join(html.escape(r.label) for r in with_bins) + "."
    else:
        lead += (
            ". TEDS-D 2004 gives only a median (41 days, adults, Table 4.11); a benchmark "
            "file from <code>iop-metrics benchmark teds-d</code> compares the whole "
            "distribution."
        )
    df = d.los_bins.copy()
    columns = [
        ("bin", "Length of stay", "text"),
        ("n", "Discharges", "count"),
        ("share", "Share", "rate"),
    ]
    for i, r in enumerate(with_bins):
        df[f"ref{i}"] = [_ref_share(r, r.los_shares.get(b)) for b in df["bin"]]
        columns.append((f"ref{i}", r.label, "html"))
    return [f"<p>{lead}</p>", table(df, columns, d.k)]


def _reason_shares(d: ReportData) -> pd.DataFrame:
    total = d.shown["discharges"]["total"]
    if d.k and d.hidden & {f"discharges.by_reason.{r}" for r in DISCHARGE_REASONS}:
        return pd.DataFrame()  # shares would reveal hidden counts
    if not total:
        return pd.DataFrame()
    rows = [
        {
            "source": "This period",
            "reason": r,
            "share": d.shown["discharges"]["by_reason"][r] / total,
        }
        for r in DISCHARGE_REASONS
    ]
    for ref in d.references:
        if not ref.withheld:
            rows += [
                {"source": ref.label, "reason": r, "share": ref.reasons.get(r, 0.0)}
                for r in DISCHARGE_REASONS
                if r in ref.reasons
            ]
    return pd.DataFrame(rows)


def continuity(d: ReportData) -> str:
    parts = [
        _h2("Continuity of care after residential or inpatient discharge", continuity_sentence(d))
    ]
    c = d.shown["continuity"]
    df = pd.DataFrame(
        {"label": ["Within 7 days", "Within 14 days"], "rate": [c["rate_7d"], c["rate_14d"]]}
    )
    if df["rate"].notna().any():
        parts.append(
            figure(
                charts.rate_bars(df, "Followed up"),
                "Share of residential and "
                "inpatient discharges followed by a session or admission in another "
                "episode on day 1 through 7 (14)." + hidden_note(df, "rate", "rates", d.k),
            )
        )
    elif d.k and c["residential_discharges"] != 0:
        parts.append(not_drawn("The follow-up chart", d.k))
    return _section(parts)


CHANGE_PARTS = (
    ("Improved reliably", "reliable_improvement"),
    ("No reliable change", None),
    ("Deteriorated reliably", "reliable_deterioration"),
)


def _change_shares(o: dict[str, Any]) -> pd.DataFrame:
    """Per instrument with a reliable-change threshold: the shares of its paired courses that
    improved, did not change, deteriorated reliably (None where a count is hidden)."""
    rows = []
    for code, f in o["by_instrument"].items():
        if f["reliable_improvement"] is None and f["paired"] is not None:
            continue  # no reliable change defined (BAM-use)
        n, ri, rd = f["paired"], f["reliable_improvement"], f["reliable_deterioration"]
        known = None not in (n, ri, rd) and n
        for label, key in CHANGE_PARTS:
            share = None
            if known:
                share = (f[key] if key else n - ri - rd) / n
            rows.append({"label": code, "category": label, "share": share})
    return pd.DataFrame(rows, columns=["label", "category", "share"])


def _outcome_rates(d: ReportData) -> str:
    rows = d.rates[d.rates["figure"].str.startswith("outcomes.")]
    out = []
    for _, r in rows.iterrows():
        interval = "—" if pd.isna(r["ci_low"]) else f"{r['ci_low']:.0%} – {r['ci_high']:.0%}"
        if d.k and pd.isna(r["rate"]):
            interval = '<span class="sup">suppressed</span>'
        out.append(
            f"<tr><td>{html.escape(r['label'])}</td><td>{count(r['numerator'], d.k)}</td>"
            f"<td>{count(r['denominator'], d.k)}</td><td>{rate(r['rate'], d.k)}</td>"
            f"<td>{interval}</td></tr>"
        )
    head = (
        "<tr><th>Figure</th><th>Courses (numerator)</th><th>Of (denominator)</th>"
        "<th>Rate</th><th>95% interval (Wilson)</th></tr>"
    )
    return (
        f'<div class="table keep"><table class="data"><thead>{head}</thead>'
        f"<tbody>{''.join(out)}</tbody></table></div>"
    )


def _pct(v: Any) -> str | None:
    return None if v is None else f"{v:.0%}"


def outcomes_sentence(d: ReportData) -> str:
    o = d.shown["outcomes"]
    if not d.doc["outcomes"]["courses"]:
        return (
            "No course of treatment (an episode with two or more attended treatment "
            "sessions) ended this period, so there are no outcome figures."
        )
    parts = []
    paired, courses = o["paired"], o["courses"]
    completeness = _pct(o["paired_rate"])
    if completeness:
        parts.append(
            f"{completeness} of the courses of treatment that ended this period have a first "
            "and a last PHQ-9 or GAD-7 score (data completeness; NHS Talking Therapies "
            "expects 90% or more)"
            + (f": {paired:,} of {courses:,}." if paired is not None and courses else ".")
        )
    ri, rec = _pct(o["reliable_improvement_rate"]), _pct(o["recovery_rate"])
    if ri:
        parts.append(
            f"Of those, {ri} improved by more than measurement error allows (reliable "
            "improvement: PHQ-9 down 6 points or GAD-7 down 4, with neither up as much)"
            + (f" and {_pct(o['reliable_deterioration_rate'])} got reliably worse."
               if o["reliable_deterioration_rate"] is not None else ".")
        )  # fmt: skip
    if rec:
        parts.append(
            f"Of those who started at a clinical level (PHQ-9 10+ or GAD-7 8+), {rec} ended "
            "below it (recovery; nationally about half do in NHS Talking Therapies)."
        )
    if not parts:
        parts.append("The outcome figures rest on too few people to show outside the program.")
    return " ".join(parts)


def outcomes(d: ReportData) -> str:
    o = d.shown["outcomes"]
    parts = [_h2("Outcomes: did people get better?", outcomes_sentence(d))]
    if d.doc["outcomes"]["courses"]:
        parts.append(_outcome_rates(d))
    shares = _change_shares(o)
    if not shares.empty and shares["share"].notna().any():
        parts.append(
            figure(
                charts.change_bars(shares),
                "How scores moved from the first to the last score of each course, per "
                "instrument: reliably better, no reliable change, reliably worse."
                + hidden_note(shares, "share", "shares", d.k),
            )
        )
    elif d.k and not shares.empty:
        parts.append(not_drawn("The chart of how scores moved", d.k))
    if d.bands is not None and not d.bands.empty and d.bands["n"].notna().any():
        parts.append(
            figure(
                charts.band_shift(d.bands),
                "PHQ-9 severity band at the first score (rows) against the band at the last "
                "(columns), courses in each cell: below the diagonal got better."
                + hidden_note(d.bands, "n", "cells", d.k),
            )
        )
    cadence = (
        f"Measurement-based care: {rate(o['measured_at_intake_rate'], d.k)} of this period's "
        "admissions were scored on a standardized instrument in their first 14 days, and "
        f"{rate(o['measured_last_30d_rate'], d.k)} of the people in care for 30 days or more "
        "at the end of the period were scored in its last 30 days (The Joint Commission "
        "CTS.03.01.09 asks that each person be monitored with a standardized instrument)."
    )
    parts.append(f"<p>{cadence}</p>")
    parts.append(
        '<p class="note">What these figures are not: there is no comparison group, so they '
        "do not show that treatment caused the change; scores also drift toward the middle "
        "on their own, and people who left early without a last score are not counted. "
        "They describe how the people who finished a course of treatment were doing at its "
        "end, measured the way NHS Talking Therapies reports outcomes.</p>"
    )
    return _section(parts)


def _small_hidden(df: pd.DataFrame, col: str, k: int) -> pd.DataFrame:
    return df.assign(**{col: df[col].astype("float64").mask(df[col].map(lambda v: is_small(v, k)))})


def _import_summary(imported: dict[str, Any], k: int) -> str:
    """How the EHR export became the contract tables (from load_log's import report)."""
    m = imported["mapping"]
    df = imported["tables"]
    if k:
        for col in ("rows_read", "rows_skipped", "rows_collapsed", "rows_written"):
            df = _small_hidden(df, col, k)
    intro = (
        f"<p>The data came from the EHR export through the mapping {html.escape(m['file'])} "
        f"(sha256 {html.escape(m['sha256'][:12])}…): rows skipped by its <code>keep</code> rules, "
        "identical client rows collapsed, and source labels mapped to contract codes. "
        "The full audit trail is the import report in <code>load_log</code>.</p>"
    )
    return intro + table(
        df,
        [
            ("table_name", "Table", "text"),
            ("files", "Source files", "text"),
            ("rows_read", "Rows read", "count"),
            ("rows_skipped", "Skipped by keep", "count"),
            ("rows_collapsed", "Identical rows collapsed", "count"),
            ("rows_written", "Rows written", "count"),
            ("labels", "Labels mapped", "count"),
        ],
        k,
    )


def data_quality(d: ReportData) -> str:
    q = d.quality

    def n(v: int) -> str:
        return count(None if is_small(v, d.k) else v, d.k)

    rejected = _small_hidden(q["rejected"], "n", d.k) if d.k else q["rejected"]
    lead = (
        "Every row of the export passed the data contract."
        if rejected.empty
        else "Some rows of the export were set aside at load; see below."
    )
    parts = [_h2("Data quality", lead)]
    loaded = q["loaded"]
    if d.k:
        loaded = _small_hidden(_small_hidden(loaded, "rows_read", d.k), "rows_loaded", d.k)
    parts.append(
        table(
            loaded,
            [
                ("table_name", "Table", "text"),
                ("rows_read", "Rows read", "count"),
                ("rows_loaded", "Rows loaded", "count"),
            ],
            d.k,
        )
    )
    if not rejected.empty:
        parts.append(
            table(
                rejected,
                [
                    ("table_name", "Table", "text"),
                    ("reason", "Why", "text"),
                    ("n", "Rows set aside", "count"),
                ],
                d.k,
            )
        )
    if q.get("imported"):
        parts.append(_import_summary(q["imported"], d.k))
    parts.append(
        f"<p>Open episodes in scope with no session scheduled in the 30 days to the as-of date: "
        f"{n(q['open_without_session_30d'])}. Sessions dated on a federal holiday "
        f"(usually a closed day) this period: {n(q['sessions_on_closed_days'])}.</p>"
    )
    return _section(parts)
