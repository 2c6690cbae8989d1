"""An outside reader of the published files: what it reads and the relations it knows.

It reads what a payer is sent: each external ``metrics.json`` (``auditor_docs``), the HTML
report (its tables, and the charts' data as the SVGs carry it in their aria labels), the
external sites page, and the data-quality table. It names every count it sees by what the
page says it is, and states, from the specs (metrics.md, reports.md, recovery.md,
comparison.md) and the page's words, the relations a reader knows: breakdowns adding up to
their totals, rates over their counts, months adding up to 12 months, sites adding up to the
program, and that a month whose 14-day window has closed has no pending discharge. The sites
page's names: ``sites@<period>:<measure>.<window>[<site>].<n|observed>``. Nothing here reads
the package (``test_auditor`` checks the imports).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from auditor import SMALL, SUPPRESSED, Reading
from auditor_docs import ANY, RESIDENTIAL, Names, months, read_metrics, shift


class Page(HTMLParser):
    """A page as a reader sees it: its tables (rows of cell texts, each after the heading it
    sits under) and, per figure, the data its chart carries (aria labels) and its caption."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.figures: list[tuple[list[str], str]] = []
        self.heading = ""
        self._text: list[str] | None = None
        self._in: str | None = None
        self._row: list[str] | None = None
        self._table: list[list[str]] | None = None
        self._arias: list[str] = []
        self._caption: list[str] | None = None
        self._figure = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("aria-label") is not None and self._figure:
            self._arias.append(a["aria-label"] or "")
        if tag in ("h1", "h2", "h3"):
            self._in, self._text = tag, []
        elif tag == "table":
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._text = []
        elif tag == "figure":
            self._figure += 1
            self._arias, self._caption = [], None
        elif tag == "figcaption":
            self._caption = []

    def handle_endtag(self, tag):
        if tag == self._in and self._text is not None:
            self.heading = " ".join("".join(self._text).split())
            self._in = self._text = None
        elif tag in ("td", "th") and self._row is not None and self._text is not None:
            self._row.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._table is not None and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append((self.heading, self._table))
            self._table = None
        elif tag == "figure" and self._figure:
            self._figure -= 1
            self.figures.append((self._arias, " ".join("".join(self._caption or []).split())))

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)
        if self._caption is not None:
            self._caption.append(data)


def parse(path: Path | str) -> Page:
    p = Page()
    p.feed(Path(path).read_text())
    return p


def count(text: str, k: int) -> tuple[int | None, str | None] | None:
    """A printed count: (value, None), or (None, mark) for "<K" / "suppressed" / "withheld";
    None if the text is no count."""
    t = text.strip().replace(",", "")
    if t == f"<{k}":
        return None, SMALL
    if t == "suppressed":
        return None, SUPPRESSED
    if t == "withheld":  # may be 0
        return None, ANY
    return (int(t), None) if t.isdigit() else None


def _fields(label: str) -> dict[str, str]:
    out = {}
    for part in label.split("; "):
        if ": " in part:
            key, v = part.split(": ", 1)
            out[key.strip()] = v.strip()
    return out


def _number(v: str | None) -> float | None:
    if v is None:
        return None
    v = v.replace(",", "")
    try:
        return float(v[:-1]) / 100 if v.endswith("%") else float(v)
    except ValueError:
        return None


TREND_COUNTS = {  # a trend's measure -> its (numerator, denominator) columns
    "Abstinent at discharge": ("abstinent_at_discharge", "abstinent_paired"),
    "Reached at 3 months": ("reached_3m", "due_3m"),
}
WINDOWS = {"1 month": "1m", "3 months": "3m", "6 months": "6m", "12 months": "12m"}
FOLLOW_UP = {  # the follow-up chart's measures -> (numerator, denominator) in the document
    "Reached (response rate)": ("reached", "due"),
    "No use, of those reached": ("abstinent", "abstinent_known"),
    "No use, counting everyone not reached as using": ("abstinent", "due"),
}
CENSUS = {
    "Admissions": "admissions",
    "Discharges": "discharges",
    "Active census (end of month)": "active_at_end",
}


