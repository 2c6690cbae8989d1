"""Each SQL file says what it reads in its header (``-- reads: cte=file``), and the engine composes
a query from the headers alone: a file names exactly the CTEs it reads and does not define, the
files it names exist, and every file is a query of the catalogue or read by one."""

from __future__ import annotations

import re
from importlib import resources

import pytest
from catalogue import QUERIES

from iop_metrics.compute import sqlfiles
from iop_metrics.compute.sqlfiles import CHOSEN, compose, read_files, reads_of, sql_code

SQL = resources.files("iop_metrics.compute").joinpath("sql")
FILES = sorted(p.name[:-4] for p in SQL.iterdir() if p.name.endswith(".sql"))
QUERY_FILES = [f for f in FILES if not f.startswith("_")]
# read from/join a name, not a schema-qualified table nor a macro call
READ = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b(?!\s*\(|\.)", re.IGNORECASE)
DEFINED = re.compile(r"\b([a-z_][a-z0-9_]*)\s+as\s+\(", re.IGNORECASE)
# what a trend query is given by series.py as rows (not a file): the months, the cohort rows
GIVEN = {"series_attendance", "series_episodes", "series_dosage", "series_transitions"}


def undefined_reads(name: str) -> set[str]:
    """The names file ``name`` reads rows from that it does not define itself."""
    code = sql_code(name)
    return set(READ.findall(code)) - set(DEFINED.findall(code)) - {"unnest", "values"}


@pytest.mark.parametrize("name", QUERY_FILES)
def test_a_header_names_exactly_what_the_file_reads(name):
    declared = [cte for cte, _ in reads_of(name)]
    assert len(declared) == len(set(declared)), f"{name}: a CTE declared twice"
    assert set(declared) == undefined_reads(name), name
    for _, file in reads_of(name):
        assert file == CHOSEN or file in QUERY_FILES, f"{name}: reads {file}.sql, not a file"


def test_every_file_is_run_here_or_read_by_one():
    """A file no query runs nor reads is dead (or a catalogue entry is missing)."""
    reached: set[str] = set()
    for name, bind, _ in QUERIES:
        reached |= {name, *(f for _, f in read_files(name, bind))}
    given = dict.fromkeys(["months", "cohorts"], "")  # rows series.py gives (test_series)
    derived = {f for f in QUERY_FILES if f.startswith("derived_")}  # built at load
    for name in GIVEN | {"series_cohort"} | derived:
        reached |= {name, *(f for _, f in read_files(name, given=given))}
    assert sorted(set(QUERY_FILES) - reached) == []


def test_compose_puts_each_file_once_after_what_it_reads():
    assert [c for c, _ in read_files("outcomes")] == ["ended", "detail", "courses"]
    assert compose("outcomes").startswith("with ended as (\nwith ended as (")
    assert [c for c, _ in read_files("noms")] == ["domains", "ended", "time_points", "detail"]
    assert read_files("case_mix_patterns", {"outcome": "case_mix_step_down"}) == [
        ("detail", "transitions_detail"),
        ("outcome", "case_mix_step_down"),
    ]
    given = {"ended": "select 1", "detail": "select 2"}
    assert read_files("outcomes", given=given) == [("courses", "outcomes_episodes")]
    bound = read_files("retention", {"detail": "series_cohort"}, {"cohorts": "select 1"})
    assert bound == [("detail", "series_cohort"), ("curve", "retention_curve")]


def test_a_header_that_cannot_compose_is_named(monkeypatch):
    files = {
        "a": "-- reads: x=b\nselect * from x",
        "b": "-- reads: y=a\nselect * from y",
        "c": "-- reads: x=d, y=e\nselect * from x, y",
        "d": "select 1",
        "e": "-- reads: x=f\nselect * from x",
        "f": "select 2",
        "g": "-- reads: o=?\nselect * from o",
        "h": "-- reads: x: d\nselect 1",
    }
    monkeypatch.setattr(sqlfiles, "sql_text", files.__getitem__)
    sqlfiles.reads_of.cache_clear()
    try:
        with pytest.raises(ValueError, match="a -> b -> a: the files read each other"):
            read_files("a")
        with pytest.raises(ValueError, match="`x` names two files here: d, f"):
            read_files("c")
        with pytest.raises(ValueError, match="g.sql reads `o`, a file the caller chooses"):
            read_files("g")
        assert read_files("g", {"o": "d"}) == [("o", "d")]
        with pytest.raises(ValueError, match="h.sql: `-- reads: x: d` is not cte=file"):
            reads_of("h")
    finally:
        sqlfiles.reads_of.cache_clear()
