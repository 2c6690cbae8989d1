"""What an outside reader knows of one external metrics.json: its counts and the relations
between them, stated from the specs (metrics.md, outcomes.md, recovery.md), not read from the
package. Names: ``<scope>@<period>:<key>`` for a figure of one report,
``<scope>:monthly[<month>].<column>`` for a month's figure once it can no longer change (the
same in every report that prints it, whatever its as-of date), and
``<scope>:monthly[<month>].<column>@<as_of>`` while it still may (``SETTLES``: a month's
step-downs and determined discharges grow as its discharges' 14-day windows close, its
discharges' NOMS rows come up to 30 days after them): tied only to reports of the same as-of
date. Nothing here reads the package (``test_auditor`` checks the imports).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from auditor import SMALL, SUPPRESSED, Reading

ANY = "any"  # hidden, and may be 0 (a death count: internal only, whatever its size)
REASONS = ("completed", "dropped_out", "terminated", "transferred", "incarcerated", "died", "other")
NOT_COUNTS = re.compile(
    r"(rate|_rate_\w+|^day_\d+|initiated_14d|engaged_34d|share\w*|median\w*|mean_\w+|change"
    r"|window_days|cohort_start|cohort_end)$"
)
FOLLOW_UP_PARTS = ("reached", "not_reached", "declined", "deceased", "not_attempted")
FOLLOW_UP_DOMAINS = ("abstinent", "employed_or_student", "housed", "no_arrests")
RESIDENTIAL = ("3.1", "3.3", "3.5", "3.7", "3.7-WM", "4.0", "4.0-WM")


def leaves(node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, v in node.items():
        if isinstance(v, dict) and not prefix.endswith("by_next_level."):
            out.update(leaves(v, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = v
    return out


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def shift(label: str, n: int) -> str:
    y, m = map(int, label.split("-"))
    i = y * 12 + m - 1 + n
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


WINDOW = "window"  # the transitions' window (metrics.md: ``window_days``, 14 unless stated)
# How many days after a month's last day each column of the monthly trends stops changing
# with the as-of date; a column not here is taken never to settle (a name per as-of date:
# tying nothing is always sound), a rate settles with its numerator and denominator.
# Counts of episodes admitted or discharged, sessions held, courses ended (their scores are
# dated within the episode) and follow-up windows closed within the month: at its end, as-of
# dates before it are not allowed (metrics.md). Transition outcomes: a discharge on day D is
# pending until D + W <= as_of, and its next episode is seen once it began on or before as_of
# (no later than D + W): the last day's discharges settle W days after the month. NOMS pairs:
# a discharge row is collected up to discharge_date + 30 (recovery.md's contract) and rows
# dated after as_of do not exist.
SETTLES: dict[str, int | str] = {
    **dict.fromkeys(("admissions", "discharges", "active_at_end", "completed"), 0),
    **dict.fromkeys(("client_scheduled", "attended", "no_show", "cohort"), 0),
    **dict.fromkeys(("courses", "paired", "reliable_improvement", "recovery", "at_caseness"), 0),
    **dict.fromkeys(("due_3m", "reached_3m"), 0),
    **dict.fromkeys(("determined", "step_down"), WINDOW),
    **dict.fromkeys(("abstinent_paired", "abstinent_at_discharge"), 30),
    **dict.fromkeys(("completion_rate", "attendance_rate", "response_rate_3m"), 0),
    **dict.fromkeys(("reliable_improvement_rate", "recovery_rate"), 0),
    "step_down_rate": WINDOW,
    "abstinent_discharge_rate": 30,
}


def month_end(label: str) -> dt.date:
    return dt.date.fromisoformat(shift(label, 1) + "-01") - dt.timedelta(days=1)


class Names:
    """How a reader names the cells of one report (scope, period), computed as of ``as_of``
    (the document's ``period.as_of``; the period's last day unless stated) with transitions
    over a ``window`` of days (its ``transitions.window_days``)."""

    def __init__(self, scope: str, period: str, as_of: str | None = None, window: int = 14):
        self.scope, self.period, self.window = scope, period, window
        self.as_of = dt.date.fromisoformat(as_of) if as_of else month_end(period)

    def __call__(self, key: str) -> str:
        m = re.match(r"monthly\[(\d{4}-\d{2})\]\.(.*)", key)
        if m:
            return self.month(m.group(1), m.group(2))
        return f"{self.scope}@{self.period}:{key}"

    def month(self, label: str, column: str) -> str:
        """A month's figure: one name in every report once it has settled by this report's
        as-of date, else a name of its own for this as-of date."""
        name = f"{self.scope}:monthly[{label}].{column}"
        days = SETTLES.get(column)
        if days is not None:
            settled = month_end(label) + dt.timedelta(days=self.window if days == WINDOW else days)
            if self.as_of >= settled:
                return name
        return f"{name}@{self.as_of.isoformat()}"


def read_metrics(r: Reading, doc: dict[str, Any], scope: str, *, relations: bool = True) -> Names:
    """An external metrics.json: its counts (hidden ones marked by their stated reason), the
    counts it prints behind its rates, its rates, and metrics.md's relations between them."""
    period = doc["period"]["label"]
    window = (doc.get("transitions") or {}).get("window_days") or 14
    n = Names(scope, period, doc["period"].get("as_of"), window)
    sup = doc.get("suppression") or {}
    marks = {"small": SMALL, "complementary": SUPPRESSED, "internal": ANY, "withheld": ANY}
    for key, why in (sup.get("hidden") or {}).items():
        if why in marks:
            # those not reached are hidden beside the deaths whatever their number (the
            # report prints them together, "not reached (tried, or died)"): 0 or more
            died = key.startswith("follow_up.") and key.endswith(".not_reached")
            r.show(n(key), None, ANY if died else marks[why])
    body = leaves({k: v for k, v in doc.items() if k not in ("suppression", "period", "scope")})
    values: dict[str, Any] = {}
    rounded = sup.get("rounded") or {}
    for key, v in body.items():
        last = key.rsplit(".", 1)[-1]
        if NOT_COUNTS.search(last) or key.startswith("benchmark"):
            continue
        if isinstance(v, bool) or not (v is None or isinstance(v, int)):
            continue
        values[key] = v
        if v is not None and key in rounded:
            # printed to the nearest ``base``, halves up (the metric dictionary): and, shown,
            # no count of 1..K-1
            base = int(rounded[key])
            # a count above 0 is never printed below the base (metrics dictionary, ``suppression``)
            least = 1 if v == base else v - base // 2
            r.between(n(key), max(least, r.k), v + base - 1 - base // 2)
        elif v is not None:
            r.show(n(key), v)
        # a null the suppression block does not name is a figure the document does not define
        # (outcomes.md: "null, never 0", as GAD-7's remission): no count, hidden or not
    for key, v in (sup.get("counts_behind_rates") or {}).items():
        if v is not None:
            r.show(n(key), v)
    if relations:
        document_relations(r, doc, n, body)
    return n


def document_relations(r: Reading, doc: dict[str, Any], n: Names, body: dict[str, Any]) -> None:
    """metrics.md, recovery.md and outcomes.md, as a reader states them."""
    P = n.period
    if "census" in doc:
        r.total(
            n("census.active_at_end"),
            [n("census.active_at_start"), n("census.admissions"), "-" + n("census.discharges")],
        )
        r.at_most(n("census.clients_served"), n("~start+admissions"))
        r.total(n("~start+admissions"), [n("census.active_at_start"), n("census.admissions")])
        # the month's own row of the trends is the month's figure
        r.same(n("census.admissions"), n.month(P, "admissions"))
        r.same(n("census.discharges"), n.month(P, "discharges"))
        r.same(n("census.active_at_end"), n.month(P, "active_at_end"))
        r.same(n("census.active_at_start"), n.month(shift(P, -1), "active_at_end"))
        for m in months(shift(P, -11), P):  # each month of the trend: its own census flow
            r.total(
                n.month(m, "active_at_end"),
                [
                    n.month(shift(m, -1), "active_at_end"),
                    n.month(m, "admissions"),
                    "-" + n.month(m, "discharges"),
                ],
            )
    if "attendance" in doc:
        a = "attendance."
        r.total(
            n(a + "scheduled"),
            [n(a + x) for x in ("attended", "no_show", "cancelled_client", "cancelled_program")],
        )
        r.total(
            n("~client_scheduled"), [n(a + x) for x in ("attended", "no_show", "cancelled_client")]
        )
        r.rate(n(a + "attended"), n("~client_scheduled"), doc[a[:-1]].get("attendance_rate"))
        r.rate(n(a + "no_show"), n("~client_scheduled"), doc[a[:-1]].get("no_show_rate"))
        r.same(n("~client_scheduled"), n.month(P, "client_scheduled"))
        r.same(n(a + "attended"), n.month(P, "attended"))
    if "dosage" in doc:
        r.at_most(n("dosage.client_weeks_meeting_threshold"), n("dosage.client_weeks"))
        r.rate(
            n("dosage.client_weeks_meeting_threshold"),
            n("dosage.client_weeks"),
            doc["dosage"].get("share_meeting_threshold"),
        )
    if "discharges" in doc:
        r.total(n("discharges.total"), [n(f"discharges.by_reason.{x}") for x in REASONS])
        r.same(n("discharges.total"), n("census.discharges"))
        r.rate(
            n("discharges.by_reason.completed"),
            n("discharges.total"),
            doc["discharges"].get("completion_rate"),
        )
        r.same(n("discharges.by_reason.completed"), n.month(P, "completed"))
    if "transitions" in doc:
        t = "transitions."
        outcomes = ("step_down", "step_up", "lateral", "no_next_care", "pending")
        r.total(n("discharges.total"), [n(t + x) for x in outcomes])
        nxt = [k for k in body if k.startswith(t + "by_next_level.")]
        r.total(n("~moved"), [n(t + x) for x in ("step_down", "step_up", "lateral")])
        if nxt:
            r.total(n("~moved"), [n(k) for k in nxt])
        r.total(n("~determined"), [n("discharges.total"), "-" + n(t + "pending")])
        r.rate(n(t + "step_down"), n("~determined"), doc["transitions"].get("step_down_rate"))
        r.same(n("~determined"), n.month(P, "determined"))
        r.same(n(t + "step_down"), n.month(P, "step_down"))
    if "inflow" in doc:
        r.total(n("census.admissions"), [n(f"inflow.{x}") for x in doc["inflow"]])
    if "continuity" in doc:
        c = "continuity."
        for w in ("7d", "14d"):
            r.total(
                n(c + "residential_discharges"), [n(f"~continuity_den_{w}"), n(f"{c}pending_{w}")]
            )
            r.at_most(n(f"{c}followed_up_{w}"), n(f"~continuity_den_{w}"))
            r.rate(
                n(f"{c}followed_up_{w}"),
                n(f"~continuity_den_{w}"),
                doc["continuity"].get(f"rate_{w}"),
            )
    if "retention" in doc:
        ret = doc["retention"]
        first, last = ret["cohort_start"][:7], ret["cohort_end"][:7]
        if ret["cohort_start"].endswith("-01"):  # a cohort of whole months: their admissions
            r.total(
                n("retention.cohort_admissions"),
                [n.month(m, "admissions") for m in months(first, last)],
            )
        for num, den, key in (
            ("~initiated", "~initiation_eligible", "initiated_14d"),
            ("~engaged", "~engagement_eligible", "engaged_34d"),
        ):
            r.at_most(n(num), n(den))
            r.rate(n(num), n(den), ret.get(key))
        r.at_most(n("~initiation_eligible"), n("retention.cohort_admissions"))
        r.at_most(n("~engagement_eligible"), n("~initiation_eligible"))
        r.at_most(n("~engaged"), n("~initiated"))
    _outcome_relations(r, doc.get("outcomes") or {}, n)
    _recovery_relations(r, doc, n)


def _outcome_relations(r: Reading, o: dict[str, Any], n: Names) -> None:
    """outcomes.md: paired courses of the ended episodes; improvement, deterioration and no
    reliable change split the paired; recovery within those at caseness; rates over them."""
    if not o:
        return
    P = n.period
    p = "outcomes."
    r.at_most(n(p + "courses"), n(p + "ended"))
    r.at_most(n(p + "paired"), n(p + "courses"))
    r.total(
        n(p + "paired"),
        [
            n(p + x)
            for x in ("reliable_improvement", "reliable_deterioration", "no_reliable_change")
        ],
    )
    r.at_most(n(p + "at_caseness"), n(p + "paired"))
    r.at_most(n(p + "recovery"), n(p + "at_caseness"))
    r.at_most(n(p + "reliable_recovery"), n(p + "recovery"))
    for num, den in (
        ("paired", "courses"),
        ("reliable_improvement", "paired"),
        ("reliable_deterioration", "paired"),
        ("recovery", "at_caseness"),
        ("reliable_recovery", "at_caseness"),
    ):
        r.rate(n(p + num), n(p + den), o.get(f"{num}_rate"))
    r.at_most(n(p + "measured_at_intake"), n(p + "intake_eligible"))
    r.rate(n(p + "measured_at_intake"), n(p + "intake_eligible"), o.get("measured_at_intake_rate"))
    r.at_most(n(p + "measured_last_30d"), n(p + "open_30d"))
    r.rate(n(p + "measured_last_30d"), n(p + "open_30d"), o.get("measured_last_30d_rate"))
    for x in ("courses", "paired", "reliable_improvement", "recovery", "at_caseness"):
        r.same(n(p + x), n.month(P, x))
    for code, f in (o.get("by_instrument") or {}).items():
        i = f"{p}by_instrument.{code}."
        r.at_most(n(i + "paired"), n(p + "paired"))
        r.at_most(n(i + "case_at_start"), n(i + "paired"))
        for x in ("reliable_improvement", "reliable_deterioration", "not_case_at_end", "response"):
            r.at_most(n(i + x), n(i + "paired"))
        r.rate(n(i + "response"), n(i + "case_at_start"), f.get("response_rate"))
        # remission, PHQ-9's only (a first score of 10 or more: its caseness), where the
        # instrument defines it: printed, or hidden as the suppression block says (every entry
        # holds the key, null where the instrument defines no remission, as GAD-7)
        if f.get("remission") is not None or n(i + "remission") in r.hidden:
            r.at_most(n(i + "remission"), n(i + "case_at_start"))


def _recovery_relations(r: Reading, doc: dict[str, Any], n: Names) -> None:
    """recovery.md: the ended episodes are the period's discharges; per domain the paired
    are among the ended, those known at admission and at discharge; at discharge = at
    admission + gained - lost; per follow-up window the five categories add up to the due."""
    P = n.period
    noms = doc.get("noms") or {}
    if noms:
        r.same(n("noms.ended"), n("discharges.total"))
    for d, f in noms.items():
        if not isinstance(f, dict):
            continue
        k = f"noms.{d}."
        r.total(
            n(k + "at_discharge"), [n(k + "at_admission"), n(k + "gained"), "-" + n(k + "lost")]
        )
        r.at_most(n(k + "paired"), n("noms.ended"))
        r.at_most(n(k + "paired"), n("noms.with_admission"))
        r.at_most(n(k + "paired"), n("noms.with_discharge"))
        r.at_most(n(k + "lost"), n(k + "at_admission"))
        r.total(
            n(k + "paired"), [n(k + "at_admission"), n(k + "gained"), n(f"~{d}:stayed_negative")]
        )
        r.rate(n(k + "paired"), n("noms.ended"), f.get("paired_rate"))
        r.rate(n(k + "at_admission"), n(k + "paired"), f.get("admission_rate"))
        r.rate(n(k + "at_discharge"), n(k + "paired"), f.get("discharge_rate"))
        if "using_at_admission" in f:
            r.total(n(k + "paired"), [n(k + "at_admission"), n(k + "using_at_admission")])
            r.at_most(n(k + "reduced"), n(k + "using_at_admission"))
            r.rate(n(k + "reduced"), n(k + "using_at_admission"), f.get("reduced_rate"))
        if d == "abstinent":
            r.same(n(k + "paired"), n.month(P, "abstinent_paired"))
            r.same(n(k + "at_discharge"), n.month(P, "abstinent_at_discharge"))
    for w, f in (doc.get("follow_up") or {}).items():
        k = f"follow_up.{w}."
        r.total(n(k + "due"), [n(k + x) for x in FOLLOW_UP_PARTS])
        r.rate(n(k + "reached"), n(k + "due"), f.get("response_rate"))
        r.rate(n(k + "abstinent"), n(k + "abstinent_known"), f.get("abstinent_rate_responders"))
        r.rate(n(k + "abstinent"), n(k + "due"), f.get("abstinent_rate_all"))
        for d in FOLLOW_UP_DOMAINS:
            r.at_most(n(f"{k}{d}_known"), n(k + "reached"))
            r.at_most(n(f"{k}{d}"), n(f"{k}{d}_known"))
