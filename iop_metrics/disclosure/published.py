"""The tables and chart data a report publishes beside its document, and the arithmetic that
ties their cells to each other and to the document, declared once.

Suppression (``suppress.suppress_report``) and the test suite's auditor both read this: the
cells of a published table are named ``table[row].column``, and ``identities`` gives the
sums, rates and estimates over them (in the registry's terms, ``relations.Sum`` ...), from
the published frame itself (its row labels and label columns, never its counts), so a new
table cannot skip them. The document's own relations are in ``relations.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .relations import Estimate, Identity, Rate, Sum

if TYPE_CHECKING:
    import pandas as pd

ATTENDANCE = (
    "scheduled",
    "attended",
    "no_show",
    "cancelled_client",
    "cancelled_program",
    "client_scheduled",
)
# The monthly series: its column -> the document's figure for a one-month period, and
# whether it is a stock (the period's last month) or a flow (the sum of its months).
MONTHLY: dict[str, tuple[str, bool]] = {
    "active_at_end": ("census.active_at_end", True),
    "admissions": ("census.admissions", False),
    "discharges": ("census.discharges", False),
    "attended": ("attendance.attended", False),
    "client_scheduled": ("~client_scheduled", False),
    "no_show": ("attendance.no_show", False),
    "client_weeks": ("dosage.client_weeks", False),
    "meeting": ("dosage.client_weeks_meeting_threshold", False),
    "completed": ("discharges.by_reason.completed", False),
    "cohort": ("retention.cohort_admissions", True),
    "step_down": ("transitions.step_down", False),
    "determined": ("~determined", False),
    "courses": ("outcomes.courses", False),
    "paired": ("outcomes.paired", False),
    "reliable_improvement": ("outcomes.reliable_improvement", False),
    "at_caseness": ("outcomes.at_caseness", False),
    "recovery": ("outcomes.recovery", False),
    "abstinent_paired": ("noms.abstinent.paired", False),
    "abstinent_at_discharge": ("noms.abstinent.at_discharge", False),
    # rolling: the windows closed in the 12 months ending with the month, as the document's
    "due_3m": ("follow_up.3m.due", True),
    "reached_3m": ("follow_up.3m.reached", True),
}
ROLLING = ("due_3m", "reached_3m")


@dataclass(frozen=True)
class Table:
    """How a published frame's rows are named and which of its columns are counts
    (``rates``: column -> (numerator, denominator) columns of the same row)."""

    counts: tuple[str, ...]
    row: tuple[str, ...]  # the label columns that name a row
    rates: tuple[tuple[str, str, str], ...] = ()


TABLES: dict[str, Table] = {
    "monthly": Table(
        tuple(MONTHLY),
        ("month",),
        (
            ("attendance_rate", "attended", "client_scheduled"),
            ("share_meeting_threshold", "meeting", "client_weeks"),
            ("completion_rate", "completed", "discharges"),
            ("step_down_rate", "step_down", "determined"),
            ("reliable_improvement_rate", "reliable_improvement", "paired"),
            ("recovery_rate", "recovery", "at_caseness"),
            ("abstinent_discharge_rate", "abstinent_at_discharge", "abstinent_paired"),
            ("response_rate_3m", "reached_3m", "due_3m"),
        ),
    ),
    "weekday": Table(
        ATTENDANCE,
        ("key",),
        (
            ("attendance_rate", "attended", "client_scheduled"),
            ("no_show_rate", "no_show", "client_scheduled"),
        ),
    ),
    "hours": Table(("client_weeks",), ("threshold_hours", "hours_bin")),
    "flow": Table(("n",), ("from_level", "to_level")),
    "flow_12m": Table(("n",), ("from_level", "to_level")),
    "los": Table(("n",), ("bin",)),
    "bands": Table(("n",), ("start", "end")),
}
TABLES["service"] = TABLES["weekday"]
# The report's data-quality section as one frame (``quality_frame``): a row per contract table
# loaded (rows read and loaded), per table and reason set aside (n), per table the EHR import
# wrote (rows read, skipped by keep rules, collapsed, written) and per check (n).
QUALITY_COUNTS = ("rows_read", "rows_loaded", "n", "import_read", "skipped", "collapsed", "written")
TABLES["quality"] = Table(QUALITY_COUNTS, ("part", "table_name", "reason"))


@dataclass(frozen=True)
class Context:
    """What the identities need beyond the frames: the period's months (labels, in order)
    when the report's period is one or more whole months, and the scope's levels."""

    period_months: tuple[str, ...] = ()
    levels: tuple[str, ...] | None = None
    # the period is at most 365 days, so its follow-up cohort (windows closed in the 12 months
    # ending with it) is the last month's row's
    within_year: bool = True


def cell(table: str, row: str, column: str) -> str:
    """A published cell's name: ``table[row].column``."""
    return f"{table}[{row}].{column}"


