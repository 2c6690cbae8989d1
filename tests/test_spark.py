"""Spark gives the figures DuckDB gives: every query row for row, the whole document and a
report's metrics.json, on the worked example of metrics.md and on five scenarios of the sample;
and the records of an external copy's counts (every membership file of ``disclosure/sql``, for
a report and the sites page) on October 2026 of the sample.

Marked ``spark``: deselected by ``make test``, run by ``make test-spark`` (which installs pyspark
and a Java runtime). Without Spark these tests fail; they never skip.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from catalogue import QUERIES, extra_for

from iop_metrics.compute import metrics as m
from iop_metrics.compute.query import Query, Scope, latest_complete_month, records
from iop_metrics.disclosure.published import CHECKS
from iop_metrics.ingest.export import export, export_connection
from iop_metrics.ingest.sample import example_connection
from iop_metrics.periods import parse_period
from iop_metrics.report import data as report_data

pytestmark = pytest.mark.spark
REL = 1e-12
SCENARIOS = {
    "month": Query.of(parse_period("2026-09")),
    "quarter-site": Query.of(parse_period("2026-Q2"), scope=Scope(site="north")),
    "year-track-as-of": Query.of(
        parse_period("2025"), as_of=dt.date(2026, 3, 31), scope=Scope(track="adult-day")
    ),
    "all-levels": Query.of(parse_period("2026-03"), scope=Scope(levels=None)),
    "empty": Query.of(parse_period("2023-01")),
}
WORKED = Query.of(parse_period("2026-05"))


@pytest.fixture(scope="session")
def spark_session():
    """One local Spark session for the whole run (starting one takes 10-20 s)."""
    from iop_metrics.compute.spark import session
    from iop_metrics.errors import InputError

    try:
        spark = session(master="local[2]", driver_memory="2g")
    except InputError as err:  # no pyspark or no Java: a failure, never a skip
        pytest.fail(f"Spark is not available (run `make test-spark`): {err}")
    spark.sparkContext.setLogLevel("ERROR")
    # Tiny tables: skip adaptive planning and code generation (about twice as fast here; the
    # figures do not depend on either).
    spark.conf.set("spark.sql.adaptive.enabled", "false")
    spark.conf.set("spark.sql.codegen.wholeStage", "false")
    spark.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN")
    yield spark
    spark.stop()


@pytest.fixture(scope="session")
def sample_spark(spark_session, sample_db, tmp_path_factory):
    from iop_metrics.compute.spark import SparkEngine

    out = tmp_path_factory.mktemp("parquet") / "sample"
    export(sample_db, out)
    return SparkEngine(spark_session, str(out))


@pytest.fixture(scope="session")
def worked(spark_session, tmp_path_factory):
    from iop_metrics.compute.spark import SparkEngine

    con = example_connection()
    out = tmp_path_factory.mktemp("parquet") / "worked"
    export_connection(con, out)
    return con, SparkEngine(spark_session, str(out))


def same(a: Any, b: Any) -> bool:
    """Exact for ints, strings, dates, booleans and nulls; floats within 1e-12 relative."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= REL * max(abs(a), abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def assert_same_rows(expected: list[dict[str, Any]], got: list[dict[str, Any]], what: str) -> None:
    assert len(got) == len(expected), f"{what}: {len(got)} rows on Spark, {len(expected)} on DuckDB"
    for i, (x, y) in enumerate(zip(expected, got, strict=True)):
        assert list(y) == list(x), f"{what}: columns differ"
        bad = {k: (x[k], y[k]) for k in x if not same(x[k], y[k])}
        assert not bad, f"{what} row {i}: (duckdb, spark) {bad}"


def test_same_helper_is_strict():
    assert same(1.0, 1.0 + 1e-15) and not same(1.0, 1.0 + 1e-9)
    assert not same(1, 1.0) and not same(None, 0) and not same(True, 1)
    assert same({"a": [1, None]}, {"a": [1, None]}) and not same([], None)


def _compare_all(con, engine, q: Query) -> int:
    compared = 0
    for name, bind, extra in QUERIES:
        ex = extra_for(q, extra)
        expected = records(con, name, q, bind=bind, extra=ex)
        got = records(engine, name, q, bind=bind, extra=ex)
        assert_same_rows(expected, got, f"{name} {extra}")
        compared += len(expected)
    return compared


