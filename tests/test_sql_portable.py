"""Every metric SQL file stays portable: it parses with sqlglot (DuckDB dialect) and uses none of
the DuckDB constructs that fail or silently change figures on Spark (issue #9):

- ``date - date`` (an INTEGER on DuckDB, an INTERVAL on Spark): use ``date_diff('day', a, b)``;
- the ``range()`` / ``generate_series()`` table functions: use ``unnest(generate_series(...))``;
- ``isinf``, ``quantile_cont`` / ``quantile`` (use ``median``), ``dayname`` (use
  ``strftime(d, '%A')``: Spark's dayname gives 'Mon');
- an integer divided by a decimal literal (``x / 60.0`` is DECIMAL on Spark): cast to double;
- a schema other than ``main.`` (the engine maps ``main.<table>`` to its own tables).

``isodow``, ``product() over``, ordered ``list(x order by k)`` and nested ``with`` lists are
allowed: the project's Spark dialect translates them.
"""

from __future__ import annotations

import re
from importlib import resources

import pytest
import sqlglot
from sqlglot import exp

SQL_DIR = resources.files("iop_metrics.compute").joinpath("sql")
FILES = sorted(p.name for p in SQL_DIR.iterdir() if p.name.endswith(".sql"))
MACRO = re.compile(r"create or replace macro (\w+)\s*\(([^)]*)\)\s+as\s+(table\s+)?(.*)", re.S)
REFUSED_FUNCTIONS = {
    exp.IsInf: "isinf: compare with cast('Infinity' as double)",
    exp.PercentileCont: "quantile_cont: use median(x)",
    exp.Quantile: "quantile: use median(x)",
    exp.Dayname: "dayname: Spark gives 'Mon'; use strftime(d, '%A')",
}
DATE_NAME = re.compile(r"(date|_on)$")


def statements(name: str) -> list[tuple[str, str]]:
    """(label, select text) for each query in a file; a macro file gives one per macro body."""
    text = "\n".join(
        line
        for line in SQL_DIR.joinpath(name).read_text().splitlines()
        if not line.lstrip().startswith("--")
    )
    if not name.startswith("_"):
        return [(name, text)]
    out = []
    for chunk in text.split(";"):
        if chunk.strip():
            match = MACRO.match(chunk.strip())
            assert match, f"{name}: not a macro: {chunk.strip()[:60]}"
            out.append((f"{name}:{match.group(1)}", match.group(4)))
    return out


def parsed(name: str) -> list[tuple[str, exp.Expression]]:
    return [(label, sqlglot.parse_one(sql, read="duckdb")) for label, sql in statements(name)]


def is_date_like(node: exp.Expression) -> bool:
    if isinstance(node, exp.Paren):
        return is_date_like(node.this)
    if isinstance(node, exp.Cast):
        return node.to.is_type(exp.DataType.Type.DATE)
    if isinstance(node, exp.Column):
        return bool(DATE_NAME.search(node.name))
    if isinstance(node, exp.Min | exp.Max):
        return is_date_like(node.this)
    return False


def problems(tree: exp.Expression) -> list[str]:
    """The non-portable constructs in one parsed query."""
    found = []
    for node in tree.walk():
        for kind, why in REFUSED_FUNCTIONS.items():
            if isinstance(node, kind):
                found.append(why)
        if isinstance(node, exp.GenerateSeries) and not isinstance(node.parent, exp.Explode):
            found.append("range()/generate_series() as a table: use unnest(generate_series(...))")
        if isinstance(node, exp.Sub) and is_date_like(node.left) and is_date_like(node.right):
            found.append(f"date - date ({node.sql('duckdb')}): use date_diff('day', a, b)")
        if (
            isinstance(node, exp.Div)
            and isinstance(node.expression, exp.Literal)
            and node.expression.is_number
            and "." in node.expression.this
        ):
            found.append(f"division by a decimal literal ({node.sql('duckdb')}): cast to double")
        if isinstance(node, exp.Table) and node.db and node.db != "main":
            found.append(f"schema {node.db}.: only main.<table> is mapped by the engines")
    return found


def test_every_sql_file_is_checked():
    assert "_macros.sql" in FILES and "retention_curve.sql" in FILES and len(FILES) >= 20


@pytest.mark.parametrize("name", FILES)
def test_sql_file_is_portable(name):
    for label, tree in parsed(name):
        scalar = ("severity_band", "age_band", "noms_item", "noms_positive", "noms_use_level")
        assert isinstance(tree, exp.Query) or label.endswith(scalar), label
        assert problems(tree) == [], label


MEMBERSHIP = resources.files("iop_metrics.disclosure").joinpath("sql")


@pytest.mark.parametrize(
    "name", sorted(p.name for p in MEMBERSHIP.iterdir() if p.name.endswith(".sql"))
)
def test_membership_sql_file_is_portable(name):
    """The disclosure's membership SQL (which records each published count counts) runs on
    both engines as the metric files do (``atoms._rows``), so it is held to the same rules."""
    text = "\n".join(
        line
        for line in MEMBERSHIP.joinpath(name).read_text().splitlines()
        if not line.lstrip().startswith("--")
    )
    tree = sqlglot.parse_one(text, read="duckdb")
    assert isinstance(tree, exp.Query) and problems(tree) == [], name


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("select discharge_date - admit_date from e", "date - date"),
        ("select cast($as_of as date) - min(admit_date) from e", "date - date"),
        ("select d from range(1, 5) as t (d)", "range()"),
        ("select isinf(x) from t", "isinf"),
        ("select quantile_cont(x, 0.5) from t", "quantile_cont"),
        ("select dayname(d) from t", "dayname"),
        ("select minutes / 60.0 from t", "decimal literal"),
        ("select * from other.sessions", "schema other."),
    ],
)
def test_non_portable_constructs_are_refused(sql, why):
    found = problems(sqlglot.parse_one(sql, read="duckdb"))
    assert any(why in p for p in found), found


@pytest.mark.parametrize(
    "sql",
    [
        "select date_diff('day', admit_date, discharge_date) + 1 from e",
        "select discharge_date + 7, cast($as_of as date) - 30 from e",
        "select unnest(generate_series(1, 5)) as d",
        "select median(x), isodow(d), strftime(d, '%A'), cast(m as double) / 60 from main.t",
    ],
)
def test_portable_constructs_pass(sql):
    assert problems(sqlglot.parse_one(sql, read="duckdb")) == []
