"""Every rule of the data contract, as SQL over the staged text tables.

``table_checks`` turns ``raw_<table>`` (text, with ``_line``) into
``typed_<table>``, lists every violation, and defines ``valid_<table>``: the
rows that broke no rule and depend on no row that did.
"""

from __future__ import annotations

import duckdb

from ..contract import LOAD_ORDER, TABLES, Column, Table
from ..db import scalar
from ..errors import Violation
from .identifiers import IDENTIFIER_PATTERNS
from .noms_rules import noms_rules

INT_RE = r"[+-]?[0-9]+"
DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TRUE_WORDS = ("true", "t", "1", "yes")
FALSE_WORDS = ("false", "f", "0", "no")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _typed_expr(c: Column) -> str:
    q = f'"{c.name}"'
    if c.kind == "integer":
        return f"case when regexp_full_match({q}, '{INT_RE}') then try_cast({q} as bigint) end"
    if c.kind == "number":
        return f"try_cast({q} as double)"
    if c.kind == "date":
        return f"case when regexp_full_match({q}, '{DATE_RE}') then try_cast({q} as date) end"
    if c.kind == "boolean":
        return (
            f"case when lower({q}) in ({_sql_list(TRUE_WORDS)}) then true "
            f"when lower({q}) in ({_sql_list(FALSE_WORDS)}) then false end"
        )
    return q


def _column_checks(table: Table) -> list[tuple[str, str, str, str]]:
    """(column, condition on typed_<t>, message, value expression) for per-value rules."""
    out = []
    for c in table.columns:
        raw, typed = f'"_raw_{c.name}"', f'"{c.name}"'
        if c.required:
            out.append((c.name, f"{raw} is null", "is required but empty", "null"))
        kind_msg = {
            "integer": "is not a whole number",
            "number": "is not a number",
            "date": "is not a date (YYYY-MM-DD)",
            "boolean": "is not true or false",
        }.get(c.kind)
        if kind_msg:
            out.append((c.name, f"{raw} is not null and {typed} is null", kind_msg, raw))
        if c.codes:
            out.append(
                (
                    c.name,
                    f"{raw} is not null and {raw} not in ({_sql_list(c.codes)})",
                    "is not one of " + ", ".join(c.codes),
                    raw,
                )
            )
    return out


def _identifier_checks(table: Table) -> list[tuple[str, list[tuple[str, str]]]]:
    """(column, [(label, RE2 pattern)]) for the identifier guard of each free-text column."""
    out = []
    for c in table.columns:
        if c.free_text:
            is_id = c.name.endswith("_id")
            patterns = [
                (lab, pat) for lab, pat, id_only in IDENTIFIER_PATTERNS if is_id or not id_only
            ]
            if patterns:
                out.append((c.name, patterns))
    return out