def test_worked_example_every_query_and_document(worked):
    con, engine = worked
    assert _compare_all(con, engine, WORKED) > 20
    doc = m.document(engine, WORKED)
    assert doc["census"]["admissions"] == 2 and doc["census"]["active_at_end"] == 1
    assert same(json.loads(json.dumps(doc)), json.loads(json.dumps(m.document(con, WORKED))))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_sample_every_query_and_document(sample_spark, sample_con, scenario):
    q = SCENARIOS[scenario]
    assert _compare_all(sample_con, sample_spark, q) > 0
    doc, expected = m.document(sample_spark, q), m.document(sample_con, q)
    assert (doc["census"]["admissions"] == 0) == (scenario == "empty")
    assert list(doc) == list(expected)
    assert same(json.loads(json.dumps(doc)), json.loads(json.dumps(expected)))


def test_report_metrics_json(sample_spark, sample_con):
    q = SCENARIOS["month"]
    got = json.loads(
        report_data.metrics_json(report_data.gather(sample_spark, q, suppress=11))["metrics_json"]
    )
    expected = json.loads(
        report_data.metrics_json(report_data.gather(sample_con, q, suppress=11))["metrics_json"]
    )
    assert got["suppression"]["k"] == 11 and list(got) == list(expected)
    assert same(got, expected)


def test_spark_sql_reads_main_tables_through_views(sample_spark):
    rows = sample_spark.sql("select count(*) as n from main.sessions")
    assert rows.columns == ("n",) and rows.data == [(21923,)]
    assert latest_complete_month(sample_spark).label == "2026-10"


