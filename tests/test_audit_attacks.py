"""#30's attack on what a payer is sent in one run (the suite's auditor, tests/auditor_pages.py,
reading only the external files): the program's report, each site's and the sites page read
together. Nothing from 1 to K-1 may be pinned, and each finding is checked against the internal
copy where it prints the figure (the reader reasons soundly). The run is test_run's (shared).
And the mutation test: with one dimension taken from the atoms, the auditor finds what leaks.

Then six monthly runs of one archive read together (a small generated program at K = 5, its
program's report): with the publication ledger nothing, each run alone or the six together;
and the ledger's mutation test (October's run not reading September's) giving counts away.
Six months of the sample, and generated programs' runs with their sites, are attacked by
``bench/audit.py``."""

from __future__ import annotations

import pytest
from auditor import Reading, solve
from auditor_pages import read_run, truth_of
from helpers import once_per_session

K = 11


def _sound(found: dict[str, int], truth: dict[str, int]) -> None:
    wrong = {c: (v, truth[c]) for c, v in found.items() if c in truth and truth[c] != v}
    assert not wrong, f"the auditor reasons wrongly: {wrong}"


@pytest.mark.xdist_group("run")  # on test_run's worker, which builds the runs it reads
def test_one_runs_external_outputs_read_together_give_no_small_count_away(tmp_path_factory):
    """The sample's run of 2026-10 (test_run's): three reports and the sites page at once."""
    from test_run import _two_runs

    folder = once_per_session(tmp_path_factory, "test_run", _two_runs)["out"] / "2026-10"
    r = Reading(K)
    read_run(r, folder)
    found = solve(r).small(K)
    _sound(found, truth_of(folder))
    assert not found, found


def _july_outputs(db, folder, figures) -> None:
    """The external outputs of the sample's July 2026 run, as a run plans them (each scope's
    figures and model, what each hides alone, the joint plan with the sites page's model, the
    page's comparisons computed once for its model and the page, as a run's model job does):
    the three reports (metrics.json and HTML, rendered on this process's warm kernel) and
    the external sites page, into ``folder``. ``figures``: each scope's exact figures and the
    page's comparisons (``conftest.read_july``, read once per session)."""
    import duckdb

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.disclosure import linked
    from iop_metrics.disclosure.model import protect
    from iop_metrics.disclosure.suppress import internal_only
    from iop_metrics.periods import month
    from iop_metrics.report.build import render
    from iop_metrics.report.figures import save_exact
    from iop_metrics.report.request import Request
    from iop_metrics.report.sites import save_comparisons, write_sites_page

    p = month(2026, 7)
    scopes = {"all": None, "main": "main", "north": "north"}
    queries = {s: Query.of(p, scope=Scope(("2.1",), site)) for s, site in scopes.items()}
    xs, compared = figures  # the page's comparisons: once, for the model and the page
    assert {s: x.query for s, x in xs.items()} == queries
    con = duckdb.connect(str(db), read_only=True)
    try:
        models = {s: x.cells() for s, x in xs.items()}
        alone = {s: protect(models[s], K, forced=internal_only(xs[s].doc)) for s in queries}
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
def test_atoms_without_the_trends_months_give_small_counts_away(
    sample_db, tmp_path, monkeypatch, tmp_path_factory
):
    """Mutation test (issue 30): one dimension taken from the atoms, the trends' months (the
    monthly cells' records left out: ``atoms.covered`` says no for them, so the model knows
    only the identities declared among them). The sample's July 2026 run, read as a payer
    reads it, then gives away north's admissions of September and December 2025 (9 and 7,
    each "<11"), as the internal copy has them. With the atoms whole the same run gives
    nothing away (the test above, and ``bench/audit.py --months 2026-07``: 0 within the run).
    (The 12-month flow taken out gave its row from IOP away here until the retention cohort
    was printed to the ten: the plan then hides another month's discharges, which cuts that
    way by chance, so the flow is no longer a dimension whose loss this run shows.)"""
    from conftest import read_july

    from iop_metrics.disclosure import atoms

    figures = read_july(sample_db, tmp_path_factory)  # read before the atoms lose a dimension
    whole = atoms.covered
    monkeypatch.setattr(atoms, "covered", lambda c: "monthly[" not in c and whole(c))
    _july_outputs(sample_db, tmp_path, figures)
    r = Reading(K)
    read_run(r, tmp_path / "2026-07")
    assert solve(r).small(K) == {
        "north:monthly[2025-09].admissions": 9,
        "north:monthly[2025-12].admissions": 7,
    }
    # as north's trend has them (the run wrote no internal copy to read them from): its exact
    # figures, ``exact(con, Query.of(month(2026, 7), scope=Scope(("2.1",), "north")))``
    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.periods import month

    north = read_july(sample_db, tmp_path_factory)[0]["north"]  # a copy the run did not touch
    assert north.query == Query.of(month(2026, 7), scope=Scope(("2.1",), "north"))
    trend = north.frames
    admissions = dict(zip(trend["monthly"]["month"], trend["monthly"]["admissions"], strict=True))
    assert (admissions["2025-09"], admissions["2025-12"]) == (9, 7)