def read_report(r: Reading, page: Page, n: Names, *, relations: bool = True) -> None:
    """The HTML report: the charts' monthly figures, both flow charts, the tables of service
    types, length of stay, rates with their counts, and the data quality; the relations the
    page states (a total row, 12 months adding up, the flow's rows from intensive outpatient
    being the 12 months' discharges)."""
    k = r.k
    flow_12m: set[str] = set(c for c in r.hidden if c.startswith(n("flow_12m[")))
    flow: set[str] = set(c for c in r.hidden if c.startswith(n("flow[")))
    for arias, caption in page.figures:
        twelve = "trailing 12 months" in caption
        for label in arias:
            f = _fields(label)
            month = f.get("month") or f.get("Month")
            if month and "what" in f and f["what"] in CENSUS and f.get("Episodes", "").isdigit():
                r.show(n.month(month, CENSUS[f["what"]]), int(f["Episodes"]))
            elif month and "attendance_rate" in f:
                r.rate(
                    n.month(month, "attended"),
                    n.month(month, "client_scheduled"),
                    _number(f["attendance_rate"]),
                )
            elif month and f.get("measure") in TREND_COUNTS and "Episodes (numerator)" in f:
                num, den = TREND_COUNTS[f["measure"]]
                for col, key in ((num, "Episodes (numerator)"), (den, "Of episodes (denominator)")):
                    if f.get(key, "").isdigit():
                        r.show(n.month(month, col), int(f[key]))
            elif "Client-weeks" in f and "group" in f:
                _hours_bar(r, n, label)
            elif f.get("Window after discharge") in WINDOWS and f.get("measure") in FOLLOW_UP:
                w = WINDOWS[f["Window after discharge"]]
                num, den = FOLLOW_UP[f["measure"]]
                for key, col in (("Episodes (numerator)", num), ("Of episodes (denominator)", den)):
                    if f.get(key, "").isdigit():
                        r.show(n(f"follow_up.{w}.{col}"), int(f[key]))
            elif "From (code)" in f and "Discharges (n)" in f:
                name = n(
                    f"{'flow_12m' if twelve else 'flow'}[{f['From (code)']}>{f['To (code)']}].n"
                )
                (flow_12m if twelve else flow).add(name)
                if f["Discharges (n)"].isdigit():
                    r.show(name, int(f["Discharges (n)"]))
    for _, rows in page.tables:
        if not rows:
            continue
        head = rows[0]
        if head[:2] == ["Table", "Rows read"]:
            for row in rows[1:]:
                cells = dict(zip(head, row, strict=False))
                read = count(cells["Rows read"], 0)
                loaded = count(cells["Rows loaded"], 0)
                aside = f"{n.period}:dq[{row[0]}].set_aside"
                if read and loaded:
                    r.show(f"{n.period}:dq[{row[0]}].read", read[0])
                    r.show(f"{n.period}:dq[{row[0]}].loaded", loaded[0])
                for col in head[2:]:
                    if col.lower().startswith("set aside") or col.lower().startswith("rows set"):
                        v = count(cells[col], k)
                        if v:
                            r.show(aside, v[0], v[1])
                if relations:
                    r.total(
                        f"{n.period}:dq[{row[0]}].read", [f"{n.period}:dq[{row[0]}].loaded", aside]
                    )
        elif head[:2] == ["Length of stay", "Discharges"]:
            bins = []
            for row in rows[1:]:
                v = count(row[1], k)
                if v:
                    bins.append(n(f"los[{row[0]}].n"))
                    r.show(bins[-1], v[0], v[1])
            if relations:
                r.total(n("discharges.total"), bins)
        elif head[:1] == ["Rate"] and "Numerator" in head:
            for row in rows[1:]:
                cells = dict(zip(head, row, strict=False))
                for col in ("Numerator", "Denominator"):
                    v = count(cells[col], k)
                    if v:
                        r.show(n(f"rates[{row[0]}].{col.lower()}"), v[0], v[1])
            if relations:
                _rate_rows(r, n)
        elif head[:1] == ["Window (days after discharge)"] and "Due" in head:
            for row in rows[1:]:
                cells = dict(zip(head, row, strict=False))
                w = WINDOWS.get(row[0].split(" (")[0])
                v = count(cells.get("Not reached (tried, or died)", ""), k)
                if w and v:
                    # it holds the deaths, internal only whatever their number: "suppressed"
                    # here may stand for 0 (none tried, none died), as the document's
                    # not_reached hidden beside them may
                    name = n(f"follow_up.{w}.not_reached_or_died")
                    r.show(name, v[0], ANY if v[1] == SUPPRESSED else v[1])
                    if relations:
                        r.total(
                            name, [n(f"follow_up.{w}.not_reached"), n(f"follow_up.{w}.deceased")]
                        )
        elif head[:1] == ["Service type"]:
            cols = {
                "Sessions (client-attributable)": "client_scheduled",
                "Attended": "attended",
                "No-shows": "no_show",
                "Cancelled by program": "cancelled_program",
            }
            totals: dict[str, list[str]] = {}
            for row in rows[1:]:
                cells = dict(zip(head, row, strict=False))
                for col, key in cols.items():
                    v = count(cells.get(col, ""), k)
                    if v:
                        name = n(f"service_table[{row[0]}].{key}")
                        r.show(name, v[0], v[1])
                        totals.setdefault(key, []).append(name)
            if relations:
                doc = {
                    "client_scheduled": "~client_scheduled",
                    "attended": "attendance.attended",
                    "no_show": "attendance.no_show",
                    "cancelled_program": "attendance.cancelled_program",
                }
                for key, parts in totals.items():
                    r.total(n(doc[key]), parts)
    if relations:
        _flow_relations(r, n, flow, flow_12m)
        _hours_relations(r, n)


