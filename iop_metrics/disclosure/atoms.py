"""Published counts as sums of atoms (issue 30): which records each published count counts,
read from the database by SQL that states the count's own rule, and the atoms they make.

A record (an episode: ``e:<episode_id>``; a group of alike sessions or client-weeks,
``s:<its values>*<n>`` or ``w:...*<n>``, which stands for its n) is counted in a set of
published cells, its signature; the records of one signature are an atom, and every
published count is the sum of the atoms whose signature holds it. Those equations are the
model (``model.protect`` takes them through ``Cells.members``): every identity among the
counts (the program is the sum of its sites, a cohort is twelve months' admissions, a flow
table's rows add up to the discharges) follows from them, declared or not. A count whose
rule says it covers a cell must equal the number of its records (a group weighing its n), or
nothing is published (``check``: a mismatch is a bug, it raises). Records stay in memory:
no record key is written anywhere.

``COVERED`` names the cells the rules count (``disclosure/sql/episode_*.sql``,
``session_*.sql``, ``client_week_*.sql``, ``outcome_cells.sql``: an outcome course is keyed
``c:<episode_id>``; ``instrument_cells.sql``: a course on one instrument ``i:<code>|<id>``;
``cadence_cells.sql``: episodes; ``client_cells.sql``: a client served, keyed as its first
episode active in the period; ``recovery_members``: recovery ``n:``, follow-up windows ``f:``,
the load's and the EHR import's rows ``q:``; the data-quality checks: episodes,
``episode_cells.sql``, and sessions, ``session_cells.sql``); every other count keeps the
identities ``relations.py`` and ``published.py`` declare.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from ..compute.engine import engine_of
from ..compute.sqlfiles import READS, read_files, sql_code, with_ctes
from ..contract import PROGRAM_FOLDER as ALL

if TYPE_CHECKING:
    from ..compute.query import Con, Query
    from ..periods import Period

ATOM = "@"  # an atom's cell name starts so: no published count, never a target itself
# The cells the episode rules count, as regular expressions over the cells' names.
COVERED = tuple(
    re.compile(p)
    for p in (
        r"census\.(active_at_start|admissions|discharges|active_at_end)",
        r"census\.clients_served",  # a client is its first episode active in P (client_cells)
        r"discharges\.(total|by_reason\.[a-z_]+)",
        r"transitions\.(step_down|step_up|lateral|no_next_care|pending|by_next_level\..+)",
        r"~determined",
        r"inflow\.[a-z_]+",
        r"continuity\.(residential_discharges|(followed_up|pending)_(7d|14d))",
        r"~continuity_den_(7d|14d)",
        r"retention\.cohort_admissions",
        r"~(initiated|initiation_eligible|engaged|engagement_eligible)",
        r"los\[[^\]]+\]\.n",
        r"flow(_12m)?\[[^\]]+\]\.n",
        r"monthly\[[^\]]+\]\.(admissions|discharges|completed|active_at_end|cohort|step_down"
        r"|determined)",
        r"(completion|step_down|attendance|reliable_improvement|recovery)\.(period|12m)"
        r"\[[^\]]+\]\.(n|observed)",
        # sessions (``session_*.sql``)
        r"attendance\.(scheduled|attended|no_show|cancelled_client|cancelled_program)",
        r"~client_scheduled",
        r"(weekday|service)\[[^\]]+\]\.(scheduled|attended|no_show|cancelled_client"
        r"|cancelled_program|client_scheduled)",
        r"monthly\[[^\]]+\]\.(attended|no_show|client_scheduled)",
        # client-weeks (``client_week_*.sql``)
        r"dosage\.(client_weeks|client_weeks_meeting_threshold)",
        r"hours\[[^\]]+\]\.client_weeks",
        r"monthly\[[^\]]+\]\.(client_weeks|meeting)",
        # outcome courses: ended episodes (``outcome_cells.sql``)
        r"outcomes\.(ended|courses|paired|at_caseness|reliable_improvement"
        r"|reliable_deterioration|no_reliable_change|recovery|reliable_recovery)",
        r"monthly\[[^\]]+\]\.(courses|paired|at_caseness|reliable_improvement|recovery)",
        # courses per instrument, the PHQ-9 bands (``instrument_cells.sql``: ``i:<code>|<id>``)
        r"outcomes\.by_instrument\..+\.(paired|case_at_start|reliable_improvement"
        r"|reliable_deterioration|not_case_at_end|response|remission)",
        r"~.+:remission_base",
        r"bands\[[^\]]+\]\.n",
        # measurement-based care: episodes (``cadence_cells.sql``)
        r"outcomes\.(intake_eligible|measured_at_intake|open_30d|measured_last_30d)",
        # recovery and the load's rows (``recovery_members``)
        r"noms\.(ended|with_admission|with_discharge)",
        r"noms\.[a-z_]+\.(paired|at_admission|at_discharge|gained|lost|using_at_admission"
        r"|reduced)",
        r"monthly\[[^\]]+\]\.(abstinent_paired|abstinent_at_discharge|due_3m|reached_3m)",
        r"follow_up\.[0-9]+m\.(due|reached|not_reached|declined|deceased|not_attempted"
        r"|(abstinent|employed_or_student|housed|no_arrests)(_known)?)",
        r"(abstinent_discharge|response_3m)\.(period|12m)\[[^\]]+\]\.(n|observed)",
        r"quality\[loaded>[^>\]]+>\]\.(rows_read|rows_loaded)",
        r"quality\[rejected>.+\]\.n",
        r"quality\[imported>[^>\]]+>\]\.(import_read|skipped|collapsed|written)",
        # the data-quality checks: episodes (``episode_cells.sql``), sessions (``session_cells``)
        r"quality\[checks>(open_without_session_30d|sessions_on_closed_days)>\]\.n",
    )
)


def covered(cell: str) -> bool:
    """True when a cell (``scope:`` aside) is one the episode rules count.

    >>> covered("census.admissions"), covered("all:flow_12m[2.1>3.5].n"), covered("census.x")
    (True, True, False)
    """
    name = cell.split(":", 1)[1] if ":" in cell and not cell.startswith("~") else cell
    return any(p.fullmatch(name) for p in COVERED)


@cache
def _text(name: str) -> str:
    return resources.files("iop_metrics.disclosure").joinpath("sql", f"{name}.sql").read_text()


def _code(name: str) -> str:
    return "\n".join(ln for ln in _text(name).splitlines() if not ln.lstrip().startswith("--"))


def _compose(name: str, given: Mapping[str, str]) -> str:
    """The membership SQL ``name`` (``disclosure/sql``) with what its header reads in front of
    it: the ``given`` CTEs, then the files it reads, each after what it reads in turn: another
    membership file (``groups=session_groups``) or a metric file (``compute/sql``)."""
    ctes: dict[str, str] = dict(given)
    _reads(name, ctes)
    return with_ctes(list(ctes.items()), _code(name).strip())


def _reads(name: str, ctes: dict[str, str]) -> None:
    for line in READS.findall(_text(name)):
        for item in filter(None, (i.strip() for i in line.split(","))):
            cte, _, file = (part.strip() for part in item.partition("="))
            if cte in ctes:
                continue
            if resources.files("iop_metrics.disclosure").joinpath("sql", f"{file}.sql").is_file():
                _reads(file, ctes)
                ctes[cte] = _code(file).strip()
                continue
            for inner, f in read_files(file):
                if ctes.setdefault(inner, sql_code(f)) != sql_code(f):
                    raise ValueError(f"{name}.sql: two files read as `{inner}`")
            ctes[cte] = sql_code(file)


def _rows(con: Con, name: str, q: Query, given: Mapping[str, str], **extra: Any) -> list[Any]:
    from ..compute.engine import DuckDBEngine, used_params

    text = _compose(name, given)
    eng: Any = engine_of(con)
    params = used_params(text, {**q.params(), **extra})
    if isinstance(eng, DuckDBEngine):
        return eng.con.execute(text, params).fetchall()
    from ..compute.dialect import to_spark  # the same SQL on Spark (as SparkEngine.query)

    return list(eng._rows(eng.spark.sql(to_spark(text, params, prefix=eng.prefix))).data)


def _values(rows: Iterable[tuple[Any, ...]], columns: str) -> str:
    body = ",\n    ".join("(" + ", ".join(_literal(v) for v in r) + ")" for r in rows)
    return f"select * from (values\n    {body}\n) as t ({columns})"


def _literal(v: Any) -> str:
    if isinstance(v, dt.date):
        return f"date '{v.isoformat()}'"
    if isinstance(v, int):
        return str(v)
    text = str(v)
    if "'" in text:
        raise ValueError(f"a label with a quote: {text!r}")
    return f"'{text}'"


def _group(rows: Iterable[tuple[Any, str]], into: dict[str, set[str]], kind: str = "e:") -> None:
    """``(record, cell)`` rows into cell -> records; an episode's id is keyed ``e:<id>``, a
    group of sessions comes keyed (``s:<its values>*<n>``, ``session_groups.sql``)."""
    for record, cell in rows:
        into.setdefault(cell, set()).add(f"{kind}{record}")


def _grouped(
    con: Con, q: Query, months: list[Period], name: str, into: dict[str, set[str]]
) -> None:
    """The records of the counts that membership SQL ``name`` names, for ``q``: its sessions
    or client-weeks grouped alike (``session_groups.sql``, ``client_week_groups.sql``), read
    over the months of the trends, the period and the 12 months ending with it, so that one
    run's scopes make the same groups. A group is keyed by its calendar month (the first day
    apart), the same in every run, which holds only for a period of whole months: another is
    refused, not keyed by the run."""
    from ..compute.query import Query
    from ..periods import Period, us_federal_holidays

    if q.period.start.day != 1 or (q.period.end + dt.timedelta(days=1)).day != 1:
        raise ValueError(f"{q.period.label}: records are grouped by whole months")
    first = min(months[0].start, q.period.start, q.period.end - dt.timedelta(days=364))
    span = Query(Period("span", first, q.period.end, "span"), q.as_of, q.scope, q.window_days)
    table = _values(((p.label, p.start, p.end) for p in months), "label, month_start, month_end")
    closed = us_federal_holidays(first, q.period.end)  # as report.figures' data quality
    rows = _rows(
        con, name, span, {"months": table}, period_start=q.period.start, closed_days=closed
    )
    _group(rows, into, kind="")


def _span(q: Query, start: dt.date, end: dt.date) -> Query:
    from ..compute.query import Query
    from ..periods import Period

    return Query(Period("span", start, end, "span"), q.as_of, q.scope, q.window_days)


def recovery_members(con: Con, q: Query, months: list[Period], into: dict[str, set[str]]) -> None:
    """The records of the report's recovery and data-quality counts for ``q`` and its trends'
    ``months``, added to ``into`` (cell -> record keys), read by the membership SQL that states
    each count's own rule:

    - ``noms_cells.sql``: the ``noms`` key and the trends' abstinence at discharge; an ended
      episode is ``e:<id>`` (the period's discharges), what its noms rows say ``n:<id>``;
    - ``follow_up_cells.sql``: the ``follow_up`` key and the trends' rolling 3-month response;
      a due episode-window is ``f:<window>:<id>``;
    - ``quality_cells.sql``: rows read, loaded and set aside per table, records of the load;
    - the EHR import's rows per table, from its own report (``import_members``).
    """
    table = _values(((p.label, p.start, p.end) for p in months), "label, month_start, month_end")
    period = {"period_start": q.period.start, "period_end": q.period.end}
    end = max(q.period.end, months[-1].end)
    # ended episodes: the trends' months and the period
    ended = _span(q, min(months[0].start, q.period.start), end)
    _group(_rows(con, "noms_cells", ended, {"months": table}, **period), into, kind="")
    # windows closed in the 12 months ending with each month of the trends and with the period
    first = min(months[0].end - dt.timedelta(days=364), q.period.end - dt.timedelta(days=364))
    closed = _span(q, min(first, q.period.start), end)
    _group(_rows(con, "follow_up_cells", closed, {"months": table}, **period), into, kind="")
    _group(_rows(con, "quality_cells", q, {}), into, kind="")
    import_members(import_report(con), into)


def import_report(con: Con) -> dict[str, Any] | None:
    """The EHR import's own report (``import_report.json``) when the load came through a
    mapping (``load_log.import_report``), else None."""
    rows = engine_of(con).query("load_import_report", {}).data
    return json.loads(rows[0][0]) if rows and rows[0][0] is not None else None


def import_members(report: Mapping[str, Any] | None, into: dict[str, set[str]]) -> None:
    """The records of the EHR import's counts per table (rows read, skipped by keep rules,
    collapsed, written: ``quality[imported>T>]``), added to ``into``, from the import's own
    report (the figures the data-quality section prints; no row of it names anyone).

    The rows written are the rows the load read from the contract folder the import wrote (a
    load through a mapping reads nothing else): the load's records of that table
    (``quality_cells.sql``), when they are as many (else a record of their own). The import
    reads a row, keeps it out when a keep rule fails, collapses it into an identical client row
    before it, or writes it (``importer._table``): the rows read are the written, the collapsed
    (``q:<table>|collapsed*<n>``) and those kept out (``q:<table>|kept out*<n>``, what is left
    of them), and the skipped counts each rule a row failed, so a row that fails a second rule
    is a record of its own (``q:<table>|skipped again*<n>``). A TEDS file writes an admission and
    a discharge row from one row read (``import_teds``): its rows read (``read*<n>``) and
    skipped (``skipped*<n>``) are other records than the rows written. Counts the records do
    not add up to (a report made by hand) fail ``check``: nothing is published.
    """
    for name, t in ((report or {}).get("tables") or {}).items():
        cell = f"quality[imported>{name}>]."
        read, collapsed, written = (
            int(t[c]) for c in ("rows_read", "rows_collapsed", "rows_written")
        )
        skipped = sum(sum(v.values()) for v in t["rows_skipped"].values())
        rows = into.get(f"quality[loaded>{name}>].rows_read", set())
        if sum(map(weight, rows)) != written:
            rows = {f"q:{name}|written*{written}"}
        teds = any(s.get("layout") == "teds" for s in (t, *t.get("sources", ())))
        records: list[tuple[str, int, tuple[str, ...]]] = [
            (r, weight(r), ("written",) if teds else ("import_read", "written")) for r in rows
        ]
        if teds:
            records += [
                (f"q:{name}|read*{read}", read, ("import_read",)),
                (f"q:{name}|skipped*{skipped}", skipped, ("skipped",)),
            ]
        else:
            out = read - collapsed - written
            records += [
                (f"q:{name}|collapsed*{collapsed}", collapsed, ("import_read", "collapsed")),
                (f"q:{name}|kept out*{out}", out, ("import_read", "skipped")),
                (f"q:{name}|skipped again*{skipped - out}", skipped - out, ("skipped",)),
            ]
        for record, n, parts in records:
            for part in parts if n > 0 else ():
                into.setdefault(cell + part, set()).add(record)


def document_members(
    con: Con, q: Query, *, months: list[Period], los_groups: Iterable[tuple[str, int, int]]
) -> dict[str, tuple[str, ...]]:
    """The records of every episode count a report publishes for ``q``: its document's,
    its monthly trends' over ``months`` and its flow and LOS tables' (``los_groups``: label,
    first and last TEDS code), cell -> the records' keys (sorted)."""
    from ..compute.query import Query, Scope
    from ..periods import Period

    out: dict[str, set[str]] = {}
    groups = _values(los_groups, "label, lo, hi")
    _group(_rows(con, "episode_cells", q, {"los_groups": groups}), out)
    span = Period("12 months", months[0].start, months[-1].end, "span")
    table = _values(((p.label, p.start, p.end) for p in months), "label, month_start, month_end")
    sq = Query(span, q.as_of, q.scope, q.window_days)
    _group(_rows(con, "episode_monthly_cells", sq, {"months": table}), out)
    every = Scope(None, q.scope.site, q.scope.track)
    year = Period("12 months", q.period.end - dt.timedelta(days=364), q.period.end, "span")
    for name, p in (("flow", q.period), ("flow_12m", year)):
        fq = Query(p, q.as_of, every, q.window_days)
        _group(_rows(con, "episode_flow_cells", fq, {}, flow_table=name), out)
    for name in ("session_cells", "client_week_cells"):
        _grouped(con, q, months, name, out)
    _grouped(con, q, months, "outcome_cells", out)
    _group(_rows(con, "instrument_cells", q, {}), out, kind="")
    _group(_rows(con, "cadence_cells", q, {}), out)
    _group(_rows(con, "client_cells", q, {}), out)
    recovery_members(con, q, months, out)
    return {c: tuple(sorted(r)) for c, r in out.items()}


