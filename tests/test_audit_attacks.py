"""#30's attack on what a payer is sent in one run (the suite's auditor, tests/auditor_pages.py,
reading only the external files): the program's report, each site's and the sites page read
together. Nothing from 1 to K-1 may be pinned, and each finding is checked against the internal
copy where it prints the figure (the reader reasons soundly). The run is test_run's (shared).

Six monthly runs read together and small generated programs at K = 5 are attacked by
``bench/audit.py`` (not in the suite: a sequence of runs is not yet protected, issue 30)."""

from __future__ import annotations

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