RATE_ROWS = {  # the rates table's rows: (numerator, denominator) in the document's words
    "Attendance rate": ("attendance.attended", "~client_scheduled"),
    "No-show rate": ("attendance.no_show", "~client_scheduled"),
    "Client-weeks meeting the ASAM threshold": (
        "dosage.client_weeks_meeting_threshold",
        "dosage.client_weeks",
    ),
    "Completion rate": ("discharges.by_reason.completed", "discharges.total"),
    "Initiation within 14 days": ("~initiated", "~initiation_eligible"),
    "Engagement within 34 days": ("~engaged", "~engagement_eligible"),
    "Step-down rate (of determined outcomes)": ("transitions.step_down", "~determined"),
    "Continuity within 7 days": ("continuity.followed_up_7d", "~continuity_den_7d"),
    "Continuity within 14 days": ("continuity.followed_up_14d", "~continuity_den_14d"),
    "Paired scores (of courses)": ("outcomes.paired", "outcomes.courses"),
    "Reliable improvement": ("outcomes.reliable_improvement", "outcomes.paired"),
    "Recovery": ("outcomes.recovery", "outcomes.at_caseness"),
}


def _rate_rows(r: Reading, n: Names) -> None:
    for label, (num, den) in RATE_ROWS.items():
        for col, key in (("numerator", num), ("denominator", den)):
            cell = n(f"rates[{label}].{col}")
            if cell in r.shown or cell in r.hidden:
                r.same(cell, n(key))


def _hours_bar(r: Reading, n: Names, label: str) -> None:
    """A bar of the hours histogram: client-weeks of one age group (its threshold, 9 or 6
    hours) with hours from h to h + 1 (the last bar: h or more)."""
    bar = re.search(r"\): (\d+)[^;]*; Client-weeks: (\d+); group: [^;]*\((\d+) h\)", label)
    if bar:
        start, weeks, threshold = bar.groups()
        r.show(n(f"hours[{threshold}>{start}].client_weeks"), int(weeks))


def _hours_relations(r: Reading, n: Names) -> None:
    """The histogram's bars are the client-weeks, and those from the group's threshold up are
    the client-weeks meeting it (metrics.md: 9 hours for adults, 6 for adolescents)."""
    pre = n("hours[")
    bars = sorted(c for c in (*r.shown, *r.hidden) if c.startswith(pre))
    if not any(c in r.shown for c in bars):
        return  # not drawn: the bars of no client-weeks are not named, the sum is unknown
    r.total(n("dosage.client_weeks"), bars)
    meeting = []
    for c in bars:
        threshold, start = c[len(pre) :].split("]")[0].split(">")
        if int(start) >= int(threshold):
            meeting.append(c)
    r.total(n("dosage.client_weeks_meeting_threshold"), meeting)


def _flow_relations(r: Reading, n: Names, flow: set[str], flow_12m: set[str]) -> None:
    """The period flow's row from intensive outpatient is its discharges by outcome and next
    level; its rows from residential levels hold the continuity section's discharges (deaths
    aside); the 12-month flow's row from intensive outpatient is the 12 months' discharges."""

    def row(cells: set[str], level: str) -> list[str]:
        return sorted(c for c in cells if f"[{level}>" in c)

    iop = row(flow, "2.1")
    if iop:
        r.total(n("discharges.total"), iop)
        for c in iop:
            to = c.split(">")[1].split("]")[0]
            if to in ("pending", "no_next_care"):
                r.same(c, n(f"transitions.{to}"))
            else:
                r.same(c, n(f"transitions.by_next_level.{to}"))
    resid = [c for lvl in RESIDENTIAL for c in row(flow, lvl)]
    if resid:
        r.total(n("~residential_flow"), resid)
        r.at_most(n("continuity.residential_discharges"), n("~residential_flow"))
    twelve = row(flow_12m, "2.1")
    if twelve:
        r.total(n("~discharges_12m"), twelve)
        r.total(
            n("~discharges_12m"),
            [n.month(m, "discharges") for m in months(shift(n.period, -11), n.period)],
        )