def rows(table: str, df: pd.DataFrame) -> list[str]:
    """The row names of a published frame, from its label columns."""
    cols = TABLES[table].row
    return [">".join(str(r[c]) for c in cols) for r in df[list(cols)].to_dict("records")]


def count_cells(table: str, df: pd.DataFrame) -> Iterator[tuple[str, int, str, Any]]:
    """Every count cell of a frame: (name, row position, column, value)."""
    for i, name in enumerate(rows(table, df)):
        for c in TABLES[table].counts:
            yield cell(table, name, c), i, c, df[c].iloc[i]


def identities(tables: dict[str, pd.DataFrame], ctx: Context) -> tuple[Identity, ...]:
    """The identities of the published frames: within each row (attendance statuses, rates,
    the 90-day estimate over its cohort), between months (the census carried over), and
    with the document (every breakdown sums to its total; the period's months are its
    figures)."""
    out: list[Identity] = []
    for name, df in tables.items():
        names = rows(name, df)
        spec = TABLES[name]
        for r in names:
            for rate, num, den in spec.rates:
                out.append(Rate(cell(name, r, rate), cell(name, r, num), cell(name, r, den)))
        out.extend(_BUILDERS.get(name, _none)(name, df, names, ctx))
    return tuple(out)


def _none(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    return []


def _monthly(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    out: list[Identity] = [
        Estimate(cell(name, r, "day_90"), cell(name, r, "cohort")) for r in names
    ]
    for before, r in zip(names, names[1:], strict=False):
        out.append(
            Sum(
                cell(name, r, "active_at_end"),
                (
                    cell(name, before, "active_at_end"),
                    cell(name, r, "admissions"),
                    "-" + cell(name, r, "discharges"),
                ),
            )
        )
    months = [r for r in names if r in ctx.period_months]
    if months and len(months) == len(ctx.period_months):
        for col, (key, stock) in MONTHLY.items():
            if col in ROLLING and not ctx.within_year:
                continue
            parts = (months[-1],) if stock else tuple(months)
            out.append(Sum(key, tuple(cell(name, r, col) for r in parts)))
    return out


def _attendance(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    out: list[Identity] = []
    for r in names:
        c = {x: cell(name, r, x) for x in ATTENDANCE}
        out.append(
            Sum(
                c["scheduled"],
                (c["attended"], c["no_show"], c["cancelled_client"], c["cancelled_program"]),
            )
        )
        out.append(Sum(c["client_scheduled"], (c["attended"], c["no_show"], c["cancelled_client"])))
    for x in ATTENDANCE:
        total = "~client_scheduled" if x == "client_scheduled" else f"attendance.{x}"
        out.append(Sum(total, tuple(cell(name, r, x) for r in names)))
    return out


def _hours(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    at = [
        cell(name, r, "client_weeks")
        for r, (t, b) in zip(
            names, zip(df["threshold_hours"], df["hours_bin"], strict=True), strict=True
        )
        if int(b) >= int(t)
    ]
    return [
        Sum("dosage.client_weeks", tuple(cell(name, r, "client_weeks") for r in names)),
        Sum("dosage.client_weeks_meeting_threshold", tuple(at)),
    ]


def _flow(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    """The period's flow: rows from a level in scope sum, by where they went, to the
    document's transitions (a next level, no next care, still pending)."""
    groups: dict[str, list[str]] = {}
    for r, (a, b) in zip(names, zip(df["from_level"], df["to_level"], strict=True), strict=True):
        if ctx.levels is None or str(a) in ctx.levels:
            groups.setdefault(str(b), []).append(cell(name, r, "n"))
    out: list[Identity] = []
    for to, parts in groups.items():
        key = (
            f"transitions.{to}"
            if to in ("no_next_care", "pending")
            else f"transitions.by_next_level.{to}"
        )
        out.append(Sum(key, tuple(parts)))
    return out


def _los(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    out: list[Identity] = [Sum("discharges.total", tuple(cell(name, r, "n") for r in names))]
    out.extend(Rate(cell(name, r, "share"), cell(name, r, "n"), "discharges.total") for r in names)
    return out


def quality_frame(quality: dict[str, Any]) -> pd.DataFrame:
    """The data-quality section's counts as one frame (``TABLES["quality"]``), from the
    report's quality figures (``report.figures``: ``loaded``, ``rejected``, ``imported``
    and the two checks)."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for r in quality["loaded"].to_dict("records"):
        rows.append({"part": "loaded", "table_name": r["table_name"], "reason": ""} | {
            "rows_read": r["rows_read"], "rows_loaded": r["rows_loaded"]
        })  # fmt: skip
    for r in quality["rejected"].to_dict("records"):
        rows.append({"part": "rejected", "table_name": r["table_name"], "reason": r["reason"]})
        rows[-1]["n"] = r["n"]
    imported = quality.get("imported")
    if imported:
        for r in imported["tables"].to_dict("records"):
            rows.append({"part": "imported", "table_name": r["table_name"], "reason": ""} | {
                "import_read": r["rows_read"], "skipped": r["rows_skipped"],
                "collapsed": r["rows_collapsed"], "written": r["rows_written"],
            })  # fmt: skip
    for check in CHECKS:
        rows.append({"part": "checks", "table_name": check, "reason": "", "n": quality[check]})
    df = pd.DataFrame(rows, columns=["part", "table_name", "reason", *QUALITY_COUNTS])
    return df.astype({c: "float64" for c in QUALITY_COUNTS})


CHECKS = ("open_without_session_30d", "sessions_on_closed_days")


def _quality(name: str, df: pd.DataFrame, names: list[str], ctx: Context) -> list[Identity]:
    """Rows read = loaded + set aside (a count of its own, ``~quality:<table>:set_aside``), and
    the set-aside rows by reason where they add up to it (a row with two problems is set aside
    once and counted under each), as ``linked`` takes the sites' sums. The EHR import's rows
    (read = skipped + collapsed + written, written = the load's rows read) are not declared:
    their records say what holds (``atoms.import_members``), and a model without records
    protects no data-quality section (``report.data.assemble``)."""
    recs = df.to_dict("records")
    c = [{x: cell(name, r, x) for x in QUALITY_COUNTS} for r in names]
    out: list[Identity] = []
    for i, r in enumerate(recs):
        if r["part"] == "loaded":
            aside = f"~quality:{r['table_name']}:set_aside"
            out.append(Sum(aside, (c[i]["rows_read"], "-" + c[i]["rows_loaded"])))
            why = [
                j
                for j, x in enumerate(recs)
                if x["part"] == "rejected" and x["table_name"] == r["table_name"]
            ]
            if why and sum(recs[j]["n"] for j in why) == r["rows_read"] - r["rows_loaded"]:
                out.append(Sum(aside, tuple(c[j]["n"] for j in why)))
    return out


_BUILDERS = {
    "monthly": _monthly,
    "weekday": _attendance,
    "service": _attendance,
    "hours": _hours,
    "flow": _flow,
    "los": _los,
    "quality": _quality,
}
