"""The warm kernel (report/kernel.py): a report rendered on a kernel that already rendered
another equals one rendered on a kernel of its own, and a kernel that died is replaced.
Real papermill, real kernels, the sample database."""

from __future__ import annotations

import json
import os
import re
import signal
import time

import nbformat
import pytest

from iop_metrics.compute.query import Scope
from iop_metrics.periods import parse_period
from iop_metrics.report import kernel
from iop_metrics.report.build import render
from iop_metrics.report.request import Request

# Both tests on one worker (the second kills the kernel the first warmed), in a group of their
# own: they share no render with the report group, whose worker is the busier.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernel")]

PERIOD = parse_period("2026-10")


def _page(path) -> str:
    """The HTML apart from what differs between two cold renders too: the generation time and
    the id papermill gives the cell it injects (a new uuid each run)."""
    html = path.read_text(encoding="utf-8")
    html, times = re.subn(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "<generated>", html)
    html, ids = re.subn(r'id="cell-id=[0-9a-f-]+"', 'id="cell-id=<injected>"', html, count=1)
    assert times == 1 and ids == 1
    return html


def _counts(folder) -> list[int | None]:
    nb = nbformat.read(folder / "monthly_report.ipynb", as_version=4)
    return [c.get("execution_count") for c in nb.cells if c.cell_type == "code"]


def test_a_report_rendered_warm_equals_one_rendered_cold(sample_db, tmp_path):
    external = Request(PERIOD, db_path=str(sample_db), suppress=11, formats=("html",))
    render(external, dest=tmp_path / "cold")
    # The warm kernel first renders another report (a site, internal), then is left dirty:
    # names a notebook might read, a database connection, a warning already shown once.
    other = Request(PERIOD, db_path=str(sample_db), scope=Scope(site="north"), formats=("html",))
    render(other, dest=tmp_path / "other", warm=True)
    warm = kernel.current()
    warm._run(
        "import duckdb, warnings\n"
        f"con = duckdb.connect({str(sample_db)!r}, read_only=True)\n"
        "period, suppress, data, pages = '1999-01', 0, None, None\n"
        "warnings.warn('shown once', UserWarning)\n"
    )
    pid = warm.km.provisioner.pid
    render(external, dest=tmp_path / "warm", warm=True)
    assert kernel.current().km.provisioner.pid == pid  # the same kernel rendered both
    cold, hot = tmp_path / "cold", tmp_path / "warm"
    assert (hot / "metrics.json").read_bytes() == (cold / "metrics.json").read_bytes()
    assert json.loads((hot / "metrics.json").read_text())["suppression"]["k"] == 11
    assert _page(hot / "monthly_report.html") == _page(cold / "monthly_report.html")
    assert _counts(hot) == _counts(cold) == list(range(1, len(_counts(cold)) + 1))
    # the other report really was another one, and its page differs from this one
    other = json.loads((tmp_path / "other" / "metrics.json").read_text())
    assert other["scope"]["site"] == "north"


def test_a_kernel_that_died_is_replaced(sample_db, tmp_path):
    first = kernel.current()
    os.kill(first.km.provisioner.pid, signal.SIGKILL)
    for _ in range(100):  # reaped within moments
        if not first.alive():
            break
        time.sleep(0.05)
    assert not first.alive()
    html = Request(PERIOD, db_path=str(sample_db), formats=("html",))
    render(html, dest=tmp_path / "after", warm=True)
    second = kernel.current()
    assert second is not first and second.alive()
    doc = json.loads((tmp_path / "after" / "metrics.json").read_text())
    assert doc["period"]["label"] == "2026-10" and doc["census"]["admissions"] > 0
