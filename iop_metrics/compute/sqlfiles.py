"""The SQL files in ``sql/``, read from the package (``importlib.resources``), and what each reads.

A file that reads the rows of other files says so in its header, one ``-- reads:`` line naming
each CTE it reads and the file that gives it (as a dbt model names its ``ref``\\ s)::

    -- reads: detail=transitions_detail

``compose`` puts in front of a file every file it reads, and what those read in turn, each once
and before the files that read it. A CTE whose file the caller chooses is declared with ``?``
(``-- reads: outcome=?``: case_mix_patterns.sql reads each adjusted measure's outcome file) and
bound by the caller (``bind``), or given as SQL text (``given``: rows already computed, held in a
temp table). Both engines and the derived tables read through here, so nothing in Python says
which file reads which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

READS = re.compile(r"^--\s*reads:(.*)$", re.MULTILINE)
CHOSEN = "?"  # the file of a CTE the caller binds or gives


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


@cache
def reads_of(name: str) -> tuple[tuple[str, str], ...]:
    """The (cte, file) pairs the header of file ``name`` declares, in order.

    >>> reads_of("transitions")
    (('detail', 'transitions_detail'),)
    >>> reads_of("case_mix_patterns")
    (('outcome', '?'),)
    """
    out = []
    for line in READS.findall(sql_text(name)):
        for item in filter(None, (i.strip() for i in line.split(","))):
            cte, sep, file = (part.strip() for part in item.partition("="))
            if not (sep and cte.isidentifier() and (file == CHOSEN or file.isidentifier())):
                raise ValueError(f"{name}.sql: `-- reads: {item}` is not cte=file")
            out.append((cte, file))
    return tuple(out)


def read_files(
    name: str, bind: Mapping[str, str] | None = None, given: Mapping[str, str] | None = None
) -> list[tuple[str, str]]:
    """The (cte, file) pairs file ``name`` reads, directly or through the files it reads, each
    once and after those it reads; ``bind`` chooses the file of a CTE (any depth), and a CTE in
    ``given`` is the caller's, not followed.

    >>> read_files("retention")
    [('detail', 'retention_cohort'), ('curve', 'retention_curve')]
    >>> read_files("case_mix_patterns", {"outcome": "case_mix_step_down"})
    [('detail', 'transitions_detail'), ('outcome', 'case_mix_step_down')]
    """
    bind, given = bind or {}, given or {}
    out: dict[str, str] = {}

    def visit(file: str, path: tuple[str, ...]) -> None:
        for cte, read in reads_of(file):
            if cte in given:
                continue
            read = bind.get(cte, read)
            if read == CHOSEN:
                raise ValueError(f"{file}.sql reads `{cte}`, a file the caller chooses: none given")
            if cte in out:
                if out[cte] != read:
                    raise ValueError(f"`{cte}` names two files here: {out[cte]}, {read}")
                continue
            if read in path:
                raise ValueError(f"{' -> '.join(path)} -> {read}: the files read each other")
            visit(read, (*path, read))
            out[cte] = read

    visit(name, (name,))
    return list(out.items())


def with_ctes(ctes: list[tuple[str, str]], body: str) -> str:
    """``body`` with ``ctes`` (name, SQL text) in front of it; a body that opens its own
    ``with`` list has them joined to that list."""
    if not ctes:
        return body
    parts = ",\n".join(f"{cte} as (\n{text}\n)" for cte, text in ctes)
    if body[:5].lower() == "with ":
        return f"with {parts},\n{body[5:]}"
    return f"with {parts}\n{body}"


def compose(
    name: str, bind: Mapping[str, str] | None = None, given: Mapping[str, str] | None = None
) -> str:
    """The SQL of file ``name`` with what it reads in front of it as CTEs: the ``given`` SQL
    texts first, then the files of ``read_files``."""
    ctes = [*(given or {}).items(), *((c, sql_code(f)) for c, f in read_files(name, bind, given))]
    return with_ctes(ctes, sql_code(name))


def macro_statements() -> list[str]:
    """The ``create ... macro`` statements of ``sql/_macros.sql``, one string each (the load
    makes them in the database, ``compute.derived.build``; the Spark engine inlines them)."""
    return [s.strip() for s in sql_code("_macros").split(";") if s.strip()]
