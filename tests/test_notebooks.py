"""Notebooks are committed clean, with one plain `parameters` cell and no logic."""

from __future__ import annotations

import ast
import json

import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_or_execution_counts(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_of_plain_literals(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    tree = ast.parse("".join(tagged[0]["source"]))
    for node in tree.body:
        assert isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant), (
            f"{path.name}: parameters must be plain literals, got {ast.unparse(node)}"
        )


def test_report_notebook_has_no_business_logic():
    nb = json.loads((ROOT / "notebooks" / "monthly_report.ipynb").read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "select " not in code.lower() and "except" not in code
    assert NOTEBOOKS, "no notebooks found"


def test_explore_notebook_runs_top_to_bottom_under_papermill(sample_db, tmp_path):
    """On this process's warm kernel, made fresh for it, as ``_report_notebook`` runs the
    report's (a kernel started for the notebook alone gives the same outputs:
    tests/test_kernel.py)."""
    import papermill as pm

    from iop_metrics.report import kernel

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"),
        str(out),
        kernel_name="python3",
        engine_name=kernel.engine(),
        # a relative period resolves in the notebook itself, against its `today` parameter
        parameters={
            "db_path": str(sample_db),
            "period": "last-month",
            "today": "2026-10-15",
            "compare_with": "last-quarter",
            "suppress": 11,
        },
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    nb = json.loads(out.read_text())
    by_tag = {c["metadata"]["tags"][0]: c for c in nb["cells"] if c["metadata"].get("tags")}
    text = json.dumps(by_tag["document"]["outputs"])
    assert "'label': '2026-09'" in text and "census" in text
    payer = json.dumps(by_tag["by-payer"]["outputs"])
    assert "medicaid" in payer and "NaN" in payer  # small cells hidden with suppress = 11
    assert "image/svg+xml" in json.dumps(by_tag["curve"]["outputs"])
    assert "figure" in json.dumps(by_tag["compare"]["outputs"])
    # the outcome figures and the per-course detail (spec outcomes.md: the notebook shows both)
    assert "reliable_improvement_rate" in json.dumps(by_tag["outcomes"]["outputs"])
    detail = json.dumps(by_tag["outcomes-detail"]["outputs"])
    for column in ("episode_id", "first_score", "last_score", "reliable_improvement", "PHQ-9"):
        assert column in detail, column
    # the recovery tables (recovery.md: the explore notebook shows them), admission to
    # discharge and after it, with the rows behind each
    assert "'abstinent'" in json.dumps(by_tag["noms"]["outputs"])
    assert "'3m'" in json.dumps(by_tag["follow-up"]["outputs"])
    for tag, columns in (
        ("noms-detail", ("admission_value", "discharge_value", "paired", "gained")),
        ("follow-up-detail", ("window_name", "category", "reached_on")),
        ("noms-peek", ("follow_up", "reached")),
        ("recovery-raw", ("main", "north", "observed")),
    ):
        out = json.dumps(by_tag[tag]["outputs"])
        for column in columns:
            assert column in out, (tag, column)
    # the site comparison of an outcome measure (issue #14 item 4)
    sites = json.dumps(by_tag["site-outcomes"]["outputs"])
    assert "adjusted_rate" in sites and "main" in sites and "north" in sites


def test_the_report_notebook_resolves_a_relative_period_itself(sample_db):
    from iop_metrics.report.request import from_parameters

    common = dict(as_of="", db_path=str(sample_db), levels="2.1", site="", track="")
    req = from_parameters(
        period="last-quarter", today="2026-11-15", suppress=0, window_days=14, **common
    )
    assert req.period.label == "2026-Q3"
    req = from_parameters(
        period="last-month", today="2026-11-01", suppress=0, window_days=14, **common
    )
    assert req.period.label == "2026-10"


def _report_notebook(tmp_path, parameters: dict) -> tuple[dict, dict, str]:
    """The report notebook run under papermill with ``parameters``: its injected parameters,
    its metrics.json and its header as HTML. On this process's warm kernel, as ``iop-metrics
    report`` and a run execute it (``report.kernel``: made fresh before each notebook, and
    equal to a kernel of its own, tests/test_kernel.py), not on a kernel started for it."""
    import papermill as pm

    from iop_metrics.report import kernel

    out = tmp_path / "monthly_report.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "monthly_report.ipynb"),
        str(out),
        kernel_name="python3",
        engine_name=kernel.engine(),
        parameters=parameters,
        cwd=str(tmp_path),
        progress_bar=False,
    )
    cells = json.loads(out.read_text())["cells"]
    by_tag = {t: c for c in cells for t in c["metadata"].get("tags", [])}
    injected = ast.parse("".join(by_tag["injected-parameters"]["source"]))
    given = {n.targets[0].id: n.value.value for n in injected.body}
    [metrics] = by_tag["metrics"]["outputs"]
    doc = json.loads(metrics["data"]["application/json"]["metrics_json"])
    [header] = by_tag["header"]["outputs"]
    return given, doc, "".join(header["data"]["text/html"])


def test_an_analysts_notebook_with_only_period_and_site_set_runs(sample_db, tmp_path):
    """In JupyterLab an analyst sets the human parameters, not a request: the notebook builds
    the request from them (``from_parameters``), the other parameters keeping their defaults."""
    given, doc, header = _report_notebook(
        tmp_path, {"db_path": str(sample_db), "period": "2026-09", "site": "north"}
    )
    assert "request" not in given
    assert doc["period"] == {
        "label": "2026-09", "start": "2026-09-01", "end": "2026-09-30", "as_of": "2026-09-30"
    }  # fmt: skip
    assert doc["scope"] == {"levels_of_care": ["2.1"], "site": "north", "track": None}
    assert "suppression" not in doc and doc["census"]["admissions"] > 0  # internal: all shown
    assert "2026-09" in header


def test_a_request_reaches_the_notebook_whole_and_wins_over_the_human_parameters(
    sample_db, tmp_path
):
    """What ``iop-metrics report`` and a run hand the notebook: one ``request`` parameter,
    read back in the kernel as the same request (its scope, audience, share and program)."""
    import datetime as dt

    from iop_metrics.compute.query import Scope
    from iop_metrics.periods import month
    from iop_metrics.report.request import Request

    req = Request(
        month(2026, 10),
        as_of=dt.date(2026, 11, 20),
        scope=Scope(("2.1",), "north"),
        window_days=10,
        suppress=11,
        hide={"follow_up.6m.housed_known": "complementary"},
        db_path=str(sample_db),
        program="Riverside <IOP>",
        paper="a4",
        formats=("html",),
    )
    assert Request.from_json(req.to_json()) == req
    human = {"period": "1999-01", "site": "south", "suppress": 0}  # ignored beside a request
    given, doc, header = _report_notebook(tmp_path, {**human, "request": req.to_json()})
    assert Request.from_json(given["request"]) == req
    assert doc["period"]["label"] == "2026-10" and doc["period"]["as_of"] == "2026-11-20"
    assert doc["scope"] == {"levels_of_care": ["2.1"], "site": "north", "track": None}
    assert doc["suppression"]["k"] == 11
    # the share is forced: 58 housed at 6 months known, shown when the report protects
    # itself alone, is hidden
    assert doc["follow_up"]["6m"]["housed_known"] is None
    assert doc["suppression"]["hidden"]["follow_up.6m.housed_known"] == "complementary"
    assert "Riverside &lt;IOP&gt;" in header
