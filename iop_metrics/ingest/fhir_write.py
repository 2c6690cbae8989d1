"""Contract tables in a DuckDB connection -> a contract folder, all or nothing.

The four tables and ``import_report.json`` are written to a temporary folder
beside the target, validated with the loader's own ``check`` (so an import
never leaves a folder that ``validate`` would refuse), and only then moved into
place. A failure removes the temporary folder and leaves any earlier output as
it was. An existing target is replaced only when it is an earlier import's
output (it holds ``import_report.json``).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from ..errors import InputError, Violation
from .load import check

TABLES = ("clients", "episodes", "sessions", "assessments")
REPORT = "import_report.json"


def _refuse_target(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError([Violation(str(out), 0, "", "exists and is not a folder")])
    if any(out.iterdir()) and not (out / REPORT).is_file():
        raise InputError(
            [
                Violation(
                    str(out),
                    0,
                    "",
                    f"is not empty and holds no {REPORT} (not an earlier import); "
                    "refusing to overwrite it",
                )
            ]
        )


def write_contract_folder(
    con: duckdb.DuckDBPyConnection,
    out_dir: str | os.PathLike[str],
    *,
    fmt: str,
    report: dict[str, Any],
) -> Path:
    """Write ``clients``/``episodes``/``sessions``/``assessments`` of ``con`` to ``out_dir``."""
    if fmt not in ("csv", "parquet"):
        raise InputError(f"--format must be csv or parquet, not {fmt!r}")
    out = Path(out_dir)
    _refuse_target(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; the output is an ordinary folder
    try:
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
        for name in TABLES:
            target = str(tmp / f"{name}.{fmt}").replace("'", "''")
            con.execute(f"COPY (select * from {name} order by all) TO '{target}' ({options})")
        (tmp / REPORT).write_text(json.dumps(report, indent=2, default=str) + "\n")
        checker = duckdb.connect()
        try:
            check(checker, tmp)
        except InputError as exc:
            # Name the output table, not the temporary folder that is about to go.
            found = [
                replace(v, file=f"(imported) {Path(v.file).name}" if v.file else v.file)
                for v in exc.violations
            ]
            raise InputError(
                [Violation(str(out), 0, "", "the import breaks the data contract; nothing written")]
                + found
            ) from None
        finally:
            checker.close()
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
