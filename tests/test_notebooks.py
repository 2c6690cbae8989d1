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
    import papermill as pm

    out = tmp_path / "explore.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"),
        str(out),
        kernel_name="python3",
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
    from iop_metrics.report.data import from_parameters

    common = dict(as_of="", db_path=str(sample_db), levels="2.1", site="", track="")
    data = from_parameters(
        period="last-quarter", today="2026-11-15", suppress=0, window_days=14, **common
    )
    assert data.query.period.label == "2026-Q3"
    data = from_parameters(
        period="last-month", today="2026-11-01", suppress=0, window_days=14, **common
    )
    assert data.query.period.label == "2026-10"
