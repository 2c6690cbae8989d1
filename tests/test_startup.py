"""The command line starts without pandas or altair on the paths that do not draw or tabulate,
and the package's public API is re-exported lazily with the same names."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE

HEAVY = ("pandas", "altair", "papermill", "nbconvert", "vl_convert")

# Runs the CLI in-process in a fresh interpreter, then prints which heavy modules it imported.
PROBE = r"""
import contextlib, io, json, sys
from iop_metrics.cli import main
out = io.StringIO()
try:
    with contextlib.redirect_stdout(out):
        code = main(sys.argv[1:])
except SystemExit as exc:  # --help exits
    code = exc.code
heavy = [m for m in HEAVY if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy, "out": out.getvalue()}))
"""


def _probe(*argv: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_help_imports_nothing_heavy():
    r = _probe("--help")
    assert r["code"] == 0
    assert "metrics" in r["out"]
    assert r["heavy"] == []


def test_validate_imports_nothing_heavy():
    r = _probe("validate", str(SAMPLE))
    assert r["code"] == 0
    assert "valid against the data contract" in r["out"]
    assert r["heavy"] == []


def test_load_imports_nothing_heavy(tmp_path):
    db = tmp_path / "iop.duckdb"
    r = _probe("load", str(SAMPLE), "--db", str(db))
    assert r["code"] == 0
    assert db.is_file()
    assert r["heavy"] == []


def test_metrics_json_imports_nothing_heavy(sample_db):
    r = _probe("metrics", "--db", str(sample_db), "--period", "2026-10", "--format", "json")
    assert r["code"] == 0
    doc = json.loads(r["out"])
    assert doc["period"]["label"] == "2026-10" and doc["census"]["admissions"] > 0
    assert r["heavy"] == []


def test_import_package_is_light_and_names_resolve_on_use():
    code = (
        "import json, sys, iop_metrics as i\n"
        f"heavy = {HEAVY!r}\n"
        "before = [m for m in heavy if m in sys.modules]\n"
        "listed = sorted(n for n in i.__all__ if n in dir(i))\n"
        "doc = i.document.__module__\n"
        "after_document = 'pandas' in sys.modules\n"
        "series = i.monthly_series\n"
        "after_name = 'pandas' in sys.modules\n"
        "series(i.example_connection(), i.Query.of(i.parse_period('2026-05')))\n"
        "print(json.dumps({'before': before, 'all': i.__all__, 'listed': listed, 'doc': doc,"
        " 'after_document': after_document, 'after_name': after_name,"
        " 'after_series': 'pandas' in sys.modules}))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    r = json.loads(proc.stdout)
    assert r["before"] == []
    assert r["listed"] == sorted(r["all"])  # dir() shows every public name
    assert r["doc"] == "iop_metrics.compute.metrics"
    assert r["after_document"] is False  # the document is computed without pandas
    assert r["after_name"] is False  # naming the series imports no pandas,
    assert r["after_series"] is True  # computing it does: pandas arrives when a frame does


def test_every_public_name_resolves_and_unknown_names_raise():
    import iop_metrics

    for name in iop_metrics.__all__:
        assert getattr(iop_metrics, name) is not None, name
    assert iop_metrics.load.__module__ == "iop_metrics.ingest.load"
    with pytest.raises(AttributeError, match="no_such_name"):
        iop_metrics.no_such_name  # noqa: B018


# Imports the report's chart module and papermill in a fresh interpreter, then reports which of
# the hidden optional modules got loaded, whether they can still be imported afterwards, and
# whether altair still validates (a bad encoding type is refused).
HIDDEN_PROBE = r"""
import json, sys
import iop_metrics.report.charts as charts
from iop_metrics.imports import UNUSED, hidden
with hidden(*UNUSED):
    import papermill
loaded = [m for m in UNUSED if m in sys.modules]
import rfc3987_syntax, pyarrow.fs
try:
    charts.alt.Chart(charts.pd.DataFrame({"a": [1]})).mark_bar().encode(x="a:nonsense").to_json()
    refused = False
except Exception:
    refused = True
print(json.dumps({"loaded": loaded, "refused": refused,
                  "placeholders": [m for m in UNUSED if sys.modules.get(m, 0) is None]}))
"""


def test_unused_optional_modules_are_skipped_and_left_importable():
    proc = subprocess.run(
        [sys.executable, "-c", HIDDEN_PROBE], capture_output=True, text=True, check=True
    )
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    assert r == {"loaded": [], "refused": True, "placeholders": []}
