"""The metric SQL for Spark: DuckDB text in, one self-contained Spark SQL query out (sqlglot).

Three steps, so that one SQL file per metric stays the single source of truth:

1. ``inline_macros``: the macros of ``sql/_macros.sql`` are expanded in place (table
   macros as subqueries, scalar macros as expressions), since Spark has no macros;
2. ``bind``: each ``$parameter`` becomes a typed literal (``CAST(NULL AS STRING)``,
   ``ARRAY(DATE '...')``...), since Spark cannot infer the type of an untyped null or empty list;
3. the ``IopSpark`` dialect writes Spark SQL where plain sqlglot would be wrong or fail: ISO
   weekday (sqlglot gives Sunday = 2), nested ``with`` lists kept in place (hoisting them
   repeats the name ``final``), ordered ``list(x order by k)`` (Spark's ``collect_list`` drops
   the order and gives ``[]`` for no rows where DuckDB gives NULL), ``main.<table>`` mapped to
   the engine's table names, and ``product(x) over w`` (not a Spark SQL function) as a fold.

>>> import datetime as dt
>>> text = "select $start + 1 as d, isodow(d) as i from main.sessions"
>>> to_spark(text, {"start": dt.date(2026, 5, 1)})
"SELECT CAST('2026-05-01' AS DATE) + 1 AS d, (WEEKDAY(d) + 1) AS i FROM iop_sessions"
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.spark import Spark
from sqlglot.generators.spark import SparkGenerator

from .sqlfiles import macro_statements

TABLE_PREFIX = "iop_"
# The type of each parameter the SQL files use, for typed nulls and empty lists.
PARAM_TYPES = {
    "start": "DATE",
    "end": "DATE",
    "as_of": "DATE",
    "levels": "ARRAY<STRING>",
    "site": "STRING",
    "track": "STRING",
    "window": "INT",
    "by": "STRING",
    "attribute": "STRING",
    "closed_days": "ARRAY<DATE>",
}
_MACRO = re.compile(r"create or replace macro (\w+)\s*\(([^)]*)\)\s+as\s+(table\s+)?(.*)", re.S)


def table_name(name: str, prefix: str = TABLE_PREFIX) -> str:
    """The name under which the Spark engine registers canonical table ``name``."""
    return f"{prefix}{name}"


def rename_tables(tree: exp.Expr, prefix: str = TABLE_PREFIX, *, copy: bool = True) -> exp.Expr:
    """``main.<table>`` as the engine's view ``<prefix><table>`` (``copy=False``: in place)."""

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and node.db == "main" and not node.catalog:
            out = node.copy()
            out.set("db", None)
            out.set("this", exp.to_identifier(table_name(node.name, prefix)))
            return out
        return node

    return tree.transform(put, copy=copy)


# -- 1. macros --------------------------------------------------------------------------------


@cache
def macros() -> dict[str, tuple[tuple[str, ...], bool, str]]:
    """name -> (argument names, is a table macro, body text) from ``sql/_macros.sql`` (those
    reading the derived tables read the export's)."""
    out = {}
    for statement in macro_statements():
        match = _MACRO.match(statement)
        if not match:
            raise ValueError(f"_macros.sql: not a macro: {statement[:60]}")
        name, args, table, body = match.groups()
        out[name] = (tuple(a.strip() for a in args.split(",") if a.strip()), bool(table), body)
    return out


@cache
def _body(name: str) -> exp.Expr:
    """Macro ``name``'s body parsed once (callers transform a copy, never this tree)."""
    return sqlglot.parse_one(macros()[name][2], read="duckdb")


def _expand(name: str, args: list[exp.Expr]) -> exp.Expr:
    names, _, _ = macros()[name]
    if len(args) != len(names):
        raise ValueError(f"macro {name} takes {len(names)} arguments, not {len(args)}")
    values = dict(zip(names, args, strict=True))
    tree = _body(name)

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in values:
            return exp.paren(values[node.name].copy(), copy=False)
        return node

    return inline_macros(tree.transform(put))


