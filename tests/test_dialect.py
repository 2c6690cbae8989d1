"""The Spark translation without Spark: every composed query transpiles, and each fix of the
project's dialect writes the SQL it should (run by ``make test``; no Java needed)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.parquet as pq
import pytest
from catalogue import QUERIES, extra_for

from iop_metrics.cli import main
from iop_metrics.compute.dialect import PARAM_TYPES, inline_macros, literal, to_spark
from iop_metrics.compute.engine import compose, used_params
from iop_metrics.compute.query import Query, Scope
from iop_metrics.periods import parse_period


@pytest.mark.parametrize("period", ["2026-09", "2023-01"])
def test_every_query_transpiles_to_self_contained_spark_sql(period):
    q = Query.of(parse_period(period), scope=Scope(levels=None))
    for name, bind, extra in QUERIES:
        text = compose(name, bind)
        out = to_spark(text, used_params(text, {**q.params(), **extra_for(q, extra)}))
        for leftover in ("$", "main.", "scoped_episodes(", "next_episode(", "PRODUCT("):
            assert leftover not in out, f"{name}: {leftover} left in {out[:200]}"
        assert "CAST(NULL AS ARRAY<STRING>)" in out or "$levels" not in text


def test_every_membership_query_transpiles_to_self_contained_spark_sql():
    """The disclosure's membership SQL composed as ``atoms._rows`` runs it (its given tables,
    the files it reads) carries to Spark with nothing DuckDB's left in it."""
    from importlib import resources

    from iop_metrics.disclosure import atoms

    q = Query.of(parse_period("2026-09"), scope=Scope(levels=None))
    given = {
        "months": atoms._values(
            [("2026-09", dt.date(2026, 9, 1), dt.date(2026, 9, 30))],
            "label, month_start, month_end",
        ),
        "los_groups": atoms._values([("1-7", 1, 7)], "label, lo, hi"),
        "outcomes": atoms._compose("site_course_outcomes", {}),
    }
    extra = {"flow_table": "flow", "page_window": "period", "period_start": q.period.start}
    extra["period_end"] = q.period.end
    extra["closed_days"] = [dt.date(2026, 9, 7)]  # a list (session_groups' closed days)
    folder = resources.files("iop_metrics.disclosure").joinpath("sql")
    names = sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".sql"))
    want = {"episode_cells", "session_cells", "outcome_cells", "site_course_outcomes"}
    assert want | {"instrument_cells", "cadence_cells"} <= set(names)
    assert {"noms_cells", "follow_up_cells", "client_cells", "quality_cells"} <= set(names)
    assert {"site_noms_outcomes", "site_follow_up_outcomes"} <= set(names)
    for name in names:
        text = atoms._compose(name, given)
        out = to_spark(text, used_params(text, {**q.params(), **extra}))
        for leftover in ("$", "main.", "scoped_episodes(", "next_episode(", "PRODUCT("):
            assert leftover not in out, f"{name}: {leftover} left in {out[:200]}"


def test_a_query_translated_again_takes_the_new_values_and_leaves_the_first_translation():
    """to_spark parses a text once (cached) and binds a copy: a second period gets its own
    dates, and the first period's translation is the same when asked again; a macro's body,
    parsed once, is filled with each call's own arguments."""
    text = compose("retention")  # macros, a window product, every parameter kind
    september, january = (Query.of(parse_period(p)).params() for p in ("2026-09", "2023-01"))
    first = to_spark(text, used_params(text, september))
    second = to_spark(text, used_params(text, january))
    assert "CAST('2026-09-30' AS DATE)" in first and "2023" not in first
    assert "CAST('2023-01-31' AS DATE)" in second and "2026-09" not in second
    assert to_spark(text, used_params(text, september)) == first
    assert to_spark(text, used_params(text, september), prefix="x_") == first.replace("iop_", "x_")
    # a macro's body is parsed once too: two calls with other arguments in one query
    import sqlglot

    twice = "select severity_band('PHQ-9', 12), severity_band('GAD-7', 16)"
    sql = inline_macros(sqlglot.parse_one(twice, read="duckdb")).sql("duckdb")
    assert duckdb.connect().execute(sql).fetchall() == [("moderate", "severe")]


def test_iso_weekday_is_monday_one_sunday_seven():
    assert to_spark("select isodow(d) from t", {}) == "SELECT (WEEKDAY(d) + 1) FROM t"


