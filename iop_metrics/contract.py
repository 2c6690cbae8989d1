"""The data contract in one place: tables, columns, codes, levels of care and instruments.

Everything the loader checks and every code the metrics rely on is declared
here, so that the loader, the sample generator, the docs and the tests read the
same source (``shared/spec/data-contract.md`` is the human version).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SEXES = ("F", "M", "X", "U")
SUBSTANCES = ("alcohol", "opioids", "stimulants", "cannabis", "sedatives", "other")
PAYERS = ("medicaid", "medicare", "commercial", "self_pay", "other")
REFERRAL_SOURCES = ("self", "family", "provider", "court", "employer", "other")
# SAMHSA TEDS-D REASON, in code order 1..7.
DISCHARGE_REASONS = (
    "completed",
    "dropped_out",
    "terminated",
    "transferred",
    "incarcerated",
    "died",
    "other",
)
SERVICE_TYPES = (
    "group",
    "individual",
    "family",
    "psychoeducation",
    "skills",
    "medication",
    "case_management",
    "assessment",
    "peer_support",
    "other",
)
STATUSES = ("attended", "no_show", "cancelled_client", "cancelled_program")
SETTINGS = ("inpatient", "residential", "ambulatory")
# The NOMS items (spec/recovery.md, contract table `noms`); TEDS's codes in the comments.
NOMS_TIME_POINTS = ("admission", "discharge", "follow_up")
NOMS_CONTACTS = ("reached", "not_reached", "declined", "deceased")
# FREQ: none [1]; 1-3 days a month, 1-2 a week, 3-6 a week [2, "some use"]; daily [3].
USE_FREQUENCIES = ("none", "1_3_month", "1_2_week", "3_6_week", "daily")
# EMPLOY 1..3, then not in the labour force [EMPLOY 4] by DETNLF 1..5.
EMPLOYMENTS = (
    "full_time",
    "part_time",
    "unemployed",
    "homemaker",
    "student",
    "retired_disabled",
    "institution",
    "other_not_in_labor_force",
)
LIVING = ("homeless", "dependent", "independent")  # LIVARAG 1..3
SELF_HELP = ("none", "1_3", "4_7", "8_30", "some")  # FREQ_ATND_SELF_HELP 1..5


@dataclass(frozen=True)
class Instrument:
    """One row of the instruments reference table (spec/outcomes.md, Instruments).

    ``caseness``: a score on the "case" side of it (``>=`` when lower is better, ``<=``
    otherwise) is a case; ``reliable_change``: the smallest change in points that counts as
    reliable. Either is ``None`` when the instrument has no published threshold.
    """

    code: str
    name: str
    min_score: float
    max_score: float
    lower_is_better: bool
    caseness: float | None
    reliable_change: float | None
    source: str


BUILTIN_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument(
        "PHQ-9",
        "Patient Health Questionnaire-9 (depression)",
        0.0,
        27.0,
        True,
        10.0,
        6.0,
        "NHS Talking Therapies: caseness 10 or more, reliable change 6 points",
    ),
    Instrument(
        "GAD-7",
        "Generalized Anxiety Disorder-7 (anxiety)",
        0.0,
        21.0,
        True,
        8.0,
        4.0,
        "NHS Talking Therapies: caseness 8 or more, reliable change 4 points",
    ),
    Instrument(
        "BAM-use",
        "Brief Addiction Monitor, use (continuous version, items 4+5+6, days in the past 30)",
        0.0,
        90.0,
        True,
        None,
        None,
        "Cacciola et al. 2013 (Brief Addiction Monitor); no published caseness or reliable change",
    ),
)
# The built-in score ranges, by code (the contract table `instruments` may add and replace).
INSTRUMENTS = {i.code: (i.min_score, i.max_score) for i in BUILTIN_INSTRUMENTS}
DEFAULT_SITE = "main"
DEFAULT_LEVELS = ("2.1",)


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    ``kind`` is one of ``text``, ``integer``, ``number``, ``date``, ``boolean``.
    ``codes`` restricts a text column to a fixed list; ``free_text`` marks the
    columns the identifier guard scans (ids, site and track codes, names).
    """

    name: str
    kind: str
    required: bool = False
    codes: tuple[str, ...] | None = None
    free_text: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = True
    key: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "levels_of_care",
            (
                Column("code", "text", required=True, free_text=True),
                Column("name", "text", required=True, free_text=True),
                Column("intensity", "number", required=True),
                Column("setting", "text", required=True, codes=SETTINGS),
            ),
            required=False,
            key="code",
        ),
        Table(
            "instruments",
            (
                Column("code", "text", required=True, free_text=True),
                Column("name", "text", free_text=True),
                Column("min_score", "number", required=True),
                Column("max_score", "number", required=True),
                Column("lower_is_better", "boolean", required=True),
                Column("caseness", "number"),
                Column("reliable_change", "number"),
                Column("source", "text", free_text=True),
            ),
            required=False,
            key="code",
        ),
        Table(
            "clients",
            (
                Column("client_id", "text", required=True, free_text=True),
                Column("birth_year", "integer"),
                Column("sex", "text", codes=SEXES),
                Column("primary_substance", "text", codes=SUBSTANCES),
                Column("payer", "text", codes=PAYERS),
                Column("referral_source", "text", codes=REFERRAL_SOURCES),
            ),
            key="client_id",
        ),
        Table(
            "episodes",
            (
                Column("episode_id", "text", required=True, free_text=True),
                Column("client_id", "text", required=True, free_text=True),
                Column("site", "text", free_text=True),
                Column("level_of_care", "text", required=True),
                Column("track", "text", free_text=True),
                Column("admit_date", "date", required=True),
                Column("discharge_date", "date"),
                Column("discharge_reason", "text", codes=DISCHARGE_REASONS),
            ),
            key="episode_id",
        ),
        Table(
            "sessions",
            (
                Column("session_id", "text", required=True, free_text=True),
                Column("episode_id", "text", required=True, free_text=True),
                Column("session_date", "date", required=True),
                Column("service_type", "text", required=True, codes=SERVICE_TYPES),
                Column("scheduled_minutes", "integer", required=True),
                Column("status", "text", required=True, codes=STATUSES),
                Column("attended_minutes", "integer"),
                Column("telehealth", "boolean"),
            ),
            key="session_id",
        ),
        Table(
            "assessments",
            (
                Column("episode_id", "text", required=True, free_text=True),
                Column("assessed_on", "date", required=True),
                Column("instrument", "text", required=True),
                Column("score", "number", required=True),
            ),
            required=False,
        ),
        Table(
            "noms",
            (
                Column("episode_id", "text", required=True, free_text=True),
                Column("time_point", "text", required=True, codes=NOMS_TIME_POINTS),
                Column("collected_on", "date", required=True),
                Column("contact", "text", codes=NOMS_CONTACTS),
                Column("use_frequency", "text", codes=USE_FREQUENCIES),
                Column("employment", "text", codes=EMPLOYMENTS),
                Column("living", "text", codes=LIVING),
                Column("arrests", "integer"),
                Column("self_help", "text", codes=SELF_HELP),
            ),
            required=False,
        ),
    )
}

