"""Thin typed wrappers: run a named SQL file with parameters, get a DataFrame.

Every figure is computed by the SQL in ``iop_metrics/compute/sql`` (one metric, one
file), run by an engine (``engine.py``: DuckDB, or Spark through ``spark.py``). A summary
file reads the rows of its ``*_detail.sql`` file as the CTE ``detail``; values always go in
as parameters. Each function takes a DuckDB connection or an ``Engine``.

``document`` is built from plain rows and never imports pandas; the functions that return
DataFrames convert the engine's rows above the boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from ..contract import DEFAULT_LEVELS, DISCHARGE_REASONS
from ..periods import Period, resolve_as_of
from .engine import DuckDBEngine, Engine, Reads, Rows, engine_of
from .engine import compose as compose  # still importable from here
from .engine import sql_text as sql_text

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

Con: TypeAlias = "Engine | duckdb.DuckDBPyConnection"


@dataclass(frozen=True)
class Scope:
    """Which episodes a report is about: levels of care (``None`` = all), site, track."""

    levels: tuple[str, ...] | None = DEFAULT_LEVELS
    site: str | None = None
    track: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "levels_of_care": None if self.levels is None else list(self.levels),
            "site": self.site,
            "track": self.track,
        }


@dataclass(frozen=True)
class Query:
    """A period, its as-of date, a scope and the transitions window: what every metric takes."""

    period: Period
    as_of: dt.date
    scope: Scope = field(default_factory=Scope)
    window_days: int = 14

    @classmethod
    def of(
        cls,
        period: Period,
        *,
        as_of: dt.date | None = None,
        scope: Scope | None = None,
        window_days: int = 14,
    ) -> Query:
        return cls(period, resolve_as_of(period, as_of), scope or Scope(), window_days)

    def params(self) -> dict[str, Any]:
        return {
            "start": self.period.start,
            "end": self.period.end,
            "as_of": self.as_of,
            "levels": None if self.scope.levels is None else list(self.scope.levels),
            "site": self.scope.site,
            "track": self.scope.track,
            "window": self.window_days,
        }


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the shared temp macros on ``con`` (idempotent; works on read-only connections)."""
    DuckDBEngine(con).prepare()