def test_cli_metrics_over_spark_connect_match_duckdb(worked, tmp_path):
    """`iop-metrics metrics --engine spark --spark-remote ...` end to end, over Spark Connect
    (a local Connect server that pyspark starts for ``local[2]``), in its own process."""
    import os
    import subprocess
    import sys

    from iop_metrics.compute.formats import render_document

    con, _ = worked
    out = tmp_path / "worked"
    export_connection(con, out)
    env = {k: v for k, v in os.environ.items() if k != "SPARK_REMOTE"}
    proc = subprocess.run(
        [sys.executable, "-m", "iop_metrics.cli", "metrics", "--engine", "spark"]
        + ["--data-path", str(out), "--spark-remote", "local[2]", "--period", "2026-05"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-1500:]
    got = json.loads(proc.stdout)
    expected = json.loads(render_document(m.document(con, WORKED), "json"))
    assert got["census"]["admissions"] == 2 and same(got, expected)


def _recovery_export(tables: dict, out) -> None:
    """Parquet folders of hand-made tables as ``export`` writes them: the canonical and derived
    tables from memory_db (built as load builds them), the load records from the worked
    example's export."""
    import shutil

    from helpers import SCHEMAS, memory_db

    from iop_metrics.compute.derived import TABLES as DERIVED

    export_connection(example_connection(), out)
    con = memory_db(tables)
    for table in (*SCHEMAS, *DERIVED):
        folder = out / table
        shutil.rmtree(folder)
        folder.mkdir()
        con.execute(f"copy main.{table} to '{folder / 'part-0.parquet'}' (format parquet)")


RECOVERY_SCENARIOS = {
    "june": Query.of(parse_period("2026-06")),
    "june-north": Query.of(parse_period("2026-06"), scope=Scope(site="north")),
    "june-every-level": Query.of(parse_period("2026-06"), scope=Scope(levels=None)),
    "q2-track-as-of": Query.of(
        parse_period("2026-Q2"), as_of=dt.date(2026, 9, 30), scope=Scope(track="evening")
    ),
}


@pytest.fixture(scope="module")
def recovery_data():
    """Both hand-made datasets of test_recovery.py in one, some episodes at site north or on
    track evening, so that the scope filters select something."""
    from test_recovery import follow_dataset, noms_dataset

    a, b = noms_dataset(), follow_dataset()
    tables = {k: a[k] + b[k] for k in a}
    for i, e in enumerate(tables["episodes"]):
        e["site"] = "north" if i % 3 == 0 else "main"
        e["track"] = "evening" if i % 4 == 0 else None
    return tables


@pytest.mark.parametrize("scenario", list(RECOVERY_SCENARIOS))
def test_recovery_queries_and_keys(spark_session, recovery_data, tmp_path, scenario):
    """The four recovery queries row for row and both document keys, on data with noms rows."""
    from catalogue import QUERIES
    from helpers import memory_db

    from iop_metrics.compute.recovery import follow_up, noms
    from iop_metrics.compute.spark import SparkEngine

    q = RECOVERY_SCENARIOS[scenario]
    _recovery_export(recovery_data, tmp_path)
    con, engine = memory_db(recovery_data), SparkEngine(spark_session, str(tmp_path))
    try:
        names = ("noms_detail", "noms", "follow_up_detail", "follow_up")
        rows = 0
        for name, bind, _ in (x for x in QUERIES if x[0] in names):
            expected = records(con, name, q, bind=bind)
            assert_same_rows(expected, records(engine, name, q, bind=bind), name)
            rows += len(expected)
        assert rows > 9  # 5 domain rows and 4 window rows at the least, and detail rows
        for key in (noms, follow_up):
            assert same(key(engine, q), key(con, q))
    finally:
        engine.close()


def test_an_export_of_an_older_schema_is_refused(spark_session, tmp_path):
    """An export whose load_log records no schema version (made before the derived tables were
    built at every load) is refused with the commands that make a current one (exit 2)."""
    import duckdb

    from iop_metrics.compute.spark import SparkEngine
    from iop_metrics.errors import InputError

    export_connection(example_connection(), tmp_path / "old")
    log = tmp_path / "old" / "load_log" / "part-0.parquet"
    con = duckdb.connect()
    con.execute(f"create table rows as select * exclude (schema_version) from '{log}'")
    con.execute(f"copy rows to '{log}' (format parquet)")
    with pytest.raises(InputError, match="schema version 0.*export it again"):
        SparkEngine(spark_session, str(tmp_path / "old"))


MEMBERSHIP = Query.of(parse_period("2026-10"))
MEMBERSHIP_SCOPES = {"program": Scope(), "north": Scope(site="north")}


@pytest.fixture(scope="module")
def membership_calls(sample_db):
    """Every membership query an external copy runs for October 2026 (``disclosure/sql``), as
    DuckDB runs it: per scope, the report's records (``atoms.document_members``), and the
    sites page's (``atoms.site_members``, both windows): (file, query, CTEs given, parameters)."""
    import duckdb

    from iop_metrics.compute import comparison as cmp
    from iop_metrics.disclosure import atoms, linked
    from iop_metrics.report import figures

    calls: dict[str, list[tuple[Any, ...]]] = {}
    con = duckdb.connect(str(sample_db), read_only=True)
    with con:
        for scope, s in MEMBERSHIP_SCOPES.items():  # as a report reads them
            q = Query.of(MEMBERSHIP.period, scope=s)
            calls[scope] = _spied(lambda q=q: figures._members(con, q))
        windows = [(w, cmp.window_query(MEMBERSHIP, w)) for w in linked.WINDOWS]
        calls["sites"] = _spied(lambda: atoms.site_members(con, MEMBERSHIP, windows))
    return calls


def _spied(run: Any) -> list[tuple[Any, ...]]:
    """The membership queries ``run()`` makes (``atoms._rows``), as DuckDB runs them: (file,
    query, CTEs given, parameters)."""
    from iop_metrics.disclosure import atoms

    calls: list[tuple[Any, ...]] = []
    real = atoms._rows

    def spy(con, name, q, given, **extra):
        calls.append((name, q, dict(given), extra))
        return real(con, name, q, given, **extra)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(atoms, "_rows", spy)
        run()
    return calls


def _same_records(con, engine, calls) -> tuple[dict[str, int], set[str]]:
    """Each call's rows on Spark are DuckDB's (the same records in the same cells, keyed
    alike; in any order, as ``atoms._group`` reads them): the rows per file, and the cells."""
    from iop_metrics.disclosure import atoms

    per_file: dict[str, int] = {}
    cells: set[str] = set()
    for name, q, given, extra in calls:
        expected = sorted(atoms._rows(con, name, q, given, **extra), key=repr)
        got = sorted(atoms._rows(engine, name, q, given, **extra), key=repr)
        what = f"{name} {q.period.label} {q.scope} {sorted(extra)}"
        assert_same_rows(
            [dict(enumerate(r)) for r in expected], [dict(enumerate(r)) for r in got], what
        )
        per_file[name] = per_file.get(name, 0) + len(expected)
        cells |= {str(r[1]) for r in expected}
    return per_file, cells


def test_membership_sql_covers_every_file(membership_calls):
    """The queries compared below compose every file of ``disclosure/sql``: a new one is
    compared on Spark as soon as an external copy reads it."""
    from importlib import resources

    from iop_metrics.disclosure import atoms

    files = sorted(
        f.name.removesuffix(".sql")
        for f in resources.files("iop_metrics.disclosure").joinpath("sql").iterdir()
        if f.name.endswith(".sql")
    )
    texts = [atoms._compose(c[0], c[2]) for calls in membership_calls.values() for c in calls]

    def body(file: str) -> str:  # as composed: a leading ``with`` joins the CTEs' list
        code = atoms._code(file).strip()
        return code[5:] if code[:5].lower() == "with " else code

    assert len(files) >= 20
    assert [f for f in files if not any(body(f) in t for t in texts)] == []


@pytest.mark.parametrize("scope", list(MEMBERSHIP_SCOPES))
def test_membership_records_match_duckdb(sample_spark, sample_con, membership_calls, scope):
    """Each membership query of a report gives on Spark the rows DuckDB gives (the same
    records in the same cells, keyed alike; in any order, as ``atoms._group`` reads them)."""
    per_file, _ = _same_records(sample_con, sample_spark, membership_calls[scope])
    assert sum(per_file.values()) > 1000
    assert [f for f, n in per_file.items() if n == 0] == []


def test_the_data_quality_checks_records_match_duckdb(spark_session, tmp_path):
    """On ``test_atoms.checks_dataset`` (open episodes without a session in 30 days, sessions
    on Memorial Day), loaded and exported: every membership query of May 2026's report gives
    on Spark the rows DuckDB gives, the checks' records among them (the sample has none)."""
    import duckdb
    from helpers import write_dataset
    from test_atoms import checks_dataset

    from iop_metrics.compute.spark import SparkEngine
    from iop_metrics.ingest.load import load
    from iop_metrics.periods import month
    from iop_metrics.report import figures

    db = tmp_path / "iop.duckdb"
    load(write_dataset(tmp_path / "d", checks_dataset()), db)
    export(db, tmp_path / "parquet")
    engine = SparkEngine(spark_session, str(tmp_path / "parquet"))
    con = duckdb.connect(str(db), read_only=True)
    try:
        calls = _spied(lambda: figures._members(con, Query.of(month(2026, 5))))
        per_file, cells = _same_records(con, engine, calls)
    finally:
        con.close()
        engine.close()
    assert per_file["episode_cells"] > 0 and per_file["session_cells"] > 0
    assert {f"quality[checks>{c}>].n" for c in CHECKS} <= cells


def test_sites_page_cells_and_records_match_duckdb(sample_spark, sample_con, membership_calls):
    """``linked.sites_cells`` on Spark: the sites page's counts (from the comparisons, given
    as a run computes them once) and the records of each (``site_*_outcomes.sql`` through
    ``episode_site_cells.sql``, ``session_site_cells.sql``, both windows), as on DuckDB."""
    from iop_metrics.compute import comparison as cmp
    from iop_metrics.disclosure import linked

    given = cmp.page_comparisons(sample_con, MEMBERSHIP)
    got, expected = (linked.sites_cells(c, MEMBERSHIP, given) for c in (sample_spark, sample_con))
    assert {x[0] for x in membership_calls["sites"]} == {"episode_site_cells", "session_site_cells"}
    assert len(expected.members) > 60 and sum(map(len, expected.members.values())) > 1000
    assert dict(got.members) == dict(expected.members)
    assert got == expected
