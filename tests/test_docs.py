"""Generated docs stay in step with their one source."""

from __future__ import annotations

import re

from conftest import ROOT

from iop_metrics.dictionary import ENTRIES, RECOVERY, markdown


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
        "outcomes",
    ):
        assert section in keys


def test_every_recovery_key_has_a_dictionary_entry():
    """Every key of the noms and follow_up keys is named by an entry (<domain>, <window> for
    each of them; a rate's entry names its numerator and denominator)."""
    from iop_metrics.compute.recovery import (
        ABSTINENT_KEYS,
        DOMAIN_KEYS,
        DOMAINS,
        FOLLOW_UP_KEYS,
        NOMS_TOTALS,
    )

    text = " ".join(f"{e.key} {e.definition} {e.numerator} {e.denominator}" for e in RECOVERY)
    words = set(re.findall(r"[a-z_<>]+", text))
    for key in (*NOMS_TOTALS, *DOMAIN_KEYS, *ABSTINENT_KEYS, *FOLLOW_UP_KEYS):
        names = {key, *(key.replace(d, "<domain>") for d in DOMAINS)}
        assert names & words, key
    assert {e.key.split(".")[0] for e in RECOVERY} == {"noms", "follow_up"}


def test_report_appendix_comes_from_the_same_dictionary():
    from iop_metrics.report.sections import definitions

    html = definitions()
    for e in ENTRIES:
        assert e.name in html


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_every_relative_link_in_the_readme_and_docs_resolves():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    pages += sorted((ROOT / "data").glob("**/README.md"))
    checked, broken = 0, []
    for page in pages:
        for target in LINK.findall(page.read_text()):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a URL or an anchor on the same page
            checked += 1
            if not (page.parent / target.split("#", 1)[0]).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken
    assert checked >= 8  # README -> docs/metrics.md, docs/mapping.md, the examples ...


def test_every_markdown_file_a_doc_names_is_in_the_repository():
    """A bare name such as `comparison.md` (a spec that lives outside the repository) is no
    reference a reader can follow: every *.md a page names must be a file of the repository."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    files = {p.name for p in ROOT.rglob("*.md") if "node_modules" not in p.parts}
    named = {(p.name, n) for p in pages for n in re.findall(r"\b([\w-]+\.md)\b", p.read_text())}
    assert named, "the check reads the pages"
    assert sorted(n for n in named if n[1] not in files) == []


def test_the_mapping_reference_documents_every_key_the_reader_accepts():
    from iop_metrics.contract import TABLES
    from iop_metrics.ingest import mapping

    text = (ROOT / "docs" / "mapping.md").read_text()
    keys = mapping.SOURCE_KEYS | mapping.PSEUDO_KEYS | mapping.TABLE_KEYS | mapping.COLUMN_KEYS
    for key in sorted(keys | mapping.TOP_KEYS):
        assert f"`{key}`" in text or f"`[{key}" in text, key
    for table in TABLES:
        assert f"`{table}`" in text, table
    readme = (ROOT / "README.md").read_text()
    assert "(docs/mapping.md)" in readme and "spec/import.md" not in readme