def inline_macros(tree: exp.Expr) -> exp.Expr:
    """``tree`` with every call of a macro of ``_macros.sql`` expanded in place."""
    known = macros()

    def expand(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            call = node.this
            if call.name in known:
                alias = node.alias or call.name
                body = _expand(call.name, list(call.expressions))
                return exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
        if (
            isinstance(node, exp.Anonymous)
            and node.name in known
            and not known[node.name][1]
            and not isinstance(node.parent, exp.Table)
        ):
            return exp.paren(_expand(node.name, list(node.expressions)), copy=False)
        return node

    return tree.transform(expand)


# -- 2. parameters ----------------------------------------------------------------------------


def literal(value: Any, sql_type: str | None) -> exp.Expr:
    """``value`` as a Spark literal of ``sql_type`` (inferred from the value when ``None``)."""
    if value is None or (isinstance(value, list | tuple) and not value):
        if sql_type is None:
            raise ValueError("a null or empty parameter needs a known type")
        empty = "NULL" if value is None else "ARRAY()"
        return sqlglot.parse_one(f"CAST({empty} AS {sql_type})", read="spark")
    if isinstance(value, list | tuple):
        inner = sql_type[6:-1] if sql_type and sql_type.startswith("ARRAY<") else None
        return exp.Array(expressions=[literal(v, inner) for v in value])
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, int | float):
        return exp.Literal.number(repr(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"no Spark literal for a {type(value).__name__} parameter")


def bind(tree: exp.Expr, params: Mapping[str, Any]) -> exp.Expr:
    """``tree`` with each ``$name`` placeholder replaced by its value as a typed literal."""

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in params:
                raise KeyError(node.name)
            return literal(params[node.name], PARAM_TYPES.get(node.name))
        return node

    return tree.transform(put)


# -- 3. the dialect ---------------------------------------------------------------------------


def _ordered_list(self: SparkGenerator, e: exp.ArrayAgg) -> str:
    """DuckDB ``list(x order by k)``: NULL for no rows, else x sorted by k."""
    this = e.this
    if not isinstance(this, exp.Order):
        return self.func("COLLECT_LIST", this)
    value, keys = this.this, this.expressions
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=o.this.copy())
        for i, o in enumerate(keys)
    ]
    if any(o.args.get("desc") for o in keys):
        self.unsupported("list(... order by ... desc) is not translated")
    pair = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("k"), expression=exp.Struct(expressions=fields)),
            exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()),
        ]
    )
    sorted_sql = self.func("ARRAY_SORT", self.func("COLLECT_LIST", pair))
    return f"CASE WHEN COUNT(*) = 0 THEN NULL ELSE TRANSFORM({sorted_sql}, p -> p.v) END"


class IopSpark(Spark):
    """Spark SQL as the metric files need it (see the module docstring)."""

    class Generator(SparkGenerator):
        EXPRESSIONS_WITHOUT_NESTED_CTES: ClassVar[set[type[exp.Expr]]] = set()
        TRANSFORMS = {
            **SparkGenerator.TRANSFORMS,
            exp.DayOfWeekIso: lambda self, e: f"({self.func('WEEKDAY', e.this)} + 1)",
            exp.ArrayAgg: _ordered_list,
        }


def window_products(tree: exp.Expr, *, copy: bool = True) -> exp.Expr:
    """``product(x) over w`` (no such function in Spark SQL) as a left-to-right fold of
    ``collect_list(x) over w``; an empty frame gives 1.0 where DuckDB gives NULL, which the SQL
    files ``coalesce`` to 1.0 anyway (``copy=False``: in place)."""

    def fold(node: exp.Expr) -> exp.Expr:
        if not (
            isinstance(node, exp.Window)
            and isinstance(node.this, exp.Anonymous)
            and node.this.name.lower() == "product"
        ):
            return node
        listed = node.copy()
        listed.set("this", exp.Anonymous(this="COLLECT_LIST", expressions=node.this.expressions))
        return exp.Anonymous(
            this="AGGREGATE",
            expressions=[
                listed,
                exp.cast(exp.Literal.number("1.0"), "DOUBLE"),
                exp.Lambda(
                    this=exp.Mul(this=exp.column("acc"), expression=exp.column("x")),
                    expressions=[exp.to_identifier("acc"), exp.to_identifier("x")],
                ),
            ],
        )

    return tree.transform(fold, copy=copy)


@lru_cache(maxsize=256)
def _inlined(text: str) -> exp.Expr:
    """``text`` parsed with its macros inlined, once per text: a query run for another period
    differs only in its parameters (callers transform a copy, never this tree)."""
    return inline_macros(sqlglot.parse_one(text, read="duckdb"))


def to_spark(text: str, params: Mapping[str, Any], *, prefix: str = TABLE_PREFIX) -> str:
    """DuckDB SQL ``text`` (macros, ``$parameters``, ``main.`` tables) as one Spark SQL query;
    ``main.<table>`` is read from the view ``<prefix><table>``."""
    tree = bind(_inlined(text), params)  # a copy, which the two steps after change in place
    tree = rename_tables(window_products(tree, copy=False), prefix, copy=False)
    return tree.sql(dialect=IopSpark, unsupported_level=sqlglot.ErrorLevel.RAISE)
