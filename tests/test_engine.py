"""The engine boundary: plain rows out of the DuckDB engine, DataFrames above it that equal
DuckDB's own ``.df()``, and a metrics document computed without importing pandas."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest
from catalogue import QUERIES, extra_for

from iop_metrics.compute import metrics as m
from iop_metrics.compute.engine import DuckDBEngine, Rows, compose, engine_of, used_params
from iop_metrics.compute.query import Query, run
from iop_metrics.periods import parse_period


def test_rows_hold_plain_python_values(sample_con):
    rows = DuckDBEngine(sample_con).query("discharges", Query.of(parse_period("2026-09")).params())
    assert rows.columns[:2] == ("total", "completed")
    assert rows.kinds[:2] == ("int64", "int64") and rows.kinds[-1] == "float64"
    assert len(rows.data) == 1 and all(type(v) in (int, float) for v in rows.data[0])


def test_engine_of_wraps_a_connection_and_keeps_an_engine(sample_con):
    engine = engine_of(sample_con)
    assert isinstance(engine, DuckDBEngine) and engine_of(engine) is engine


def test_a_missing_parameter_is_named():
    with pytest.raises(KeyError, match="as_of"):
        used_params(compose("census"), {"start": dt.date(2026, 1, 1)})


def test_frame_keeps_nulls_and_dtypes():
    rows = Rows(
        ("n", "d", "b", "s", "l"),
        ("int64", "date", "bool", "str", "object"),
        [(1, dt.date(2026, 5, 4), None, "x", None), (None, None, True, None, [1])],
    )
    df = rows.frame()
    assert [str(t) for t in df.dtypes] == ["Int64", "datetime64[us]", "boolean", "str", "object"]
    assert df["n"].isna().tolist() == [False, True] and df.loc[0, "d"] == pd.Timestamp("2026-05-04")
    assert df.loc[0, "l"] is pd.NA and df.loc[1, "l"] == [1]
    assert Rows(("s",), ("str",), []).frame()["s"].dtype == object
    assert Rows(("s",), ("str",), [(None,)]).frame()["s"].dtype == object  # only nulls


@pytest.mark.parametrize("period", ["2026-09", "2023-01"])
def test_frames_equal_duckdbs_own_df_for_every_query(sample_con, period):
    q = Query.of(parse_period(period))
    for name, bind, extra in QUERIES:
        values = {**q.params(), **extra_for(q, extra)}
        text = compose(name, bind)
        native = sample_con.execute(text, used_params(text, values)).df()
        pd.testing.assert_frame_equal(
            run(sample_con, name, q, bind=bind, extra=extra_for(q, extra)), native
        )


def test_document_needs_no_pandas(sample_db):
    code = (
        "import sys, duckdb, json\n"
        "import iop_metrics as im\n"
        "from iop_metrics.compute.formats import render_document\n"
        f"con = duckdb.connect({str(sample_db)!r}, read_only=True)\n"
        "q = im.Query.of(im.parse_period('2026-09'))\n"
        "doc = im.document(con, q)\n"
        "sys.stdout.write(render_document(doc, 'json'))\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import duckdb

    con = duckdb.connect(str(sample_db), read_only=True)
    expected = m.document(con, Query.of(parse_period("2026-09")))
    assert json.loads(out.stdout) == json.loads(json.dumps(expected))
    assert expected["census"]["admissions"] > 0
