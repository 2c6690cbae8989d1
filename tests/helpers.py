"""Builders for hand-made datasets used across the tests."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import json
import os
import pickle
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from iop_metrics.contract import TABLES
from iop_metrics.report.build import find_chromium


def write_dataset(folder: Path, tables: dict[str, list[dict]]) -> Path:
    """Write each table as NAME.csv with the contract's columns (missing keys -> empty)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        cols = list(TABLES[name].column_names)
        with open(folder / f"{name}.csv", "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c, "") for c in cols})
    return folder


def once_per_session(tmp_path_factory: Any, name: str, build: Callable[[Path], Any]) -> Any:
    """What ``build(folder)`` returns, built once per test session, not once per xdist worker.

    Every worker of one ``pytest -n N`` session shares the parent of its own base temp folder;
    the first worker to ask builds into ``<that>/<name>/`` under an exclusive lock and leaves
    the result there (pickled), the others wait on the lock and read it. So the files the
    builder wrote are shared too: a test of such a fixture reads them and never changes them.
    A build that raised leaves no result, so the next worker tries again (and fails the same way).
    """
    base = Path(tmp_path_factory.getbasetemp())
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / name
    result = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if result.is_file():
                return pickle.loads(result.read_bytes())
            folder.mkdir(exist_ok=True)
            value = build(folder)
            result.write_bytes(pickle.dumps(value))
            return value
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def client(cid: str, **kw) -> dict:
    return {"client_id": cid, "birth_year": 1980, **kw}


def episode(
    eid: str, cid: str, level: str, admit: str, discharge: str = "", reason: str = "", **kw
) -> dict:
    if discharge and not reason:
        reason = "completed"
    return {
        "episode_id": eid,
        "client_id": cid,
        "level_of_care": level,
        "admit_date": admit,
        "discharge_date": discharge,
        "discharge_reason": reason,
        **kw,
    }


_counter = iter(range(1, 10**9))


def session(
    eid: str, date: str, status: str = "attended", minutes: int = 180, service: str = "group", **kw
) -> dict:
    return {
        "session_id": f"S{next(_counter)}",
        "episode_id": eid,
        "session_date": date,
        "service_type": service,
        "scheduled_minutes": minutes,
        "status": status,
        **kw,
    }


# The canonical tables memory_db creates, as "column type" lists.
SCHEMAS = {
    "levels_of_care": "code varchar, name varchar, intensity double, setting varchar",
    "instruments": "code varchar, name varchar, min_score double, max_score double, "
    "lower_is_better boolean, caseness double, reliable_change double, source varchar",
    "clients": "client_id varchar, birth_year integer, sex varchar, primary_substance varchar, "
    "payer varchar, referral_source varchar",
    "episodes": "episode_id varchar, client_id varchar, site varchar, level_of_care varchar, "
    "track varchar, admit_date date, discharge_date date, discharge_reason varchar",
    "sessions": "session_id varchar, episode_id varchar, session_date date, service_type "
    "varchar, scheduled_minutes integer, status varchar, attended_minutes integer, "
    "telehealth boolean",
    "assessments": "episode_id varchar, assessed_on date, instrument varchar, score double",
    "noms": "episode_id varchar, time_point varchar, collected_on date, contact varchar, "
    "use_frequency varchar, employment varchar, living varchar, arrests integer, "
    "self_help varchar",
}
_REUSED: list[Any] = []


def _columns(table: str) -> list[tuple[str, str]]:
    return [(c.split()[0], c.split()[1]) for c in SCHEMAS[table].split(", ")]


def memory_db(tables: dict[str, list[dict]], *, reuse: bool = False):
    """An in-memory DuckDB with the canonical schema holding these rows (built-in levels and
    instruments, then any instruments given).

    ``reuse``: empty one connection of this process and fill it again, rather than open a
    new database (13 ms): for the property tests, which use one dataset at a time (a
    connection returned before then holds the new rows). The derived tables and the macros are
    built as the load builds them (``compute.derived.build``); a reused connection keeps its
    canonical tables (emptied, in one call: dropping and making them again took ~6 ms of
    DuckDB's time) and its macros (the same statements, ~9 ms), and gets its derived tables
    made again (``create or replace``: dropping them first took 7 statements more)."""
    import duckdb

    from iop_metrics.compute import derived
    from iop_metrics.contract import BUILTIN_INSTRUMENTS, BUILTIN_LEVELS

    kept: set[str] = set()
    if reuse and _REUSED:
        con = _REUSED[0]
        made = con.execute(
            "select table_name from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main'"
        ).fetchall()
        kept = {name for (name,) in made if name in SCHEMAS}
        gone = [name for (name,) in made if name not in SCHEMAS and name not in derived.TABLES]
        # the canonical tables emptied and anything a test made dropped, in one call
        con.execute(
            "; ".join([f"delete from main.{name}" for name in sorted(kept)]
                      + [f'drop table main."{name}"' for name in gone] + ["select 1"])
        )  # fmt: skip
    else:
        # one thread: a few rows fit one of DuckDB's tasks, and the workers it wakes for each of
        # a document's ~18 statements cost ~10% more CPU for nothing (same rows either way)
        con = duckdb.connect(config={"threads": 1})
        if reuse:
            _REUSED.append(con)

    def named(table: str, row: tuple) -> dict:
        return dict(zip([c for c, _ in _columns(table)], row, strict=True))

    builtin = [
        (i.code, i.name, i.min_score, i.max_score, i.lower_is_better, i.caseness)
        + (i.reliable_change, i.source)
        for i in BUILTIN_INSTRUMENTS
    ]
    rows = {
        **tables,
        "levels_of_care": [named("levels_of_care", tuple(r)) for r in BUILTIN_LEVELS],
        "instruments": [named("instruments", r) for r in builtin]
        + list(tables.get("instruments", [])),
    }
    for name, schema in SCHEMAS.items():
        if name not in kept:
            con.execute(f"create table {name} ({schema})")
        if rows.get(name):  # through Arrow, typed as the table: executemany took ~70 ms a dataset
            _memory_db_rows = pa.table(  # read by name (DuckDB's replacement scan of a local:
                {c: _arrow([r.get(c) for r in rows[name]], t) for c, t in _columns(name)}
            )  # registering it and dropping the view again took ~0.7 ms a table)
            con.execute(f"insert into {name} select * from _memory_db_rows")
    if len(kept) == len(SCHEMAS):
        derived.build_tables(con)  # the macros the first build made are there
    else:
        derived.build(con)
    return con


def _arrow(values: list, kind: str):
    """``values`` as an Arrow array of the column's type; values given as text (a date as
    "2026-03-01") as strings, which DuckDB casts on insert as it cast executemany's."""
    try:
        return pa.array(values, ARROW[kind])
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


ARROW = {
    "varchar": pa.string(),
    "integer": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
}


def _browser():
    """This test process's Chromium (``report.browser.current``: the one the PDFs use, started
    on first use and again if it died; every host unresolvable, a throwaway profile)."""
    from iop_metrics.report import browser

    chromium = find_chromium()
    assert chromium, "apt-get install -y chromium"
    return browser.current(chromium)


def dom(html: Path) -> str:
    """The page's DOM after it loaded and its scripts ran, in headless Chromium with every
    host unresolvable (a tab of this process's browser)."""
    return _browser().evaluate(html, "document.documentElement.outerHTML")


AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe(html: Path) -> list[dict]:
    """axe-core's violations on the page, run inside headless Chromium with no network.

    The page is loaded as a reader opens it; then axe's script (from node_modules, fetched by
    ``make install``) runs in it over the document, and its violations come back as JSON.
    """
    assert AXE.is_file(), f"{AXE} is missing: run `make install` (it fetches axe-core with npm)"
    runner = "axe.run(document, {resultTypes: ['violations']})"
    runner += ".then(r => JSON.stringify(r.violations))"
    found = _browser().evaluate(html, f"{AXE.read_text(encoding='utf-8')};\n{runner}")
    assert isinstance(found, str), f"axe-core did not finish on {html}: {found!r}"
    results = json.loads(found)
    assert isinstance(results, list), results
    return results


# A higher-is-better instrument from the contract table (WHO-5 wellbeing index, 0..25).
WHO5 = {
    "code": "WHO-5",
    "name": "WHO-5 Well-Being Index",
    "min_score": "0",
    "max_score": "25",
    "lower_is_better": "false",
    "caseness": "13",
    "reliable_change": "5",
    "source": "program's own reading",
}


REFERENCE_SQL = Path(__file__).parent / "sql"
LONG_WAY = REFERENCE_SQL / "long_way_macros.sql"


@contextlib.contextmanager
def long_way(con) -> Iterator[None]:
    """``con`` computing the long way: the reference macros as temp macros, which shadow the
    database's own (those reading the derived tables) until the block ends."""
    lines = LONG_WAY.read_text().splitlines()
    code = "\n".join(line for line in lines if not line.startswith("--"))
    made = []
    for statement in filter(str.strip, code.split(";")):
        con.execute(statement)
        name, table = re.search(r"macro (\w+)\(.*?\) as (table)?", statement, re.S).groups()
        made.append(f"drop macro {'table ' if table else ''}temp.{name}")
    try:
        yield
    finally:
        for drop in made:
            con.execute(drop)


def long_way_recovery(name: str) -> str:
    """Recovery SQL file ``name`` (noms, noms_detail, follow_up, follow_up_detail) composed the
    long way: from the noms rows through the reference files in tests/sql (noms_items.sql,
    noms_time_points.sql, follow_up_due.sql), not from episode_noms and episode_follow_up."""
    from iop_metrics.compute.sqlfiles import compose, sql_code

    def ref(file: str) -> str:
        lines = (REFERENCE_SQL / f"{file}.sql").read_text().splitlines()
        return "\n".join(line for line in lines if not line.startswith("--")).strip()

    if name.startswith("noms"):
        given = {
            "domains": sql_code("noms_domains"),
            "items": ref("noms_items"),
            "ended": sql_code("noms_ended"),
            "time_points": ref("noms_time_points"),
        }
    else:
        given = {
            "windows": sql_code("follow_up_windows"),
            "items": ref("noms_items"),
            "due": ref("follow_up_due"),
            "answers": sql_code("follow_up_answers"),
        }
    return compose(name, given=given)
