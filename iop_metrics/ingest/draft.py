"""``mapping draft``: read an export's headers and codes, write a commented mapping skeleton.

Every source file and column is listed; a contract column is matched only when
the source name is one of its usual names; every distinct value of a coded
column is listed with its count and the contract code it probably means, or
``"?"``. The draft does not pass ``import`` until the analyst has decided each
``"?"`` and each unmatched column, so nothing is guessed silently. Values of
identifier-looking columns are never read into the draft.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from ..contract import TABLES
from .mapping import DEFAULT_DATE_FORMAT, looks_like_identifier
from .readers import stage_file

SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".parquet")
MAX_CODES = 60
# Usual source names of each contract column (compared lower-case, letters and digits only).
NAMES: dict[str, tuple[str, ...]] = {
    "client_id": ("mr", "mrn", "clientid", "patientid", "personid", "memberid", "client"),
    "birth_year": ("dob", "birthdate", "dateofbirth", "birthyear", "yearofbirth"),
    "sex": ("sex", "gender", "sexatbirth"),
    "primary_substance": ("primarysubstance", "primarydrug", "substance", "drugofchoice"),
    "payer": ("payer", "primarypayer", "payor", "insurance", "primaryinsurance"),
    "referral_source": ("referralsource", "referral", "referredby"),
    "episode_id": ("casefileid", "episodeid", "admissionid", "caseid", "episode", "casefile"),
    "site": ("site", "location", "facility", "campus", "programsite"),
    "level_of_care": ("levelofcare", "loc", "asamlevel", "careLevel".lower()),
    "track": ("program", "track", "programtrack"),
    "admit_date": ("admissiondate", "admitdate", "admitted", "startdate", "episodestart"),
    "discharge_date": ("dischargedate", "discharged", "enddate", "episodeend"),
    "discharge_reason": ("dischargetype", "dischargereason", "reasonfordischarge"),
    "session_id": ("apptid", "appointmentid", "sessionid", "visitid", "eventid"),
    "session_date": ("apptdate", "appointmentdate", "sessiondate", "dateofservice", "servicedate"),
    "service_type": ("service", "servicetype", "appointmenttype", "appttype", "activity"),
    "scheduled_minutes": ("durationmin", "duration", "scheduledminutes", "minutes", "length"),
    "status": ("apptstatus", "appointmentstatus", "status", "attendance"),
    "attended_minutes": ("attendedmin", "attendedminutes", "minutesattended"),
    "telehealth": ("visittype", "telehealth", "modality", "mode"),
    "assessed_on": ("dategiven", "assessedon", "assessmentdate", "administered", "scoredate"),
    "instrument": ("measure", "instrument", "assessment", "tool"),
    "score": ("score", "totalscore", "result"),
    "code": ("code", "instrumentcode", "measurecode"),
    "min_score": ("minscore", "minimumscore", "scoremin", "lowestscore"),
    "max_score": ("maxscore", "maximumscore", "scoremax", "highestscore"),
    "lower_is_better": ("lowerisbetter", "lowerbetter", "direction"),
    "caseness": ("caseness", "cutoff", "clinicalcutoff", "casenesscutoff"),
    "reliable_change": ("reliablechange", "rci", "reliablechangeindex"),
    "time_point": ("timepoint", "collectionpoint", "interviewtype", "nomspoint"),
    "collected_on": ("collectedon", "collectiondate", "interviewdate", "contactdate", "calldate",
                     "followupdate"),
    "contact": ("contact", "contactresult", "contactoutcome", "followupresult", "callresult",
                "calloutcome"),
    "use_frequency": ("usefrequency", "frequencyofuse", "usefreq", "substanceuse",
                      "substanceuse30days"),
    "employment": ("employment", "employmentstatus", "workschool"),
    "living": ("living", "livingarrangement", "livingsituation", "housing"),
    "arrests": ("arrests", "arrests30days", "numberofarrests"),
    "self_help": ("selfhelp", "selfhelpattendance", "mutualhelp", "selfhelpgroups",
                  "selfhelpmeetings", "selfhelpmeetings30days"),
}  # fmt: skip
# Words in a source value that point to a contract code, first match wins.
HINTS: dict[str, tuple[tuple[str, str], ...]] = {
    "sex": (("non", "X"), ("female", "F"), ("woman", "F"), ("male", "M"), ("man", "M"),
            ("unknown", "U"), ("declin", "U")),
    "primary_substance": (("alcohol", "alcohol"), ("opi", "opioids"), ("heroin", "opioids"),
                          ("fentanyl", "opioids"), ("meth", "stimulants"),
                          ("cocaine", "stimulants"), ("stimul", "stimulants"),
                          ("marijuana", "cannabis"), ("cannabis", "cannabis"),
                          ("benzo", "sedatives"), ("sedat", "sedatives")),
    "payer": (("medicaid", "medicaid"), ("medicare", "medicare"), ("self", "self_pay"),
              ("blue", "commercial"), ("aetna", "commercial"), ("cigna", "commercial"),
              ("united", "commercial"), ("commercial", "commercial")),
    "referral_source": (("self", "self"), ("family", "family"), ("friend", "family"),
                        ("court", "court"), ("probation", "court"), ("criminal", "court"),
                        ("employ", "employer"), ("eap", "employer"), ("provider", "provider"),
                        ("physician", "provider"), ("hospital", "provider")),
    "level_of_care": (("detox", "3.7-WM"), ("withdrawal", "3.7-WM"), ("php", "2.5"),
                      ("partial", "2.5"), ("iop", "2.1"), ("intensive", "2.1"),
                      ("residential", "3.5"), ("outpatient", "1.0")),
    "discharge_reason": (("complet", "completed"), ("success", "completed"),
                         ("ama", "dropped_out"), ("against", "dropped_out"),
                         ("drop", "dropped_out"), ("admin", "terminated"),
                         ("terminat", "terminated"), ("transfer", "transferred"),
                         ("incarcer", "incarcerated"), ("jail", "incarcerated"),
                         ("deceased", "died"), ("died", "died"), ("death", "died")),
    "service_type": (("skill", "skills"), ("psychoed", "psychoeducation"), ("peer", "peer_support"),
                     ("family", "family"), ("individual", "individual"), ("group", "group"),
                     ("case", "case_management"), ("med", "medication"), ("assess", "assessment"),
                     ("intake", "assessment")),
    "status": (("no show", "no_show"), ("noshow", "no_show"), ("patient", "cancelled_client"),
               ("client", "cancelled_client"), ("clinic", "cancelled_program"),
               ("provider", "cancelled_program"), ("program", "cancelled_program"),
               ("staff", "cancelled_program"), ("show", "attended"), ("attend", "attended"),
               ("arrived", "attended"), ("kept", "attended")),
    "telehealth": (("tele", "true"), ("video", "true"), ("virtual", "true"),
                   ("person", "false"), ("office", "false")),
    "instrument": (("phq", "PHQ-9"), ("gad", "GAD-7"), ("bam", "BAM-use")),
    "time_point": (("admi", "admission"), ("intake", "admission"), ("disch", "discharge"),
                   ("follow", "follow_up")),
    "contact": (("not", "not_reached"), ("no answer", "not_reached"), ("declin", "declined"),
                ("refus", "declined"), ("deceas", "deceased"), ("died", "deceased"),
                ("reach", "reached"), ("complet", "reached")),
    "use_frequency": (("not used", "none"), ("no use", "none"), ("none", "none"),
                      ("never", "none"), ("daily", "daily"),
                      ("month", "1_3_month"), ("1-2", "1_2_week"), ("3-6", "3_6_week")),
    "employment": (("full", "full_time"), ("part", "part_time"), ("unemploy", "unemployed"),
                   ("homemak", "homemaker"), ("student", "student"), ("school", "student"),
                   ("retire", "retired_disabled"), ("disab", "retired_disabled"),
                   ("institution", "institution"), ("not in labor", "other_not_in_labor_force")),
    "living": (("homeless", "homeless"), ("shelter", "homeless"), ("independ", "independent"),
               ("own", "independent"), ("depend", "dependent"), ("family", "dependent"),
               ("supervis", "dependent")),
    "self_help": (("none", "none"), ("1-3", "1_3"), ("4-7", "4_7"), ("8", "8_30"),
                  ("some", "some"), ("unknown", "some")),
}  # fmt: skip
TABLE_ORDER = ("clients", "episodes", "sessions", "assessments", "noms", "instruments")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def match_column(source: str) -> str | None:
    """The contract column a source column's name usually means, or None.

    >>> match_column("MR #"), match_column("Admission Date"), match_column("Notes")
    ('client_id', 'admit_date', None)
    """
    n = _norm(source)
    for target, names in NAMES.items():
        if n in names:
            return target
    return None


def guess_code(target: str, value: str) -> str:
    """The contract code a source value probably means, or ``"?"``.

    >>> guess_code("status", "No Show - Patient"), guess_code("level_of_care", "IOP")
    ('no_show', '2.1')
    """
    codes = TABLES_BY_COLUMN[target].column(target).codes or ()
    if value in codes:
        return value
    low = value.lower()
    for word, code in HINTS.get(target, ()):
        if word in low:
            return code
    if target in FREE_CODES:
        return site_code(value)
    return "other" if low == "other" and "other" in codes else "?"


FREE_CODES = ("site", "track")  # codes the program chooses: a report folder is named after each
SITE_WORDS = {"campus", "site", "clinic", "location", "office", "center", "centre"}


def site_code(value: str) -> str:
    """A short code for a site or track label: lower case, words joined by ``-``, and words such
    as "Campus" left out (a suggestion; run reports and folders are named by it).

    >>> site_code("Main Campus"), site_code("IOP Evening"), site_code("St. Mary's Clinic")
    ('main', 'iop-evening', 'st-mary-s')
    """
    words = [w for w in re.split(r"[^a-z0-9]+", value.lower()) if w]
    kept = [w for w in words if w not in SITE_WORDS] or words
    return "-".join(kept)[:64] or "?"


TABLES_BY_COLUMN = {c.name: t for t in TABLES.values() for c in t.columns}
CODED = {"telehealth", "level_of_care", "instrument", *FREE_CODES} | {
    c.name for t in TABLES.values() for c in t.columns if c.codes
}


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


XLSX_DATE_CELL = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")  # as stage_xlsx reads one


def guess_date_format(values: list[str]) -> str:
    """The ``date_format`` the draft suggests for these text dates, ``"?"`` when none fits.

    >>> guess_date_format(["3/9/2026", "12/31/2025"]), guess_date_format(["2026-03-09"])
    ('%m/%d/%Y', '%Y-%m-%d')
    """
    if values and all(re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", v) for v in values):
        return "%m/%d/%Y"
    if values and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values):
        return "%Y-%m-%d"
    return "?"


def _values(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[tuple[str, int]]:
    q = '"' + column.replace('"', '""') + '"'
    return [
        (str(v), int(n))
        for v, n in con.execute(
            f"select trim({q}) v, count(*) from {table} where nullif(trim({q}), '') is not null "
            f"group by v order by 2 desc, 1 limit {MAX_CODES + 1}"
        ).fetchall()
    ]


def draft(export_dir: str | os.PathLike[str]) -> str:
    """A commented mapping skeleton (TOML) for the files of ``export_dir``."""
    root = Path(export_dir)
    files = sorted(p for p in root.iterdir() if p.name.lower().endswith(SUFFIXES))
    con = duckdb.connect()
    headers: dict[Path, list[str]] = {}
    for i, p in enumerate(files):
        headers[p], _ = stage_file(con, p, f"f{i}")
    # which file feeds which table: the one whose columns match most of the table's columns
    matched = {p: {c: match_column(c) for c in cols} for p, cols in headers.items()}
    teds = next((p for p, cols in headers.items() if is_teds_extract(cols)), None)
    if teds is not None:
        del matched[teds]
    feeds: dict[str, Path] = {}
    for t in TABLE_ORDER:
        names = set(TABLES[t].column_names)
        score = {p: sum(1 for v in m.values() if v in names) for p, m in matched.items()}
        best = max(score, key=lambda p: score[p], default=None)
        if best is not None and score[best] >= 2:
            feeds[t] = best
    out = [
        f"# Mapping draft for {root.name}/, written by `iop-metrics mapping draft`.",
        '# Decide every "?" and every column listed as not matched, then run',
        "# `iop-metrics import EXPORT --mapping THIS --out DIR`. Options: docs/mapping.md.",
        "",
        "[source]",
    ]
    dates = []
    cells = False  # an .xlsx date column: its date cells are dates whatever the format says
    for t, p in feeds.items():
        for c, target in matched[p].items():
            if target in TABLES[t].column_names and TABLES[t].column(target).kind == "date":
                values = [v for v, _ in _values(con, f"f{files.index(p)}", c)][:20]
                if p.name.lower().endswith(".xlsx"):
                    text = [v for v in values if not XLSX_DATE_CELL.fullmatch(v)]
                    cells |= len(text) < len(values)
                    values = text
                dates += values
    if teds is not None:
        dated = [c for c in headers[teds] if match_column(c) in ("admit_date", "discharge_date")]
        dates += [v for c in dated for v, _ in _values(con, f"f{files.index(teds)}", c)][:20]
    guess = guess_date_format(dates) if dates or not cells else DEFAULT_DATE_FORMAT
    why = "the text dates' values" + ("; .xlsx date cells are dates anyway" if cells else "")
    out += [
        f"date_format = {_toml(guess)}   # guessed from {why}",
        'encoding = "auto"                 # UTF-8 with or without BOM; or a Python codec name',
        "",
        "[pseudonymize]",
        'key_file = "?"                    # make one with `iop-metrics keygen PATH`, outside the '
        "export",
        'columns = ["client_id", "episode_id", "session_id"]',
    ]
    seen: set[tuple[Path, str]] = set()
    covered: set[Path] = set()
    for t, p in feeds.items():
        used = {
            c
            for t2, p2 in feeds.items()
            if p2 == p
            for c, m in matched[p].items()
            if m in TABLES[t2].column_names
        }
        group = _group(con, root, p, files, t)
        covered |= set(group)
        if t == "noms" and teds is not None:  # the state extract first, the call log second
            covered.add(teds)
            out += _teds_table(teds.name, headers[teds], array=True)
        out += _table(
            con,
            t,
            p,
            f"g_{t}",
            matched[p],
            used,
            seen,
            _pattern(root, p),
            teds,
            status_in_episodes=feeds.get("episodes") == p,
        )
    if teds is not None and teds not in covered:
        covered.add(teds)
        out += _teds_table(teds.name, headers[teds])
    loose = [p.name for p in files if p not in covered]
    if loose:
        out += ["", f"# files not matched to any table: {', '.join(loose)}"]
    con.close()
    return "\n".join(out) + "\n"


def _pattern(root: Path, path: Path) -> str:
    """The file's name, or a glob when several files of one report (a month or year each) exist."""
    name = str(path.relative_to(root))
    pattern = re.sub(r"[0-9]+", "*", name)
    return pattern if len(list(root.glob(pattern))) > 1 else name


