"""Site and track codes name report folders: a code that cannot (``..``, ``/``, a leading dot,
markup, the program's own ``all``) is named at load and refused by every command that makes a
folder of it (``report`` for sites and tracks, ``run`` for sites), before anything is written.

The other writing commands (``sample``, ``load``, ``import``, ``export``, ``benchmark``,
``keygen``) write only to the paths they are given; no code of the data names a file there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import client, episode, session, write_dataset

from iop_metrics.cli import main
from iop_metrics.contract import folder_code_problem

BAD_SITES = ("../../escaped", "a/b", ".hidden", "<b>x</b>", "all")
BAD_TRACKS = ("../t", ".t", "<i>t</i>")


def _rows() -> dict[str, list[dict]]:
    sites = ("north", *BAD_SITES)
    tracks = ("adult", *BAD_TRACKS)
    n = max(len(sites), len(tracks))
    eps = [
        episode(f"E{i}", f"C{i}", "2.1", "2026-03-02", site=sites[i % len(sites)],
                track=tracks[i % len(tracks)])
        for i in range(n)
    ]  # fmt: skip
    return {
        "clients": [client(f"C{i}") for i in range(n)],
        "episodes": eps,
        # a session on the month's last day: March is complete, not a partial period
        "sessions": [session(f"E{i}", d) for i in range(n) for d in ("2026-03-03", "2026-03-31")],
    }


@pytest.fixture(scope="module")
def odd(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("odd")
    data = write_dataset(root / "export", _rows())
    return {"root": root, "data": data, "db": root / "iop.duckdb"}


def test_the_rule_takes_plain_codes_and_names_what_is_wrong_with_the_others():
    assert [folder_code_problem(c, column="site") for c in ("north", "N-2_b.x", "9")] == [None] * 3
    for code in (*BAD_SITES, "..", "/", "", "x" * 65, "a b"):
        assert folder_code_problem(code, column="site"), code
    assert folder_code_problem("all", column="track") is None  # track-all is a plain folder
    assert "whole program" in (folder_code_problem("all", column="site") or "")


def test_load_and_validate_name_every_code_that_cannot_name_a_folder(odd, capsys):
    assert main(["load", str(odd["data"]), "--db", str(odd["db"])]) == 0
    loaded = capsys.readouterr().out
    assert main(["validate", str(odd["data"])]) == 0
    validated = capsys.readouterr().out
    assert re.search(r"episodes +6 rows loaded  \(episodes.csv", loaded), loaded
    assert re.search(r"episodes +6 rows valid  \(episodes.csv", validated), validated
    assert "rows loaded" not in validated
    for out in (loaded, validated):
        notes = [line for line in out.splitlines() if "cannot name a report folder" in line]
        named = sorted(line.split("code ")[1].split(" cannot")[0] for line in notes)
        assert named == sorted(repr(c) for c in (*BAD_SITES, *BAD_TRACKS)), out
        assert "north" not in "".join(notes) and "adult" not in "".join(notes)


def _nothing_written(root: Path, out: Path) -> None:
    assert not out.exists() or not any(out.rglob("*.html")), sorted(out.rglob("*"))
    assert not any(p.name in ("escaped", "b>", "x<") for p in root.parent.rglob("*"))


@pytest.mark.parametrize("code", BAD_SITES)
def test_report_refuses_a_site_that_cannot_name_a_folder(odd, code, capsys):
    if not odd["db"].is_file():
        assert main(["load", str(odd["data"]), "--db", str(odd["db"])]) == 0
    out = odd["root"] / "r" / "out"
    argv = ["report", "--db", str(odd["db"]), "--period", "2026-03", "--out", str(out)]
    assert main([*argv, "--site", code]) == 2
    err = capsys.readouterr().err
    assert f"site code {code!r} cannot name a report folder" in err
    _nothing_written(odd["root"], out)


@pytest.mark.parametrize("code", BAD_TRACKS)
def test_report_refuses_a_track_that_cannot_name_a_folder(odd, code, capsys):
    if not odd["db"].is_file():
        assert main(["load", str(odd["data"]), "--db", str(odd["db"])]) == 0
    out = odd["root"] / "r" / "out"
    argv = ["report", "--db", str(odd["db"]), "--period", "2026-03", "--out", str(out)]
    assert main([*argv, "--track", code]) == 2
    assert f"track code {code!r} cannot name a report folder" in capsys.readouterr().err
    _nothing_written(odd["root"], out)


def test_run_refuses_sites_that_cannot_name_a_folder_before_writing_a_report(odd, capsys):
    cfg = odd["root"] / "iop-metrics.toml"
    cfg.write_text(
        f'[data]\nexport = "{odd["data"]}"\ndb = "run.duckdb"\n\n'
        '[reports]\nsites = "each"\nformats = ["html"]\nout = "reports"\n'
    )
    assert main(["run", str(cfg), "--period", "2026-03"]) == 2
    err = capsys.readouterr().err
    for code in BAD_SITES:
        assert f"site code {code!r} cannot name a report folder" in err, err
    # the refused attempt leaves its trace (a runs.jsonl line, the index), and no report
    out = odd["root"] / "reports"
    assert sorted(p.name for p in out.iterdir()) == [
        ".iop-metrics.lock",
        "index.html",
        "runs.jsonl",
    ]
    assert '"status": "refused"' in (out / "runs.jsonl").read_text()
    assert not any(p.is_dir() for p in out.iterdir())
    _nothing_written(odd["root"], odd["root"] / "elsewhere")