SITE_MEASURES = {  # a sites page measure -> (n, observed) in the monthly columns' words
    "Completion rate": ("discharges", "completed"),
    "Step-down rate": ("determined", "step_down"),
    "Reliable improvement": ("paired", "reliable_improvement"),
    "Recovery": ("at_caseness", "recovery"),
    "Attendance rate": ("client_scheduled", "attended"),
    "Abstinent at discharge": ("abstinent_paired", "abstinent_at_discharge"),
    "Reached at 3 months": ("due_3m", "reached_3m"),
    "Not disengaged within 90 days": (None, None),
}


def read_sites(
    r: Reading, page: Page, period: str, *, relations: bool = True, names: Names | None = None
) -> list[str]:
    """The external sites page: per measure, each site's n and observed over the 12 months
    (and the program's) and for the period alone; the sites add up to the program, each
    n is observed and a rest, and the 12 months are the months' sum where a month's figure
    cannot change after it (for step-down: the discharges of the 12 months less those still
    pending, which are this month's: every earlier month's 14-day window has closed). The
    page is computed as of its run's documents' as-of date (``names``: the program's
    document's; the period's last day and 14-day windows unless given)."""
    names = names or Names("all", period)
    k = r.k
    seen: dict[tuple[str, str], list[str]] = {}
    sites: set[str] = set()
    for heading, rows in page.tables:
        if heading not in SITE_MEASURES or not rows or rows[0][:2] != ["Site", "n"]:
            continue
        window = "12m" if (heading, "12m") not in seen else "period"
        seen[(heading, window)] = []
        for row in rows[1:]:
            site = "all" if row[0] == "Program" else row[0]
            sites.add(site) if site != "all" else None
            seen[(heading, window)].append(site)
            for col, part in ((1, "n"), (2, "observed")):
                v = count(row[col], k)
                if v:  # "suppressed" here may stand for 0 (an observed 0 over a hidden n)
                    mark = ANY if v[1] == SUPPRESSED else v[1]
                    r.show(f"sites@{period}:{heading}.{window}[{site}].{part}", v[0], mark)
    if not relations:
        return sorted(sites)
    last12 = months(shift(period, -11), period)
    for heading, window in seen:
        cell = f"sites@{period}:{heading}.{window}"
        for site in [*sorted(sites), "all"]:
            r.at_most(f"{cell}[{site}].observed", f"{cell}[{site}].n")
        for part in ("n", "observed"):
            r.total(f"{cell}[all].{part}", [f"{cell}[{s}].{part}" for s in sorted(sites)])
        den, num = SITE_MEASURES[heading]
        if den is None:
            continue
        for site in [*sorted(sites), "all"]:
            m = Names(site, period, names.as_of.isoformat(), names.window).month
            if window == "period":
                r.same(f"{cell}[{site}].n", m(period, den))
                r.same(f"{cell}[{site}].observed", m(period, num))
            elif heading == "Step-down rate":
                r.total(
                    f"{cell}[{site}].n",
                    [
                        *(m(x, "discharges") for x in last12),
                        f"-{site}@{period}:transitions.pending",
                    ],
                )
            elif heading in (
                "Completion rate",
                "Attendance rate",
                "Reliable improvement",
                "Recovery",
                "Abstinent at discharge",
            ):
                r.total(f"{cell}[{site}].n", [m(x, den) for x in last12])
                r.total(f"{cell}[{site}].observed", [m(x, num) for x in last12])
    return sorted(sites)


ADDITIVE = re.compile(
    r"^(census\.(?!clients_served)|attendance\.|dosage\.|discharges\.|transitions\.(?!by_next)"
    r"|inflow\.|continuity\.|~client_scheduled|~determined|los\[|service_table\[|flow\[|flow_12m\["
    r"|hours\[|retention\.cohort_admissions|~initiat|~engage|outcomes\.(?!by_instrument)"
    r"|noms\.|follow_up\.|rates\[)"
)


