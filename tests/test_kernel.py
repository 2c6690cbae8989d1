"""The warm kernel (report/kernel.py): a report rendered on a kernel that already rendered
another equals one rendered on a kernel of its own, and a kernel that died is replaced.
Real papermill, real kernels, the sample database."""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import nbformat
import pytest

from iop_metrics.compute.query import Scope
from iop_metrics.periods import parse_period
from iop_metrics.report import kernel
from iop_metrics.report.build import render
from iop_metrics.report.request import Request

# Both tests on one worker (the first kills the kernel, the second renders on the one that
# replaced it), in a group of their own: they share no render with the report group, whose
# worker is the busier.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kernel")]

PERIOD = parse_period("2026-10")

# The warm kernel that rendered ANOTHER report (a site's, internal) and where: the kernel that
# replaced a dead one renders it (the first test), and the warm-equals-cold test needs a kernel
# that already rendered another report, so it renders it itself only when this kernel has not.
_other: dict[str, object] = {}


def _render_other(sample_db, dest: Path) -> Path:
    other = Request(PERIOD, db_path=str(sample_db), scope=Scope(site="north"), formats=("html",))
    render(other, dest=dest, warm=True)
    _other.update(kernel=kernel.current(), folder=dest)
    return dest


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


def test_a_kernel_that_died_is_replaced(sample_db, tmp_path):
    first = kernel.current()
    first.wait_ready()
    os.kill(first.km.provisioner.pid, signal.SIGKILL)
    for _ in range(100):  # reaped within moments
        if not first.alive():
            break
        time.sleep(0.05)
    assert not first.alive()
    after = _render_other(sample_db, tmp_path / "after")
    second = kernel.current()
    assert second is not first and second.alive()
    doc = json.loads((after / "metrics.json").read_text())
    assert doc["period"]["label"] == "2026-10" and doc["census"]["admissions"] > 0


def test_a_report_rendered_warm_equals_one_rendered_cold(sample_db, tmp_path):
    external = Request(PERIOD, db_path=str(sample_db), suppress=11, formats=("html",))
    render(external, dest=tmp_path / "cold")
    # The warm kernel first renders another report (a site, internal: unless this kernel did
    # already, in the test above), then is left dirty: names a notebook might read, a
    # database connection, a warning already shown once.
    if _other.get("kernel") is not kernel.current():
        _render_other(sample_db, tmp_path / "other")
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
    # the other report really was another one, rendered on this kernel before
    assert _other["kernel"] is warm
    other = json.loads((Path(str(_other["folder"])) / "metrics.json").read_text())
    assert other["scope"]["site"] == "north"