# --- a sequence of runs: the ledger and its mutation test ---------------------------------------

MONTHS = ("2026-09", "2026-10")
SIX = ("2026-05", "2026-06", "2026-07", "2026-08", *MONTHS)
SMALL_K = 5
RUN = f"""[data]
export = "../export"
db = "iop.duckdb"
[reports]
out = "reports"
sites = "all"
levels = ["2.1"]
audiences = ["external"]
formats = ["html"]
suppress = {SMALL_K}
"""
LEDGER = pytest.mark.xdist_group("ledger-months")


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """A program of 200 clients at two sites (``generate``, seed 11), its external report only,
    at K = 5: six months run in turn into one archive, May to October 2026, each reading the
    ledger of the months before it; and, in another archive, September run alone, then
    October with ``ledger.read`` finding nothing (the narrowest switch: the run then plans
    October as if no earlier output existed)."""
    import datetime as dt

    from iop_metrics.cli import main
    from iop_metrics.disclosure import ledger
    from iop_metrics.ingest.sample import generate

    root = tmp_path_factory.mktemp("months")
    generate(root / "export", clients=200, sites=2, seed=11,
             start=dt.date(2025, 1, 1), end=dt.date(2026, 10, 31))  # fmt: skip
    with_ = root / "ledger"
    with_.mkdir()
    (with_ / "run.toml").write_text(RUN)
    for label in SIX:
        assert main(["run", str(with_ / "run.toml"), "--period", label]) == 0
    without = root / "no-ledger"
    without.mkdir()
    (without / "run.toml").write_text(RUN)
    assert main(["run", str(without / "run.toml"), "--period", MONTHS[0]]) == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ledger, "read", lambda *a, **kw: ledger.Earlier(()))
        assert main(["run", str(without / "run.toml"), "--period", MONTHS[1]]) == 0
    return {"ledger": with_, "no-ledger": without}


def _pinned(archive, labels=MONTHS) -> dict[str, int]:
    """What a reader pins to 1..K-1 with the external outputs of the runs of ``labels`` read
    together (as ``auditor_pages.attacks`` reads them: each run's, merged, a month's figure
    tied across the runs by its name)."""
    together = Reading(SMALL_K)
    for label in labels:
        r = Reading(SMALL_K)
        read_run(r, archive / "reports" / label)
        together = together.merged(r)
    return solve(together).small(SMALL_K)


def _ledger_read(archive) -> list[list[str]]:
    """The earlier outputs each run of the archive read (runs.jsonl's ``ledger.read``)."""
    import json

    lines = (archive / "reports" / "runs.jsonl").read_text().splitlines()
    return [json.loads(x)["ledger"]["read"] for x in lines]


@LEDGER
@pytest.mark.slow
def test_six_months_of_runs_with_the_ledger_give_no_small_count_away(months):
    """Six monthly runs of one archive, each reading the ledger of the months before it: each
    run's report alone, and the six read together (a month's figure tied across the reports
    by its name), pin nothing of 1..4 (the same runs without the ledger do, below)."""
    archive = months["ledger"]
    for label in SIX:
        assert _pinned(archive, (label,)) == {}, label
    assert _pinned(archive, SIX) == {}
    read = _ledger_read(archive)
    assert read == [[f"{m}/all" for m in SIX[:i]] for i in range(len(SIX))]


@LEDGER
@pytest.mark.slow
def test_two_months_of_runs_without_the_ledger_give_small_counts_away(months):
    """Mutation test (issue 30): the ledger taken away, October's run plans its report alone,
    and each report, safe by itself, shows what the other hid:

    - July's census: September's report shows July's discharges (5) and hides its active
      census at the end of the month; October's shows that census (6) and hides the
      discharges. With June's census (8) printed in both, active = before + admitted -
      discharged gives July's admissions: 6 = 8 + a - 5, a = 3 (shown "<5" in both).
    - September's completions: September's report hides its discharges and shows its reasons
      but completion (5 dropped out, 0 for each other reason; completion "<5"); October's
      trend shows September's discharges (8): completed = 8 - 5 = 3, read as the by-reason
      count, the completion rate's numerator and the trend's month alike.

    Each is the internal figure (October's trend holds both counts)."""
    import duckdb

    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.report.figures import exact

    archive = months["no-ledger"]
    assert _ledger_read(archive) == [[], []]
    assert _pinned(archive, MONTHS[1:]) == {}  # October's report alone gives nothing away
    assert _pinned(archive) == {
        "all:monthly[2026-07].admissions": 3,
        "all:monthly[2026-09].completed": 3,
        "all@2026-09:discharges.by_reason.completed": 3,
        "all@2026-09:rates[Completion rate].numerator": 3,
    }
    con = duckdb.connect(str(archive / "iop.duckdb"), read_only=True)
    try:
        october = exact(con, Query.of(MONTHS[1], scope=Scope(("2.1",), None)))
    finally:
        con.close()
    trend = october.frames["monthly"].set_index("month")
    assert (trend.loc["2026-07", "admissions"], trend.loc["2026-09", "completed"]) == (3, 3)