def sites_add_up(r: Reading, period: str, sites: list[str]) -> None:
    """Each count of the program's report is the sum of the sites' (the program is its sites:
    episodes, sessions and discharges each belong to one site), for the figures whose rule
    counts episodes or sessions (not clients, who may attend two sites). For the flows' rows
    from other levels and the continuity section (any site's residential discharges) the
    reader takes the program's sites to be every site with an episode, as a network's run
    (``sites = "each"``) reports them."""
    pre = f"all@{period}:"
    cells = {c for eq in r.eqs for c in eq} | set(r.shown) | set(r.hidden)
    for c in sorted(cells):
        if c.startswith(pre) and ADDITIVE.match(c[len(pre) :]):
            key = c[len(pre) :]
            r.total(c, [f"{s}@{period}:{key}" for s in sites])
        elif c.startswith("all:monthly["):
            col = c.split("].", 1)[1].split("@")[0]
            if col in (
                "admissions",
                "discharges",
                "active_at_end",
                "completed",
                "determined",
                "step_down",
                "client_scheduled",
                "attended",
                "courses",
                "paired",
                "reliable_improvement",
                "recovery",
                "at_caseness",
                "abstinent_paired",
                "abstinent_at_discharge",
                "due_3m",
                "reached_3m",
            ):
                r.total(c, [f"{s}:{c[4:]}" for s in sites])


def read_run(r: Reading, folder: Path, *, relations: bool = True) -> dict[str, Names]:
    """One run's external outputs for one period: ``<folder>/<scope>/external/`` (metrics.json
    and monthly_report.html) for the program and each site, and the external sites page."""
    out = {}
    for scope_dir in sorted(p for p in folder.iterdir() if (p / "external").is_dir()):
        ext = scope_dir / "external"
        doc = json.loads((ext / "metrics.json").read_text())
        n = read_metrics(r, doc, scope_dir.name, relations=relations)
        if (ext / "monthly_report.html").is_file():
            read_report(r, parse(ext / "monthly_report.html"), n, relations=relations)
        out[scope_dir.name] = n
    period = folder.name
    page = folder / "sites-external.html"
    sites = [s for s in out if s != "all"]
    if page.is_file():
        names = out.get("all") or next(iter(out.values()), None)
        sites = read_sites(r, parse(page), period, relations=relations, names=names) or sites
    if relations and "all" in out and sites:
        sites_add_up(r, period, sites)
    return out


def truth_of(folder: Path) -> dict[str, int]:
    """The same names read from the internal copies (every figure printed): the truth a
    finding is checked against."""
    t = Reading(10**9)
    for scope_dir in sorted(p for p in folder.iterdir() if (p / "internal").is_dir()):
        doc = json.loads((scope_dir / "internal" / "metrics.json").read_text())
        n = read_metrics(t, doc, scope_dir.name, relations=False)
        if (scope_dir / "internal" / "monthly_report.html").is_file():
            read_report(
                t, parse(scope_dir / "internal" / "monthly_report.html"), n, relations=False
            )
    if (folder / "sites.html").is_file():
        read_sites(t, parse(folder / "sites.html"), folder.name, relations=False)
    return dict(t.shown)


def attacks(archive: Path, periods: list[str], k: int) -> dict[str, dict[str, int]]:
    """The three attacks over an archive of runs (``<archive>/<period>/...``): each external
    document alone (its metrics.json and HTML), each run's external outputs together, and
    every run read together (the same month's figure tied across reports by its name).
    Returns, per attack, the hidden counts pinned to 1..k-1."""
    from auditor import solve

    out: dict[str, dict[str, int]] = {"document": {}, "run": {}, "months": {}}
    together = Reading(k)
    for period in periods:
        folder = archive / period
        for scope_dir in sorted(p for p in folder.iterdir() if (p / "external").is_dir()):
            r = Reading(k)
            ext = scope_dir / "external"
            n = read_metrics(r, json.loads((ext / "metrics.json").read_text()), scope_dir.name)
            if (ext / "monthly_report.html").is_file():
                read_report(r, parse(ext / "monthly_report.html"), n)
            out["document"].update(solve(r).small(k))
        r = Reading(k)
        read_run(r, folder)
        out["run"].update(solve(r).small(k))
        together = together.merged(r)
    if len(periods) > 1:
        out["months"] = solve(together).small(k)
    return out
