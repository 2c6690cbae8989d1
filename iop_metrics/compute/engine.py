"""The engine boundary: run a named metric query with parameters, get plain rows.

Every figure comes from one SQL file in ``sql/`` (the single source of truth). An engine takes
the file's name and the values of its ``$parameters``, puts in front of it the files its header
says it reads (``sqlfiles.compose``), and returns
``Rows``: column names, a neutral type per column and the rows as tuples of plain Python values
(``int``, ``float``, ``str``, ``bool``, ``datetime.date``, ``None``, lists and dicts). Nothing here
imports pandas; ``Rows.frame`` does, for the callers that want a DataFrame.

``DuckDBEngine`` runs the SQL natively (the macros the load made in the database, DuckDB
parameters); the Spark engine in
``spark.py`` runs the same files through sqlglot. Everything above (the document, the report data,
the report) takes either.

>>> import duckdb
>>> rows = DuckDBEngine(duckdb.connect()).sql("select 1 as n, 'a' as s, null::double as x")
>>> rows.columns, rows.kinds, rows.data
(('n', 's', 'x'), ('int32', 'str', 'float64'), [(1, 'a', None)])
>>> rows.records()
[{'n': 1, 's': 'a', 'x': None}]
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .sqlfiles import compose

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

PARAM = re.compile(r"\$([a-z_]+)")
# Neutral column kinds, and the pandas dtype each becomes (the nullable one when a null occurs),
# chosen to match what DuckDB's own ``.df()`` gives so that frames are the same on any engine.
_DTYPES: dict[str, tuple[str, str]] = {
    "int64": ("int64", "Int64"),
    "int32": ("int32", "Int32"),
    "float64": ("float64", "float64"),
    "bool": ("bool", "boolean"),
    "date": ("datetime64[us]", "datetime64[us]"),
    "timestamp": ("datetime64[us]", "datetime64[us]"),
}
_DUCKDB_KINDS = {
    "BIGINT": "int64",
    "HUGEINT": "int64",
    "INTEGER": "int32",
    "DOUBLE": "float64",
    "FLOAT": "float64",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "VARCHAR": "str",
}


@dataclass(frozen=True)
class Rows:
    """A query's result: column names, a kind per column (int64, int32, float64, bool, date,
    timestamp, str, object) and the rows as tuples of plain Python values."""

    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    data: list[tuple[Any, ...]]

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.data]

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the dtypes DuckDB's ``.df()`` would give."""
        import pandas as pd

        cols = {}
        for i, (name, kind) in enumerate(zip(self.columns, self.kinds, strict=True)):
            values = [row[i] for row in self.data]
            if kind == "str":  # pandas' string dtype, but object for no rows or only nulls
                known = any(v is not None for v in values)  # (as DuckDB)
                cols[name] = pd.Series(values, dtype="str" if known else "object")
            elif kind in _DTYPES:
                plain, nullable = _DTYPES[kind]
                dtype = nullable if any(v is None for v in values) else plain
                cols[name] = pd.Series(values, dtype=dtype)
            else:  # lists and structs; a null is pd.NA (as DuckDB)
                cols[name] = pd.Series([pd.NA if v is None else v for v in values], dtype=object)
        return pd.DataFrame(cols, columns=list(self.columns))


class Engine(ABC):
    """Runs the metric SQL files; see the module docstring."""

    name: str

    @abstractmethod
    def query(
        self, name: str, params: Mapping[str, Any], *, bind: Mapping[str, str] | None = None
    ) -> Rows:
        """Run SQL file ``name`` with ``params``, after the files its header says it reads
        (``sqlfiles.compose``; ``bind`` chooses the file of a CTE the header leaves open)."""

    @abstractmethod
    def sql(self, text: str) -> Rows:
        """Run one plain query over the canonical tables (named ``main.<table>``)."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection or session."""


def used_params(text: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The values of the ``$parameters`` that ``text`` uses (a missing one is a KeyError)."""
    return {k: params[k] for k in sorted(set(PARAM.findall(text)))}


class DuckDBEngine(Engine):
    """The metric SQL on a DuckDB connection: the macros the load made, native parameters."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, text: str, params: Mapping[str, Any]) -> duckdb.DuckDBPyConnection:
        """Run ``text`` (metric SQL, which may call the macros the load made in the database)
        with the ``$parameters`` it uses from ``params``."""
        return self.con.execute(text, used_params(text, params))

    def query(
        self, name: str, params: Mapping[str, Any], *, bind: Mapping[str, str] | None = None
    ) -> Rows:
        return self._rows(self.execute(compose(name, bind), params))

    def sql(self, text: str) -> Rows:
        return self._rows(self.con.execute(text))

    def close(self) -> None:
        self.con.close()

    @staticmethod
    def _rows(cur: duckdb.DuckDBPyConnection) -> Rows:
        desc = cur.description or []
        kinds = tuple(_DUCKDB_KINDS.get(str(d[1]), "object") for d in desc)
        return Rows(tuple(d[0] for d in desc), kinds, cur.fetchall())


def engine_of(source: Engine | duckdb.DuckDBPyConnection) -> Engine:
    """``source`` itself when it is an engine, else a DuckDB engine on that connection."""
    return source if isinstance(source, Engine) else DuckDBEngine(source)