# Load order: a table is checked after the tables it refers to.
LOAD_ORDER = (
    "levels_of_care",
    "instruments",
    "clients",
    "episodes",
    "sessions",
    "assessments",
    "noms",
)

# What `iop-metrics export` writes and an engine over an export reads: the canonical tables
# plus the load's provenance and set-aside rows, which the report shows.
EXPORTED_TABLES = (*LOAD_ORDER, "load_log", "rejected_rows")


def _builtin_levels() -> list[tuple[str, str, float, str]]:
    names = {
        "0.5": "Early intervention",
        "1.0": "Outpatient",
        "1.5": "Outpatient therapy (4th ed.)",
        "1.7": "Medically managed outpatient (4th ed.)",
        "2.1": "Intensive outpatient",
        "2.5": "Partial hospitalization",
        "2.7": "Medically managed intensive outpatient (4th ed.)",
        "3.1": "Clinically managed low-intensity residential",
        "3.3": "Clinically managed population-specific high-intensity residential",
        "3.5": "Clinically managed high-intensity residential",
        "3.7": "Medically monitored intensive inpatient",
        "4.0": "Medically managed intensive inpatient",
        "1-WM": "Ambulatory withdrawal management without extended on-site monitoring",
        "2-WM": "Ambulatory withdrawal management with extended on-site monitoring",
        "3.2-WM": "Clinically managed residential withdrawal management",
        "3.7-WM": "Medically monitored inpatient withdrawal management",
        "4-WM": "Medically managed intensive inpatient withdrawal management",
        "OTP": "Opioid treatment program",
    }
    rows = []
    for code, name in names.items():
        intensity = 1.0 if code == "OTP" else float(code.split("-")[0])
        setting = (
            "inpatient" if intensity >= 4 else "residential" if intensity >= 3 else "ambulatory"
        )
        rows.append((code, name, intensity, setting))
    return rows


BUILTIN_LEVELS: tuple[tuple[str, str, float, str], ...] = tuple(_builtin_levels())


# A site or track code names a report folder (``<period>/<site>/``, ``.../track-<track>/``), so
# it must be one plain folder name: letters, digits and ``.-_``, beginning with a letter or a
# digit (no ``..``, ``/``, leading dot or markup), at most 64 characters. A code that is not is
# refused where a folder would be made of it (``report``, ``run``) rather than mapped to some
# other name, so that a folder always reads as the code the reader asked for and two codes can
# never share one; the loader names such codes at load (the mapping's ``codes`` renames them).
FOLDER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PROGRAM_FOLDER = "all"  # the whole program's scope folder in a run, so no site may be called so


def folder_code_problem(code: str, *, column: str) -> str | None:
    """Why ``code`` (of the episodes' ``site`` or ``track``) cannot name a folder, else None.

    >>> [folder_code_problem(c, column="site") for c in ("north", "../x", "all")]
    [None, "site code '../x' cannot name a report folder (letters, digits and .-_ only, \
beginning with a letter or digit)", "site code 'all' cannot name a report folder ('all' is \
the whole program's folder)"]
    """
    if not FOLDER_CODE.match(code):
        why = "letters, digits and .-_ only, beginning with a letter or digit"
    elif column == "site" and code == PROGRAM_FOLDER:
        why = f"{PROGRAM_FOLDER!r} is the whole program's folder"
    else:
        return None
    return f"{column} code {code!r} cannot name a report folder ({why})"