# Table rules: (table, column, SQL returning _line + value for each breaking row, message)
def _table_rules(data_year: int) -> list[tuple[str, str, str, str]]:
    levels = "(select code from typed_levels_of_care where code is not null)"
    return [
        (
            "clients",
            "birth_year",
            f"select _line, _raw_birth_year from typed_clients "
            f"where birth_year < 1900 or birth_year > {data_year}",
            f"is outside 1900..{data_year} (the year of the data)",
        ),
        (
            "episodes",
            "client_id",
            "select _line, client_id from typed_episodes e where client_id is not null "
            "and not exists (select 1 from typed_clients c where c.client_id = e.client_id)",
            "refers to no row of clients",
        ),
        (
            "episodes",
            "level_of_care",
            f"select _line, level_of_care from typed_episodes where level_of_care is not null "
            f"and level_of_care not in {levels}",
            "is not a code of levels_of_care",
        ),
        (
            "episodes",
            "discharge_date",
            "select _line, _raw_discharge_date from typed_episodes "
            "where discharge_date < admit_date",
            "is before admit_date",
        ),
        (
            "episodes",
            "discharge_reason",
            "select _line, null from typed_episodes "
            "where discharge_date is not null and _raw_discharge_reason is null",
            "is required when discharge_date is set",
        ),
        (
            "episodes",
            "discharge_reason",
            "select _line, _raw_discharge_reason from typed_episodes "
            "where _raw_discharge_date is null and _raw_discharge_reason is not null",
            "must be empty while the episode is open (no discharge_date)",
        ),
        (
            "episodes",
            "admit_date",
            "select b._line, b._raw_admit_date || '; overlaps episode ' || a.episode_id "
            "|| ' on line ' || a._line "
            "from typed_episodes a join typed_episodes b on a.client_id = b.client_id "
            "and a.level_of_care = b.level_of_care and a._line <> b._line "
            "and (a.admit_date, a._line) < (b.admit_date, b._line) "
            "and b.admit_date <= coalesce(a.discharge_date, date '9999-12-31') "
            "and a.admit_date <= coalesce(b.discharge_date, date '9999-12-31')",
            "the same client has an overlapping episode at the same level of care",
        ),
        (
            "sessions",
            "episode_id",
            "select _line, episode_id from typed_sessions s where episode_id is not null "
            "and not exists (select 1 from typed_episodes e where e.episode_id = s.episode_id)",
            "refers to no row of episodes",
        ),
        (
            "sessions",
            "session_date",
            "select s._line, s._raw_session_date || ' outside ' || e.admit_date || '..' "
            "|| coalesce(cast(e.discharge_date as varchar), 'open') "
            "from typed_sessions s join (select episode_id, any_value(admit_date) as admit_date, "
            "any_value(discharge_date) as discharge_date from typed_episodes "
            "group by episode_id having count(*) = 1) e on e.episode_id = s.episode_id "
            "where s.session_date < e.admit_date or s.session_date > e.discharge_date",
            "is outside its episode",
        ),
        (
            "sessions",
            "scheduled_minutes",
            "select _line, _raw_scheduled_minutes from typed_sessions "
            "where scheduled_minutes < 1 or scheduled_minutes > 720",
            "is outside 1..720",
        ),
        (
            "sessions",
            "attended_minutes",
            "select _line, _raw_attended_minutes from typed_sessions "
            "where attended_minutes < 0 or attended_minutes > scheduled_minutes",
            "is outside 0..scheduled_minutes",
        ),
        (
            "sessions",
            "attended_minutes",
            "select _line, _raw_attended_minutes || ' with status ' || status "
            "from typed_sessions where attended_minutes <> 0 and status is not null "
            "and status <> 'attended'",
            "must be 0 or empty unless status is attended",
        ),
        (
            "assessments",
            "episode_id",
            "select _line, episode_id from typed_assessments a where episode_id is not null "
            "and not exists (select 1 from typed_episodes e where e.episode_id = a.episode_id)",
            "refers to no row of episodes",
        ),
        (
            "assessments",
            "instrument",
            "select _line, instrument from typed_assessments a where instrument is not null "
            "and not exists (select 1 from typed_instruments i where i.code = a.instrument)",
            "is not a code of instruments (the built-in PHQ-9, GAD-7, BAM-use "
            "or a row of the instruments table)",
        ),
        (
            "assessments",
            "score",
            "select _line, _raw_score || ' for ' || instrument from typed_assessments a "
            "where exists (select 1 from typed_instruments i where i.code = a.instrument "
            "and (a.score < i.min_score or a.score > i.max_score))",
            "is outside the instrument's range (min_score..max_score of instruments)",
        ),
        (
            "instruments",
            "max_score",
            "select _line, _raw_max_score from typed_instruments where max_score <= min_score",
            "must be above min_score",
        ),
        (
            "instruments",
            "caseness",
            "select _line, _raw_caseness from typed_instruments "
            "where caseness < min_score or caseness > max_score",
            "is outside min_score..max_score",
        ),
        (
            "instruments",
            "reliable_change",
            "select _line, _raw_reliable_change from typed_instruments "
            "where reliable_change <= 0 or reliable_change > max_score - min_score",
            "must be above 0 and at most max_score - min_score",
        ),
    ]