# The sites page's measures per file of (measure, episode_id, y), with how its records are keyed.
SITE_OUTCOMES = (
    ("site_episode_outcomes", "e:"),
    ("site_course_outcomes", "c:"),
    ("site_noms_outcomes", "n:abstinent:"),
    ("site_follow_up_outcomes", "f:3m:"),
)


def site_members(con: Con, q: Query, windows: Iterable[tuple[str, Query]]) -> dict[str, set[str]]:
    """The records of the sites page's episode and session counts (completion, step-down and
    attendance, n and observed, per site and for the program), per window: (name, the
    window's query); ``q``: the program's query (its period and the 12 months ending with it
    are the windows of the attendance counts, as ``comparison.window_query``'s)."""
    from ..compute.query import Query, Scope
    from ..compute.series import trailing_months

    out: dict[str, set[str]] = {}
    for name, wq in windows:
        for measures, kind in SITE_OUTCOMES:
            given = {"outcomes": _compose(measures, {})}
            _group(_rows(con, "episode_site_cells", wq, given, page_window=name), out, kind)
    every = Query(q.period, q.as_of, Scope(q.scope.levels, None, q.scope.track), q.window_days)
    _grouped(con, every, trailing_months(q.period), "session_site_cells", out)
    return {c.replace("[all]", f"[{ALL}]"): r for c, r in out.items()}