def _group(
    con: duckdb.DuckDBPyConnection, root: Path, path: Path, files: list[Path], t: str
) -> list[Path]:
    """View ``g_<t>`` over every file of the table's glob; returns those files."""
    group = [p for p in files if p in set(root.glob(_pattern(root, path)))] or [path]
    union = " union all by name ".join(f"select * from f{files.index(p)}" for p in group)
    con.execute(f"create or replace temp view g_{t} as {union}")
    return group


def _table(
    con: duckdb.DuckDBPyConnection,
    t: str,
    path: Path,
    view: str,
    matched: dict[str, str | None],
    used: set[str],
    seen: set[tuple[Path, str]],
    name: str,
    teds: Path | None = None,
    *,
    status_in_episodes: bool = False,
) -> list[str]:
    """``[tables.<t>]`` for one file; with a state extract beside it, noms's second source
    ``[[tables.noms]]`` (a call log of follow-up contacts)."""
    cols = TABLES[t].column_names
    mine = {c: m for c, m in matched.items() if m in cols}
    # an admission's status (Active, Discharged, Cancelled) is the episodes' to decide (keep
    # some of its values, or drop it): listed there, whichever table of its file comes first
    status = {c for c in matched if _norm(c) == "status" and c not in used}
    todo = [
        c
        for c in matched
        if c not in used
        and (path, c) not in seen
        and (t == "episodes" or c not in status or not status_in_episodes)
    ]
    seen.update((path, c) for c in todo)
    ids = [c for c in todo if looks_like_identifier(c)]
    other = [c for c in todo if c not in ids]
    several = t == "noms" and teds is not None
    out = ["", f"[[tables.{t}]]" if several else f"[tables.{t}]", f"file = {_toml(name)}"]
    if several:
        out.append("# a second source of noms, beside the state extract: the follow-up contacts")
    if ids:
        out.append(f"drop = [{', '.join(_toml(c) for c in ids)}]   # identifier-looking: dropped")
    if other:
        listed = ", ".join(_toml(c) for c in other)
        out.append(f"# not matched: map, keep or drop each of these: {listed}")
    for c in matched:
        if _norm(c) == "status" and t == "episodes":
            vals = ", ".join(f"{_toml(v)} ({n:,})" for v, n in _values(con, view, c))
            out.append(f"# keep = {{ {_toml(c)} = [...] }}   # values: {vals}")
    out += ["", f"[tables.{t}.columns]"]
    coded = []
    for c, target in mine.items():
        assert target is not None
        if target == "birth_year":
            out.append(f'{target} = {{ column = {_toml(c)}, part = "year" }}')
        elif target in CODED and not looks_like_identifier(c):
            coded.append((c, target))
        else:
            out.append(f"{target} = {_toml(c)}")
    for col in TABLES[t].columns:
        if col.name == "time_point" and "time_point" not in mine.values() and several:
            out.append('time_point = { value = "follow_up" }   # no column: a follow-up call log')
        elif col.required and col.name not in mine.values():
            out.append(f'{col.name} = "?"   # required; no source column matched')
    for c, target in coded:
        values = _values(con, view, c)
        out += ["", f"[tables.{t}.columns.{target}]", f"column = {_toml(c)}"]
        out.append(f"[tables.{t}.columns.{target}.codes]")
        if target in FREE_CODES:
            out.append(
                f"# the program's own {target} codes (letters, digits, .-_): reports use them"
            )
        for v, n in values[:MAX_CODES]:
            out.append(f"{_toml(v)} = {_toml(guess_code(target, v))}   # {n:,} row(s)")
        if len(values) > MAX_CODES:
            out.append(f"# more than {MAX_CODES} distinct values: is this really a coded column?")
    return out


