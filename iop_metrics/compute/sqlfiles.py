"""The metric SQL files in ``sql/``, read from the package (``importlib.resources``): the text of
one file, and its code without comment lines. Both engines and the derived tables read through
here, so ``derived.py`` needs nothing from ``engine.py`` (which imports it)."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql_text(name: str) -> str:
    """The text of ``iop_metrics/compute/sql/<name>.sql``."""
    return resources.files("iop_metrics.compute").joinpath("sql", f"{name}.sql").read_text()


def sql_code(name: str) -> str:
    """The SQL of file ``name`` without its comment lines (so a ``$name`` in a comment binds
    nothing)."""
    return "\n".join(
        line for line in sql_text(name).splitlines() if not line.lstrip().startswith("--")
    ).strip()
