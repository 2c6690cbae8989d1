from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
# The test modules as pytest rewrites their asserts (and the helpers they import), compiled once
# into tests/__pycache__ (ignored by git) even where PYTHONDONTWRITEBYTECODE is set, as `make
# install` compiles the package: each xdist worker otherwise rewrites and compiles every test
# module again when it collects them (~3 s of the ~6 s CPU a collection takes). pytest checks
# each cached file against its source's size and mtime, as Python does.
sys.dont_write_bytecode = False

from helpers import once_per_session  # noqa: E402

from iop_metrics.imports import UNUSED, hidden  # noqa: E402
from iop_metrics.ingest.load import load  # noqa: E402

# As the report does (iop_metrics/imports.py): the tests that import nbformat would otherwise
# have jsonschema compile its IRI grammar, 1.4 s in every worker, for a check nothing here uses.
with hidden(*UNUSED):
    import jsonschema  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """Fail a test of an ``xdist_group`` that ``--dist loadgroup`` did not group: its expensive
    module fixture (a network run, the report renders) would be built on every worker while the
    others wait on its lock. pytest 9.2 silently broke the grouping (pytest-xdist#1386)."""
    if not getattr(item.config.option, "loadgroup", False):  # set on xdist's workers only
        return
    if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
        pytest.fail(
            f"--dist loadgroup did not group {item.nodeid}: this pytest ({pytest.__version__}) "
            "and pytest-xdist disagree (pytest-xdist#1386); install requirements.lock",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    """data/sample loaded once into a real DuckDB file."""
    db = tmp_path_factory.mktemp("sample") / "iop.duckdb"
    load(SAMPLE, db)
    return db


@pytest.fixture()
def sample_con(sample_db):
    """A read-only connection to the sample on one DuckDB thread: each table is one row group or
    less, so a second thread (in each of two xdist workers) mostly wakes up for nothing. Set, not
    given as ``config``: DuckDB refuses another connection to the file with another config."""
    con = duckdb.connect(str(sample_db), read_only=True)
    con.execute("set threads = 1")
    yield con
    con.close()


def exact_october(sample_db: Path, tmp_path_factory, site: str | None):
    """``report.figures.exact`` of the sample's October 2026 report (level 2.1) of ``site``
    (``None``: the program's), with the records of its counts (``members``): what ``gather``
    reads from the database before it suppresses anything (``gather(con, q, suppress=k)`` is
    ``assemble(exact(con, q, members=k > 1), suppress=k)``; at K 0 ``assemble`` reads no
    records). Read once per session (``once_per_session``, ~0.8 s CPU each time) for the
    tests of six modules that each read it again (the program's 5 times, north's 7, main's 3);
    a copy of its own for each caller, checked to be that query's with its records."""
    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.periods import month

    query = Query.of(month(2026, 10), scope=Scope(("2.1",), site))

    def build(_: Path):
        from iop_metrics.report.figures import exact

        con = duckdb.connect(str(sample_db), read_only=True)
        try:
            return exact(con, query)
        finally:
            con.close()

    got = once_per_session(tmp_path_factory, f"october-exact-{site or 'program'}", build)
    assert got.query == query and got.members is not None
    return got


def gathered_october(sample_db: Path, tmp_path_factory):
    """``gather`` of the sample's October 2026 program report (level 2.1) at K = 11, as its
    external copy reads it: computed once per session for the tests of seven modules that read
    it (``once_per_session``, ~1.1 s CPU each time; from the program's ``exact_october``), a
    copy of its own for each caller, which is checked to be that query's at that K (what each
    caller computed before it shared one)."""
    from iop_metrics.compute.query import Query, Scope
    from iop_metrics.periods import month

    query = Query.of(month(2026, 10), scope=Scope(("2.1",), None))

    def build(_: Path):
        from iop_metrics.report.data import assemble

        return assemble(exact_october(sample_db, tmp_path_factory, None), suppress=11)

    got = once_per_session(tmp_path_factory, "october-gathered", build)
    assert (got.query, got.k) == (query, 11)
    return got


def read_july(sample_db: Path, tmp_path_factory):
    """The sample's July 2026 (level 2.1) as a run's model jobs read it for its external
    outputs: each scope's exact figures (``report.figures.exact``, with their records; the
    program's, main's and north's) and the sites page's comparisons
    (``comparison.page_comparisons``), read once per session for the two tests that attack that
    run (test_privacy, test_audit_attacks: ~5 s CPU each time). Neither depends on the atoms'
    rules (``atoms.covered``, which one of those tests changes): each test makes its models from
    them. A copy of its own for each caller."""

    def build(_: Path):
        from iop_metrics.compute.comparison import page_comparisons
        from iop_metrics.compute.query import Query, Scope
        from iop_metrics.periods import month
        from iop_metrics.report.figures import exact

        con = duckdb.connect(str(sample_db), read_only=True)
        try:
            xs = {
                s: exact(con, Query.of(month(2026, 7), scope=Scope(("2.1",), site)))
                for s, site in (("all", None), ("main", "main"), ("north", "north"))
            }
            return xs, page_comparisons(con, xs["all"].query)
        finally:
            con.close()

    return once_per_session(tmp_path_factory, "july-figures", build)


@pytest.fixture()
def october_gathered(sample_db, tmp_path_factory):
    """``gathered_october``: ``gather(sample_con, Query.of(parse_period("2026-10")),
    suppress=11)``, read once per session, this test's own copy."""
    return gathered_october(sample_db, tmp_path_factory)


def _october(sample_db: Path, root: Path, *extra: str) -> Path:
    from iop_metrics.cli import main

    args = ["report", "--db", str(sample_db), "--period", "2026-10", "--out", str(root)]
    assert main([*args, *extra]) == 0
    return root / "2026-10"


@pytest.fixture(scope="session")
def october_internal(sample_db, tmp_path_factory) -> Path:
    """`iop-metrics report --period 2026-10` of the sample (the program, internal, HTML and PDF),
    rendered once per session for every test that reads it (``once_per_session``): a test
    only reads its folder."""
    return once_per_session(
        tmp_path_factory, "october-internal", lambda root: _october(sample_db, root)
    )


@pytest.fixture(scope="session")
def october_external(sample_db, tmp_path_factory) -> Path:
    """The same report for outside eyes (``--suppress 11``, HTML only), once per session."""
    return once_per_session(
        tmp_path_factory,
        "october-external",
        lambda root: _october(sample_db, root, "--suppress", "11", "--formats", "html"),
    )