def is_teds_extract(columns: list[str]) -> bool:
    """True when a file's header has TEDS's admission/discharge twins (a state submission).

    >>> is_teds_extract(["CASEID", "FREQ1", "FREQ1_D", "EMPLOY"]), is_teds_extract(["Status"])
    (True, False)
    """
    return {"FREQ1", "FREQ1_D"} <= set(columns)


def _teds_table(name: str, header: list[str], *, array: bool = False) -> list[str]:
    """``[tables.noms]`` in the teds layout for a state-submission extract (``[[tables.noms]]``,
    the first of two sources, when a call log feeds noms too)."""
    from .teds_layout import COLUMNS

    found = {match_column(c): c for c in reversed(header)}
    missing = [c for c in COLUMNS if c not in header]
    used = {*COLUMNS, *(found.get(k) for k in ("episode_id", "admit_date", "discharge_date"))}
    rest = [c for c in header if c not in used]
    ids = [c for c in rest if looks_like_identifier(c)]
    other = [c for c in rest if c not in ids]
    out = ["", "[[tables.noms]]" if array else "[tables.noms]", f"file = {_toml(name)}"]
    out.append("# a state-submission extract: one row per episode, TEDS-named columns; each row")
    out.append("# becomes an admission row and (when discharged) a discharge row (docs/mapping.md)")
    if missing:
        out.append(f"# missing TEDS columns (the import needs all twelve): {', '.join(missing)}")
    if ids:
        out.append(f"drop = [{', '.join(_toml(c) for c in ids)}]   # identifier-looking: dropped")
    if other:
        listed = ", ".join(_toml(c) for c in other)
        out.append(f"# not matched: keep or drop each of these: {listed}")

    def col(target: str) -> str:
        return _toml(found[target]) if target in found else '"?"'

    out += [
        "",
        "[tables.noms.teds]",
        f"admission_date = {col('admit_date')}",
        f"discharge_date = {col('discharge_date')}",
        "",
        "[tables.noms.columns]",
        f"episode_id = {col('episode_id')}",
    ]
    return out
