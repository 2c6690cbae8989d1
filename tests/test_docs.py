"""Generated docs stay in step with their one source."""

from __future__ import annotations

from conftest import ROOT

from iop_metrics.dictionary import ENTRIES, markdown


def test_docs_metrics_md_is_up_to_date():
    assert (ROOT / "docs" / "metrics.md").read_text() == markdown(), "run `make docs`"


def test_every_json_section_has_a_dictionary_entry():
    keys = {e.key.split(".")[0] for e in ENTRIES}
    for section in (
        "census",
        "attendance",
        "dosage",
        "discharges",
        "retention",
        "transitions",
        "inflow",
        "continuity",
    ):
        assert section in keys


def test_report_appendix_comes_from_the_same_dictionary():
    from iop_metrics.report.sections import definitions

    html = definitions()
    for e in ENTRIES:
        assert e.name in html
