"""#30's attack on what a payer is sent in one run (the suite's auditor, tests/auditor_pages.py,
reading only the external files): the program's report, each site's and the sites page read
together. Nothing from 1 to K-1 may be pinned, and each finding is checked against the internal
copy where it prints the figure (the reader reasons soundly). The run is test_run's (shared).
And the mutation test: with one dimension taken from the atoms, the auditor finds what leaks.

Six monthly runs read together and small generated programs at K = 5 are attacked by
``bench/audit.py`` (not in the suite: a sequence of runs is not yet protected, issue 30)."""

from __future__ import annotations

import pytest
from auditor import Reading, solve
from auditor_pages import read_run, truth_of
from helpers import once_per_session

K = 11


def _sound(found: dict[str, int], truth: dict[str, int]) -> None:
    wrong = {c: (v, truth[c]) for c, v in found.items() if c in truth and truth[c] != v}
    assert not wrong, f"the auditor reasons wrongly: {wrong}"


def test_one_runs_external_outputs_read_together_give_no_small_count_away(tmp_path_factory):
    """The sample's run of 2026-10 (test_run's): three reports and the sites page at once."""
    from test_run import _two_runs

    folder = once_per_session(tmp_path_factory, "test_run", _two_runs)["out"] / "2026-10"
    r = Reading(K)
    read_run(r, folder)
    found = solve(r).small(K)
    _sound(found, truth_of(folder))
    assert not found, found


def _july_outputs(db, folder) -> None:
    """The external outputs of the sample's July 2026 run, as a run plans them (each scope's
    figures and model, what each hides alone, the joint plan with the sites page's model, the
    page's comparisons computed once for its model and the page, as a run's model job does):
    the three reports (metrics.json and HTML, rendered on this process's warm kernel) and
    the external sites page, into ``folder``."""
    import duckdb

    from iop_metrics.compute.comparison import page_comparisons
    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.disclosure import linked
    from iop_metrics.disclosure.model import protect
    from iop_metrics.disclosure.suppress import internal_only
    from iop_metrics.periods import month
    from iop_metrics.report.build import render
    from iop_metrics.report.figures import exact, save_exact
    from iop_metrics.report.request import Request
    from iop_metrics.report.sites import save_comparisons, write_sites_page

    p = month(2026, 7)
    scopes = {"all": None, "main": "main", "north": "north"}
    queries = {s: Query.of(p, scope=Scope(("2.1",), site)) for s, site in scopes.items()}
    con = duckdb.connect(str(db), read_only=True)
    try:
        xs = {s: exact(con, q) for s, q in queries.items()}
        models = {s: x.cells() for s, x in xs.items()}
        alone = {s: protect(models[s], K, forced=internal_only(xs[s].doc)) for s in queries}
        compared = page_comparisons(con, queries["all"])  # once, for the model and the page
        models["sites"] = linked.sites_cells(con, queries["all"], compared)
    finally:
        con.close()
    plan = linked.plan(models, k=K, alone=alone)
    for s, q in queries.items():
        save_exact(xs[s], folder / f"{s}.pkl")
        req = Request(p, scope=q.scope, suppress=K, hide=plan[s], exact=str(folder / f"{s}.pkl"),
                      db_path=str(db), formats=("html",))  # fmt: skip
        render(req, dest=folder / p.label / s / "external", warm=True)
    save_comparisons(compared, queries["all"], folder / "sites.pkl")
    page = folder / p.label / "sites-external.html"
    write_sites_page(db, p, page, sites=("main", "north"), levels=("2.1",), suppress=K,
                     hide=plan["sites"], comparisons=folder / "sites.pkl")  # fmt: skip


@pytest.mark.slow
def test_atoms_without_the_trends_months_give_small_counts_away(sample_db, tmp_path, monkeypatch):
    """Mutation test (issue 30): one dimension taken from the atoms, the trends' months (the
    monthly cells' records left out: ``atoms.covered`` says no for them, so the model knows
    only the identities declared among them). The sample's July 2026 run, read as a payer
    reads it, then gives away north's admissions of September and December 2025 (9 and 7,
    each "<11"), as the internal copy has them. With the atoms whole the same run gives
    nothing away (the test above, and ``bench/audit.py --months 2026-07``: 0 within the run).
    (The 12-month flow taken out gave its row from IOP away here until the retention cohort
    was printed to the ten: the plan then hides another month's discharges, which cuts that
    way by chance, so the flow is no longer a dimension whose loss this run shows.)"""
    from iop_metrics.disclosure import atoms

    whole = atoms.covered
    monkeypatch.setattr(atoms, "covered", lambda c: "monthly[" not in c and whole(c))
    _july_outputs(sample_db, tmp_path)
    r = Reading(K)
    read_run(r, tmp_path / "2026-07")
    assert solve(r).small(K) == {
        "north:monthly[2025-09].admissions": 9,
        "north:monthly[2025-12].admissions": 7,
    }
    # as north's trend has them (the run wrote no internal copy to read them from)
    import duckdb

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.periods import month
    from iop_metrics.report.figures import exact

    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        trend = exact(con, Query.of(month(2026, 7), scope=Scope(("2.1",), "north"))).frames
    finally:
        con.close()
    admissions = dict(zip(trend["monthly"]["month"], trend["monthly"]["admissions"], strict=True))
    assert (admissions["2025-09"], admissions["2025-12"]) == (9, 7)