def test_nested_with_lists_stay_in_place():
    out = to_spark(
        "with a as (with final as (select 1 as x) select * from final) select * from a", {}
    )
    assert out.startswith("WITH a AS (WITH final AS")


def test_ordered_list_keeps_its_order_and_is_null_for_no_rows():
    out = to_spark("select list({'level': l, 'n': n} order by l) from t", {})
    assert out == (
        "SELECT CASE WHEN COUNT(*) = 0 THEN NULL ELSE TRANSFORM(ARRAY_SORT(COLLECT_LIST("
        "STRUCT(STRUCT(l AS k0) AS k, STRUCT(l AS level, n AS n) AS v))), p -> p.v) END FROM t"
    )


def test_window_product_is_a_fold_in_frame_order():
    out = to_spark("select product(f) over (order by d) from t", {})
    assert out == (
        "SELECT AGGREGATE(COLLECT_LIST(f) OVER (ORDER BY d NULLS LAST), CAST(1.0 AS DOUBLE), "
        "(acc, x) -> acc * x) FROM t"
    )


def test_parameters_become_typed_literals():
    assert literal(None, PARAM_TYPES["site"]).sql("spark") == "CAST(NULL AS STRING)"
    assert literal([], PARAM_TYPES["closed_days"]).sql("spark") == "CAST(ARRAY() AS ARRAY<DATE>)"
    assert literal(["2.1", "1"], PARAM_TYPES["levels"]).sql("spark") == "ARRAY('2.1', '1')"
    assert literal(dt.date(2026, 5, 31), "DATE").sql("spark") == "CAST('2026-05-31' AS DATE)"
    assert literal(14, "INT").sql("spark") == "14"
    with pytest.raises(KeyError, match="as_of"):
        to_spark("select $as_of", {})


def test_macros_are_inlined_with_their_arguments():
    import sqlglot

    text = "select severity_band(i, s) as b from (values ('PHQ-9', 12), ('GAD-7', 16)) as v (i, s)"
    sql = inline_macros(sqlglot.parse_one(text, read="duckdb")).sql("duckdb")
    assert "severity_band" not in sql
    assert duckdb.connect().execute(sql).fetchall() == [("moderate",), ("severe",)]


def test_export_writes_one_parquet_folder_per_table(sample_db, tmp_path, capsys):
    assert main(["export", "--db", str(sample_db), "--parquet", str(tmp_path / "out")]) == 0
    assert "sessions (21,923 rows)" in capsys.readouterr().out
    for table in ("levels_of_care", "clients", "episodes", "sessions", "assessments", "load_log"):
        files = sorted((tmp_path / "out" / table).iterdir())
        assert [f.name for f in files] == ["part-0.parquet"]
    episodes = pq.read_table(tmp_path / "out" / "episodes")
    con = duckdb.connect(str(sample_db), read_only=True)
    assert episodes.num_rows == con.execute("select count(*) from episodes").fetchall()[0][0]
    assert not list((tmp_path / "out").glob(".*partial"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "spark"], "--engine spark reads --data-path"),
        (["--data-path", "x"], "go with --engine spark"),
        (["--spark-remote", "sc://h:15002"], "go with --engine spark"),
    ],
)
def test_engine_flags_are_checked(args, message, capsys):
    assert main(["metrics", *args]) == 2
    assert message in capsys.readouterr().err


def test_spark_tests_fail_rather_than_skip_without_spark(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_REMOTE")}
    env["PATH"] = str(tmp_path)  # no java on it
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "spark"]
        + ["tests/test_spark.py", "-k", "spark_sql_reads"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stdout[-800:]
    assert "Spark is not available" in proc.stdout and "skipped" not in proc.stdout


def test_spark_extra_is_pinned_exactly_and_locked():
    import re
    import tomllib

    from conftest import ROOT

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    lock = (ROOT / "requirements-spark.lock").read_text().lower()
    for req in extra["spark"]:
        name, version = re.match(r"([a-z0-9_-]+)(?:\[[a-z,]+\])?==([0-9.]+)$", req).groups()
        assert f"\n{name}=={version}\n" in lock, f"{req} is not what requirements-spark.lock pins"
    assert "sqlglot==30.30.0" in extra["dev"] and "sqlglot==30.30.0" in extra["spark"]