def attach(
    values: Mapping[str, int], members: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    """The members of every covered cell of ``values`` (none: no record), from ``members``;
    a record counted in a cell nobody publishes is a bug in its rule: raises."""
    stray = sorted(c for c in members if c not in values)
    if stray:
        raise ValueError(f"records counted in cells no output publishes: {stray[:5]}")
    return {c: tuple(sorted(members.get(c, ()))) for c in values if covered(c)}


def weight(record: str) -> int:
    """How many records a record key stands for: a group of alike records (sessions) is keyed
    ``key*n``.

    >>> weight("e:7"), weight("s:north|2026-10|Monday|group|attended*12")
    (1, 12)
    """
    head, star, n = record.rpartition("*")
    return int(n) if star else 1


def check(values: Mapping[str, int], members: Mapping[str, tuple[str, ...]]) -> None:
    """Every covered count equals the number of its records, or nothing is published.

    >>> check({"census.admissions": 2}, {"census.admissions": ("e:1", "e:2")})
    >>> check({"census.admissions": 3}, {"census.admissions": ("e:1", "e:2")})
    Traceback (most recent call last):
    ...
    ValueError: counts that are not the sum of their records: census.admissions = 3, 2 records
    """
    wrong = [(c, values.get(c), sum(map(weight, r))) for c, r in sorted(members.items())]
    wrong = [w for w in wrong if w[1] != w[2]]
    if wrong:
        text = "; ".join(f"{c} = {v}, {n} records" for c, v, n in wrong[:5])
        raise ValueError(f"counts that are not the sum of their records: {text}")


def atoms(members: Mapping[str, tuple[str, ...]]) -> list[tuple[tuple[str, ...], int]]:
    """The atoms: each signature (the cells a record is counted in, sorted) with its number of
    records, in signature order (deterministic).

    >>> atoms({"a": ("e:1", "e:2"), "b": ("e:2", "e:3")})
    [(('a',), 1), (('a', 'b'), 1), (('b',), 1)]
    """
    sig: dict[str, list[str]] = {}
    for c in sorted(members):
        for r in members[c]:
            sig.setdefault(r, []).append(c)
    counts: dict[tuple[str, ...], int] = {}
    for record, cells in sig.items():
        key = tuple(cells)
        counts[key] = counts.get(key, 0) + weight(record)
    return sorted(counts.items())