# Dependencies for quarantine: (table, column, parent table, parent key).
DEPENDS = (
    ("episodes", "client_id", "clients", "client_id"),
    ("episodes", "level_of_care", "levels_of_care", "code"),
    ("sessions", "episode_id", "episodes", "episode_id"),
    ("assessments", "episode_id", "episodes", "episode_id"),
    ("assessments", "instrument", "instruments", "code"),
    ("noms", "episode_id", "episodes", "episode_id"),
)


def _type(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    exprs = [f'{_typed_expr(c)} as "{c.name}"' for c in table.columns]
    raws = [f'"{c.name}" as "_raw_{c.name}"' for c in table.columns]
    con.execute(
        f"create or replace temp table typed_{table.name} as "
        f"select {', '.join(exprs)}, {', '.join(raws)}, _line from raw_{table.name}"
    )
    # typed_ keeps the raw text: free the memory (raw_ is a view when the importer checks tables)
    is_view = con.execute(
        "select count(*) from duckdb_views() where view_name = ?", [f"raw_{table.name}"]
    ).fetchall()[0][0]
    con.execute(f"drop {'view' if is_view else 'table'} raw_{table.name}")


def _guard(con: duckdb.DuckDBPyConnection, name: str, table: Table) -> None:
    """The identifier guard: one scan of the table counting, per column, the values that match
    every pattern as one RE2 alternation (a value matches it exactly when it matches one of the
    patterns); then, for a column with any (the usual case is none at all), each pattern on the
    few values that matched, so each apparent identifier is reported under its own label."""
    checks = [
        (col, patterns, "|".join(f"(?:{pat})" for _, pat in patterns).replace("'", "''"))
        for col, patterns in _identifier_checks(table)
    ]
    if not checks:
        return
    found = con.execute(
        "select "
        + ", ".join(
            f"count(*) filter (where regexp_matches(\"_raw_{col}\", '{anyone}'))"
            for col, _, anyone in checks
        )
        + f" from typed_{name}"
    ).fetchall()[0]
    for (col, patterns, anyone), n in zip(checks, found, strict=True):
        if not n:
            continue
        raw = f'"_raw_{col}"'
        con.execute(
            f"create or replace temp table _suspects as select _line, {raw} from typed_{name} "
            f"where {raw} is not null and regexp_matches({raw}, '{anyone}')"
        )
        con.execute(f"insert into _withheld select distinct {raw} from _suspects")
        for label, pat in patterns:
            quoted = pat.replace("'", "''")
            message = f"looks like {label}; refused by the de-identification guard (value withheld)"
            con.execute(
                f"insert into _violations select '{name}', _line, '{col}', $m, null "
                f"from _suspects where regexp_matches({raw}, '{quoted}')",
                {"m": message},
            )
        con.execute("drop table _suspects")


def _data_year(con: duckdb.DuckDBPyConnection) -> int:
    year = scalar(
        con,
        "select max(y) from (select max(year(admit_date)) as y from typed_episodes "
        "union all select max(year(discharge_date)) from typed_episodes "
        "union all select max(year(session_date)) from typed_sessions)",
    )
    return int(year) if year is not None else 9999


def table_checks(
    con: duckdb.DuckDBPyConnection, files: dict[str, str], *, quarantine: bool
) -> list[Violation]:
    """Check every rule; define ``valid_<table>``; return the violations found."""
    for name in LOAD_ORDER:
        _type(con, TABLES[name])
    con.execute(
        "create or replace temp table _violations (tbl varchar, line bigint, col varchar, "
        "msg varchar, val varchar)"
    )
    con.execute("create or replace temp table _withheld (value varchar)")
    for name in LOAD_ORDER:
        table = TABLES[name]
        # A table's per-value rules in one statement (a statement costs ~1 ms however few the
        # rows: 70 of them made a third of checking a small folder); the order of the rows
        # inserted does not matter, check() sorts the violations.
        checks = _column_checks(table)
        if checks:
            con.execute(
                "insert into _violations "
                + " union all ".join(
                    f"select '{name}', _line, '{col}', $m{i}, {val} from typed_{name} where {cond}"
                    for i, (col, cond, _, val) in enumerate(checks)
                ),
                {f"m{i}": msg for i, (_, _, msg, _) in enumerate(checks)},
            )
        _guard(con, name, table)
        if table.key:
            k = f'"{table.key}"'
            # Only keys used twice or more need their rows looked at again.
            con.execute(
                f"insert into _violations select '{name}', t._line, '{table.key}', "
                f"'is not unique: first used on line ' || d.first, t.{k} from typed_{name} t "
                f"join (select {k}, min(_line) as first from typed_{name} where {k} is not null "
                f"group by {k} having count(*) > 1) d on d.{k} = t.{k} where t._line > d.first"
            )
    for name, col, sql, msg in _table_rules(_data_year(con)) + noms_rules():
        con.execute(
            f"insert into _violations select '{name}', q._line, '{col}', $m, "
            f"cast(q.v as varchar) from ({sql}) q(_line, v)",
            {"m": msg},
        )
    # Built-in levels and instruments (lines <= 0) cannot be wrong; keep violations of files.
    violations = _shown(con, "_violations", files)
    _define_valid(con, quarantine=quarantine)
    if quarantine:
        violations += _shown(con, "_dependents", files)
    con.execute("drop table _withheld")
    return violations


def _shown(con: duckdb.DuckDBPyConnection, table: str, files: dict[str, str]) -> list[Violation]:
    """The violations of ``table`` (those of the given files) as they may be shown: each value
    the identifier guard withheld, on any row of any table, is cut out of every violation's
    value, so a rule that names a value (a reference to no row, a second row, an overlap)
    never prints it."""
    rows = con.execute(
        f"select tbl, line, col, msg, val, (select list(w.value order by length(w.value) desc) "
        f"from _withheld w where contains(v.val, w.value)) from {table} v"
    ).fetchall()
    out = []
    for t, line, col, msg, val, withheld in rows:
        if t not in files:
            continue
        for w in withheld or ():
            val = val.replace(w, "(value withheld)")
        out.append(Violation(files[t], int(line), col, msg, val))
    return out


def _define_valid(con: duckdb.DuckDBPyConnection, *, quarantine: bool) -> None:
    con.execute(
        "create or replace temp table _dependents (tbl varchar, line bigint, col varchar, "
        "msg varchar, val varchar)"
    )
    for name in LOAD_ORDER:
        bad = f"(select line from _violations where tbl = '{name}')"
        if not quarantine:  # a view: the rows are read once, when the tables are written
            con.execute(
                f"create or replace temp view valid_{name} as select * from typed_{name} "
                f"where _line not in {bad}"
            )
            continue
        con.execute(
            f"create or replace temp table valid_{name} as select * from typed_{name} "
            f"where _line not in {bad}"
        )
        for child, col, parent, key in DEPENDS:
            if child != name:
                continue
            dep = (
                f"select _line, {col} from valid_{name} c where {col} is not null and "
                f"exists (select 1 from typed_{parent} p where p.{key} = c.{col}) and not exists "
                f"(select 1 from valid_{parent} p where p.{key} = c.{col})"
            )
            con.execute(
                f"insert into _dependents select '{name}', _line, '{col}', "
                f"'set aside with the rejected {parent} row it refers to', {col} from ({dep})"
            )
            con.execute(
                f"delete from valid_{name} where _line in "
                f"(select line from _dependents where tbl = '{name}')"
            )