def run(
    con: Con,
    name: str,
    q: Query,
    *,
    reads: Reads = (),
    extra: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Run SQL file ``name`` for ``q``; ``reads`` names (cte, file) pairs it reads, in order."""
    return _query(con, name, q, reads, extra).frame()


def records(
    con: Con,
    name: str,
    q: Query,
    *,
    reads: Reads = (),
    extra: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Like ``run`` but as plain Python rows (exact ints and floats, ``None`` for null)."""
    return _query(con, name, q, reads, extra).records()


def _query(con: Con, name: str, q: Query, reads: Reads, extra: dict[str, Any] | None) -> Rows:
    return engine_of(con).query(name, {**q.params(), **(extra or {})}, reads=reads)


def _detail(name: str) -> Reads:
    return (("detail", f"{name}_detail"),)


def census(con: Con, q: Query) -> pd.DataFrame:
    """Active at start and end of the period, admissions, discharges, clients served.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> con = example_connection()
    >>> census(con, Query.of(parse_period("2026-05")))[["admissions", "active_at_end"]]
       admissions  active_at_end
    0           2              1
    """
    return run(con, "census", q)


def attendance(con: Con, q: Query, *, by: str = "all") -> pd.DataFrame:
    """Session counts by status and the attendance and no-show rates, grouped ``by`` one of
    ``all``, ``service_type``, ``weekday``, ``track``, ``site``, ``week``, ``month``."""
    allowed = ("all", "service_type", "weekday", "track", "site", "week", "month")
    if by not in allowed:
        raise ValueError(f"by must be one of {allowed}")
    return run(con, "attendance", q, extra={"by": by})


def dosage_weeks(con: Con, q: Query) -> pd.DataFrame:
    """One row per client-week: hours attended against the 9 (6) hour ASAM threshold."""
    return run(con, "dosage_weeks", q)


def dosage(con: Con, q: Query) -> pd.DataFrame:
    """Client-weeks, those meeting the threshold, their share and the median hours."""
    return run(con, "dosage", q, reads=(("detail", "dosage_weeks"),))


def discharges(con: Con, q: Query, *, by: str | None = None, suppress: int = 0) -> pd.DataFrame:
    """Discharges in the period by TEDS-D reason, completion rate, median length of stay.

    With ``by`` (a client attribute, see ``slices``): one row per slice with its discharges,
    completed and disengaged (dropped_out, terminated) discharges and their rates with 95%
    Wilson intervals, e.g. "which payer group drops out most?".

    >>> from iop_metrics.periods import parse_period
    >>> df = discharges(example_connection(), Query.of(parse_period("2026-05")), by="age_band")
    >>> df[["slice", "discharges", "disengaged", "disengaged_rate"]]
       slice  discharges  disengaged  disengaged_rate
    0  26-34           1           1              1.0
    1  45-54           1           0              0.0
    """
    if by is None:
        return run(con, "discharges", q)
    cols = ["slice", "discharges", *(c for c in SLICE_COLUMNS if c.startswith(SLICE_DISCHARGE))]
    df = slices(con, q, by=by, suppress=suppress)
    return df[[*cols, *(["suppressed"] if suppress > 1 else [])]]


def length_of_stay_bins(con: Con, q: Query) -> pd.DataFrame:
    """Discharges in the period by TEDS-D length-of-stay code (los_code 1..37, n)."""
    return run(con, "length_of_stay_bins", q)


def retention_cohort(con: Con, q: Query) -> pd.DataFrame:
    """The 12-month admission cohort: (t, event) per episode and early-engagement flags."""
    return run(con, "retention_cohort", q)


def retention_curve(con: Con, q: Query) -> pd.DataFrame:
    """Kaplan-Meier retention R(N) by day with at-risk, events and a 95% Greenwood band."""
    return run(con, "retention_curve", q, reads=(("detail", "retention_cohort"),))


def retention(con: Con, q: Query) -> pd.DataFrame:
    """Cohort size, 30/60/90-day retention, initiation within 14 and engagement within 34 days."""
    reads = (("detail", "retention_cohort"), ("curve", "retention_curve"))
    return run(con, "retention", q, reads=reads)


def transitions_detail(con: Con, q: Query) -> pd.DataFrame:
    """Each in-scope discharge in the period with its next episode and outcome."""
    return run(con, "transitions_detail", q)


def transitions(con: Con, q: Query) -> pd.DataFrame:
    """Counts per transition outcome, per next level, and the median step-down gap."""
    return run(con, "transitions", q, reads=_detail("transitions"))


def transition_matrix(con: Con, q: Query) -> pd.DataFrame:
    """From-level x to-level counts over all levels of care (outcome where there is no next)."""
    all_levels = Query(q.period, q.as_of, Scope(None, q.scope.site, q.scope.track), q.window_days)
    rows = transitions_detail(con, all_levels)
    rows["to_level"] = rows["to_level"].where(rows["to_level"].notna(), rows["outcome"])
    return (
        rows.groupby(["from_level", "to_level"], as_index=False)
        .size()
        .rename(columns={"size": "n"})
        .sort_values(["from_level", "to_level"], ignore_index=True)
    )


def inflow_detail(con: Con, q: Query) -> pd.DataFrame:
    """Each in-scope admission in the period with its previous episode and how it came in."""
    return run(con, "inflow_detail", q)


def inflow(con: Con, q: Query) -> pd.DataFrame:
    """Admissions by how they came in: stepped down, stepped up, lateral, direct."""
    return run(con, "inflow", q, reads=_detail("inflow"))


def continuity_detail(con: Con, q: Query) -> pd.DataFrame:
    """Each residential/inpatient discharge in the period with its first follow-up day."""
    return run(con, "continuity_detail", q)


def continuity(con: Con, q: Query) -> pd.DataFrame:
    """Follow-up within 7 and 14 days after residential or inpatient discharge."""
    return run(con, "continuity", q, reads=_detail("continuity"))


def latest_complete_month(con: Con) -> Period:
    """The latest calendar month that ends on or before the last date in the data."""
    from ..errors import InputError
    from ..periods import month
    from .coverage import last_activity

    last = last_activity(con)
    if last is None:
        raise InputError("the database holds no episode or session; nothing to report on")
    candidate = month(last.year, last.month)
    return candidate if candidate.end <= last else candidate.previous()


def resolve_period(con: Con, text: str, *, today: dt.date | None = None) -> Period:
    """``text`` parsed as a period, or the latest complete month in the data when empty."""
    from ..periods import parse_period

    return parse_period(text, today=today) if text else latest_complete_month(con)


SLICES = ("payer", "primary_substance", "referral_source", "sex", "age_band")


SLICE_RATES = {  # rate: (numerator, denominator), each with a 95% Wilson interval
    "completion_rate": ("completed", "discharges"),
    "disengaged_rate": ("disengaged", "discharges"),
    "retention_90d": ("retained_90d", "retention_trials"),
    "attendance_rate": ("attended", "client_scheduled"),
}
SLICE_DISCHARGE = ("completed", "completion_rate", "disengaged")
SLICE_COUNTS = (
    "admissions",
    "discharges",
    "completed",
    "disengaged",
    "retention_trials",
    "retained_90d",
    "attended",
    "client_scheduled",
)
SLICE_COLUMNS = tuple(
    c for r, (x, _) in SLICE_RATES.items() for c in (x, r, f"{r}_ci_low", f"{r}_ci_high")
)


def _with_intervals(df: pd.DataFrame) -> pd.DataFrame:
    """Each slice rate followed by its 95% Wilson interval (None where it is undefined)."""
    out = df.copy()
    for rate, (x, n) in SLICE_RATES.items():
        bounds = [wilson(int(a), int(b)) for a, b in zip(df[x], df[n], strict=True)]
        at = int(out.columns.get_loc(rate)) + 1  # type: ignore[arg-type]
        out.insert(at, f"{rate}_ci_low", [lo for lo, _ in bounds])
        out.insert(at + 1, f"{rate}_ci_high", [hi for _, hi in bounds])
        out[[f"{rate}_ci_low", f"{rate}_ci_high"]] = out[
            [f"{rate}_ci_low", f"{rate}_ci_high"]
        ].astype("float64")
    return out


def slices(con: Con, q: Query, *, by: str, suppress: int = 0) -> pd.DataFrame:
    """Admissions, discharges, completion, disengagement, 90-day retention and attendance by a
    client attribute, each rate with its numerator, denominator and 95% Wilson interval.

    ``by`` is one of payer, primary_substance, referral_source, sex, age_band. Disengaged
    discharges are dropped_out or terminated ones in the period; 90-day retention counts the
    retention cohort's episodes whose 90 days have passed by as_of (``retention_trials``), retained
    unless discharged disengaged within 90 days. ``suppress`` = K > 1 hides counts of 1..K-1 and
    the rates and intervals built on them: a hidden count is ``<NA>`` (counts stay integers), and
    every hidden cell of a row is named in its ``suppressed`` column, so a hidden rate can be told
    from an undefined one (NaN: no denominator), which ``suppressed`` does not name.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> df = slices(example_connection(), Query.of(parse_period("2026-05")), by="age_band")
    >>> df[["slice", "admissions", "attendance_rate"]]
       slice  admissions  attendance_rate
    0  26-34           1              0.0
    1  45-54           1              1.0
    """
    from ..privacy import suppress_frame

    if by not in SLICES:
        raise ValueError(f"by must be one of {SLICES}")
    df = _with_intervals(run(con, "slices", q, extra={"attribute": by}))
    if suppress <= 1:
        return df
    hidden = suppress_frame(df, suppress, counts=SLICE_COUNTS, rates=dict(SLICE_RATES))
    for rate in SLICE_RATES:  # an interval goes with its rate
        for bound in ("ci_low", "ci_high"):
            hidden[f"{rate}_{bound}"] = hidden[f"{rate}_{bound}"].mask(hidden[rate].isna())
    gone = hidden.isna() & df.notna()
    for c in SLICE_COUNTS:
        hidden[c] = hidden[c].astype("Int64")
    names = [", ".join(c for c in df.columns if row[c]) for _, row in gone.iterrows()]
    hidden["suppressed"] = names
    return hidden


def example_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the worked example of metrics.md (clients A, B, C)."""
    import tempfile

    from ..ingest.load import load_memory
    from ..ingest.sample import write_worked_example

    with tempfile.TemporaryDirectory() as folder:
        return load_memory(write_worked_example(folder))


def _pick(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: row[k] for k in keys}


ATTENDANCE_KEYS = (
    "scheduled",
    "attended",
    "no_show",
    "cancelled_client",
    "cancelled_program",
    "attendance_rate",
    "no_show_rate",
)


def document(con: Con, q: Query, *, retention: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every headline figure as the JSON document of metrics.md.

    ``retention`` is ``retention_summary(con, q)`` when the caller already has it.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> doc = document(example_connection(), Query.of(parse_period("2026-05")))
    >>> doc["census"]["admissions"], doc["census"]["active_at_end"]
    (2, 1)
    >>> round(doc["retention"]["day_30"], 3), doc["transitions"]["pending"], doc["inflow"]["direct"]
    (0.667, 1, 1)
    """
    from .outcomes import outcomes_key

    p = q.period

    def one(name: str, reads: Reads = ()) -> dict[str, Any]:
        return records(con, name, q, reads=reads)[0]

    att = records(con, "attendance", q, extra={"by": "all"})
    dis = one("discharges")
    tra = one("transitions", _detail("transitions"))
    ret = retention if retention is not None else retention_summary(con, q)
    return {
        "period": {
            "label": p.label,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "as_of": q.as_of.isoformat(),
        },
        "scope": q.scope.as_dict(),
        "census": one("census"),
        # No session in the period: counts are 0 and the rates undefined.
        "attendance": _pick(att[0], ATTENDANCE_KEYS)
        if att
        else {k: (None if k.endswith("rate") else 0) for k in ATTENDANCE_KEYS},
        "dosage": one("dosage", (("detail", "dosage_weeks"),)),
        "discharges": {
            "total": dis["total"],
            "by_reason": {r: dis[r] for r in DISCHARGE_REASONS},
            "completion_rate": dis["completion_rate"],
            "median_length_of_stay_days": dis["median_length_of_stay_days"],
        },
        "retention": {
            "cohort_start": (p.end - dt.timedelta(days=364)).isoformat(),
            "cohort_end": p.end.isoformat(),
            **_pick(
                ret,
                ("cohort_admissions", "day_30", "day_60", "day_90", "initiated_14d", "engaged_34d"),
            ),
        },
        "transitions": {
            "window_days": q.window_days,
            **_pick(tra, ("step_down", "step_up", "lateral", "no_next_care", "pending")),
            "by_next_level": {e["level"]: e["n"] for e in tra["by_next_level"] or []},
            "median_gap_days_step_down": tra["median_gap_days_step_down"],
        },
        "inflow": one("inflow", _detail("inflow")),
        "continuity": one("continuity", _detail("continuity")),
        "outcomes": outcomes_key(con, q),
    }


Z95 = 1.959963984540054


def wilson(x: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval for x successes out of n (``(None, None)`` when n is 0).

    >>> [round(v, 4) for v in wilson(8, 16)]
    [0.28, 0.72]
    """
    if not n:
        return None, None
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


RATE_PARTS: tuple[tuple[str, str, str, str], ...] = (
    # (rate key in the document, label, numerator key, denominator key); "~" = derived count
    ("attendance.attendance_rate", "Attendance rate", "attendance.attended", "~client_scheduled"),
    ("attendance.no_show_rate", "No-show rate", "attendance.no_show", "~client_scheduled"),
    (
        "dosage.share_meeting_threshold",
        "Client-weeks meeting the ASAM threshold",
        "dosage.client_weeks_meeting_threshold",
        "dosage.client_weeks",
    ),
    (
        "discharges.completion_rate",
        "Completion rate",
        "discharges.by_reason.completed",
        "discharges.total",
    ),
    ("retention.initiated_14d", "Initiation within 14 days", "~initiated", "~initiation_eligible"),
    ("retention.engaged_34d", "Engagement within 34 days", "~engaged", "~engagement_eligible"),
    (
        "transitions.step_down_rate",
        "Step-down rate (of determined outcomes)",
        "transitions.step_down",
        "~determined",
    ),
    (
        "continuity.rate_7d",
        "Continuity within 7 days",
        "continuity.followed_up_7d",
        "~continuity_den_7d",
    ),
    (
        "continuity.rate_14d",
        "Continuity within 14 days",
        "continuity.followed_up_14d",
        "~continuity_den_14d",
    ),
    ("outcomes.paired_rate", "Paired scores (of courses)", "outcomes.paired", "outcomes.courses"),
    (
        "outcomes.reliable_improvement_rate",
        "Reliable improvement",
        "outcomes.reliable_improvement",
        "outcomes.paired",
    ),
    (
        "outcomes.reliable_deterioration_rate",
        "Reliable deterioration",
        "outcomes.reliable_deterioration",
        "outcomes.paired",
    ),
    ("outcomes.recovery_rate", "Recovery", "outcomes.recovery", "outcomes.at_caseness"),
    (
        "outcomes.reliable_recovery_rate",
        "Reliable recovery",
        "outcomes.reliable_recovery",
        "outcomes.at_caseness",
    ),
    (
        "outcomes.measured_at_intake_rate",
        "Measured at intake (day 0-13)",
        "outcomes.measured_at_intake",
        "outcomes.intake_eligible",
    ),
    (
        "outcomes.measured_last_30d_rate",
        "Measured in the last 30 days",
        "outcomes.measured_last_30d",
        "outcomes.open_30d",
    ),
)


def derived_counts(doc: dict[str, Any], ret: dict[str, Any]) -> dict[str, int]:
    """Counts behind the document's rates that the document does not list itself."""
    a, c, t = doc["attendance"], doc["continuity"], doc["transitions"]
    return {
        "~client_scheduled": a["attended"] + a["no_show"] + a["cancelled_client"],
        "~continuity_den_7d": c["residential_discharges"] - c["pending_7d"],
        "~continuity_den_14d": c["residential_discharges"] - c["pending_14d"],
        "~determined": t["step_down"] + t["step_up"] + t["lateral"] + t["no_next_care"],
        "~initiated": ret["initiated"],
        "~initiation_eligible": ret["initiation_eligible"],
        "~engaged": ret["engaged"],
        "~engagement_eligible": ret["engagement_eligible"],
    }


def rates(con: Con, q: Query) -> pd.DataFrame:
    """Every headline rate with its numerator, denominator and 95% interval.

    Proportions get a Wilson score interval; the 30/60/90-day retention estimates get
    the Kaplan-Meier curve's Greenwood band.

    Examples
    --------
    >>> from iop_metrics.periods import parse_period
    >>> df = rates(example_connection(), Query.of(parse_period("2026-05")))
    >>> df.loc[df.figure == "discharges.completion_rate", ["numerator", "denominator", "rate"]]
       numerator  denominator  rate
    3          1            2   0.5
    """
    ret = retention_summary(con, q)
    return rate_table(document(con, q, retention=ret), ret, retention_curve(con, q))


def retention_summary(con: Con, q: Query) -> dict[str, Any]:
    """The retention figures with the counts behind initiation and engagement."""
    reads = (("detail", "retention_cohort"), ("curve", "retention_curve"))
    return records(con, "retention", q, reads=reads)[0]


def rate_table(doc: dict[str, Any], ret: dict[str, Any], curve: pd.DataFrame) -> pd.DataFrame:
    """``rates`` from figures already computed: the document, ``retention_summary`` and the
    retention curve."""
    import pandas as pd

    from ..privacy import figure_at

    extra = derived_counts(doc, ret)

    def value(key: str) -> Any:
        return extra[key] if key.startswith("~") else figure_at(doc, key)

    rows = []
    for key, label, num, den in RATE_PARTS:
        x, n = value(num), value(den)
        low, high = wilson(x, n)
        rows.append(
            {
                "figure": key,
                "label": label,
                "numerator": x,
                "denominator": n,
                "rate": x / n if n else None,
                "ci_low": low,
                "ci_high": high,
                "interval": "Wilson",
            }
        )
    curve = curve.set_index("day")
    for n_days in (30, 60, 90):
        r = doc["retention"][f"day_{n_days}"]
        at = curve.index[curve.index <= n_days]
        band = curve.loc[at.max()] if len(at) else None
        rows.append(
            {
                "figure": f"retention.day_{n_days}",
                "label": f"{n_days}-day retention",
                "numerator": None,
                "denominator": doc["retention"]["cohort_admissions"],
                "rate": r,
                "ci_low": None if band is None else float(band["ci_low"]),
                "ci_high": None if band is None else float(band["ci_high"]),
                "interval": "Greenwood (Kaplan-Meier)",
            }
        )
    return pd.DataFrame(rows).astype({"numerator": "Int64", "denominator": "Int64"})
