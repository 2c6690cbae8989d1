"""Scheduled runs that survive the night: locks, SIGKILL, full disks, --resume (issue 17).

Real processes (the CLI in a subprocess, killed with SIGKILL) and a real small file system:
a 6 MB tmpfs when the tests run as root with mount allowed; otherwise (or with
IOP_TEST_NO_MOUNT=1) the same tests run under RLIMIT_FSIZE, a per-file size limit with
SIGXFSZ ignored, so that a write fails with EFBIG: a real kernel limit, not a mock.
Nothing here is skipped.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE
from helpers import sha256

from iop_metrics.ingest.pseudonym import keygen
from iop_metrics.locks import hold

CLI = [sys.executable, "-m", "iop_metrics.cli"]
TINY_ARGS = ["sample", "--clients", "20", "--sites", "2"]
# The runs below test what a process does (killed, resumed, refused), not the figures: they
# render a small export with the sample's shape (two sites, main and north, active through
# 2026-10) rather than data/sample, whose load and queries cost seconds in every run.
SMALL_ARGS = [
    *("sample", "--clients", "24", "--sites", "2"),
    *("--start", "2025-10-01", "--end", "2026-10-31"),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    from iop_metrics.cli import main

    folder = tmp_path_factory.mktemp("small") / "export"
    assert main([*SMALL_ARGS, "--out", str(folder)]) == 0
    return folder


@dataclass
class Disk:
    """A small real file system at ``path``; ``limit`` is the fallback's preexec function."""

    path: Path
    limit: Callable[[], None] | None

    def fill(self, leave: int) -> None:
        """Take all but ``leave`` bytes of the tmpfs (the fallback's limit is per file)."""
        if self.limit is None:
            free = shutil.disk_usage(self.path).free
            with open(self.path / "filler", "wb") as fh:
                fh.write(b"\0" * max(0, free - leave))


def _fsize_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture()
def disk(tmp_path: Path) -> Iterator[Disk]:
    small = tmp_path / "small"
    small.mkdir()
    mounted = False
    if not os.environ.get("IOP_TEST_NO_MOUNT"):
        cmd = ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(small)]
        mounted = subprocess.run(cmd, capture_output=True).returncode == 0
    try:
        yield Disk(small, None if mounted else _fsize_limit(400_000))
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(small)], check=True)


def cli(*args: str, disk: Disk | None = None, **kw) -> subprocess.CompletedProcess[str]:
    pre = disk.limit if disk else None
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, preexec_fn=pre, cwd=ROOT, **kw
    )


def _hidden(root: Path) -> list[str]:
    """Dot-files and dot-folders under ``root``, except the lock files (which stay, empty)."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob(".*")
        if not p.name.endswith(".lock") and ".pytest" not in str(p)
    )


def _snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "filler" and not p.name.endswith(".lock")
    }


def _temp_scratch_of(pid: int) -> list[Path]:
    import tempfile

    return list(Path(tempfile.gettempdir()).glob(f"iop-metrics-*-{pid}*"))


# ---------------------------------------------------------------- locks


def test_a_held_lock_refuses_load_report_and_run_with_exit_3_naming_the_holder(tmp_path, sample_db):
    db = tmp_path / "iop.duckdb"
    out = tmp_path / "reports"
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'[data]\nexport = "{SAMPLE}"\ndb = "iop.duckdb"\n[reports]\nout = "reports"\n')
    with hold(tmp_path / ".iop.duckdb.lock", what="load by the test"):
        busy = cli("load", str(SAMPLE), "--db", str(db))
    assert busy.returncode == 3, busy.stderr
    assert f"pid {os.getpid()}" in busy.stderr and "load by the test" in busy.stderr
    assert "--wait" in busy.stderr and not db.exists()
    with hold(out / ".iop-metrics.lock", what="run of the test"):
        rep = cli("report", "--db", str(sample_db), "--out", str(out), "--period", "2026-10")
        run = cli("run", str(cfg))
    for proc in (rep, run):
        assert proc.returncode == 3, proc.stderr
        assert f"pid {os.getpid()}" in proc.stderr and "run of the test" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert not db.exists() and sorted(p.name for p in out.iterdir()) == [".iop-metrics.lock"]


def _hold_in_child(lock: Path, what: str) -> subprocess.Popen[str]:
    """Another process holding ``lock`` until a line comes on its stdin; returns once held."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from iop_metrics.locks import hold\n"
            f"with hold({str(lock)!r}, what={what!r}):\n"
            "    print('held', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_wait_takes_the_lock_when_the_holder_finishes(tmp_path):
    db = tmp_path / "iop.duckdb"
    holder = _hold_in_child(tmp_path / ".iop.duckdb.lock", "a slow load")
    waiting = subprocess.Popen(
        [*CLI, "load", str(SAMPLE), "--db", str(db), "--wait", "120"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert waiting.stderr is not None
    said = waiting.stderr.readline()  # blocks until the load says it waits
    assert said.startswith(f"waiting up to 120 s for pid {holder.pid}") and "a slow load" in said
    assert not db.exists() and waiting.poll() is None
    holder.communicate("done\n", timeout=30)
    assert holder.returncode == 0
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert db.is_file() and "took over" not in err and f"loaded {SAMPLE}" in out


def test_a_lock_whose_process_was_killed_is_taken_over_and_said_so(tmp_path):
    db = tmp_path / "iop.duckdb"
    holder = _hold_in_child(tmp_path / ".iop.duckdb.lock", "doomed")
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    proc = cli("load", str(SAMPLE), "--db", str(db))
    assert proc.returncode == 0, proc.stderr
    assert f"took over the lock {tmp_path / '.iop.duckdb.lock'} from pid {holder.pid}" in (
        proc.stderr
    )
    assert "that process is gone" in proc.stderr


# ---------------------------------------------------------------- kills


def _kill_when(cmd: list[str], ready: Callable[[int], bool], timeout: float = 240) -> int:
    proc = subprocess.Popen(
        [*CLI, *cmd], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + timeout
    while not ready(proc.pid):
        assert proc.poll() is None, f"finished before the kill: {proc.stderr.read()}"  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "never reached the moment to kill"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return proc.pid


def test_the_temp_sweep_keeps_a_live_processs_scratch_and_removes_a_dead_ones(
    tmp_path, monkeypatch
):
    """A second ``report`` must not delete a running report's kernel scratch: in the shared
    temporary folder only the scratch of a process that is gone is swept."""
    import tempfile

    from iop_metrics.report.build import TEMP
    from iop_metrics.scratch import sweep_temp

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    live = subprocess.Popen(["sleep", "60"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    try:
        names = [f"iop-metrics-kernel-{live.pid}-abc", f"iop-metrics-kernel-{dead.pid}-abc"]
        names += [f"iop-metrics-chromium-{live.pid}.log", f"iop-metrics-chromium-{dead.pid}.log"]
        for name in names:
            (tmp_path / name).mkdir() if "kernel" in name else (tmp_path / name).touch()
        gone = sweep_temp(TEMP)  # the report stage's names (its kernel's, its Chromium's)
        assert sorted(p.name for p in gone) == sorted(names[1::2])
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[0::2])
    finally:
        live.kill()
        live.wait()


def test_a_load_killed_while_writing_leaves_scratch_the_next_load_sweeps(tmp_path):
    db = tmp_path / "iop.duckdb"
    pid = _kill_when(
        ["load", str(SAMPLE), "--db", str(db)],
        lambda pid: (tmp_path / f".iop.duckdb.{pid}.tmp").exists(),
    )
    assert any(str(pid) in n for n in _hidden(tmp_path)), "the kill left scratch to sweep"
    again = cli("load", str(SAMPLE), "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert _hidden(tmp_path) == [] and db.is_file()


def test_a_run_killed_mid_render_is_recorded_swept_and_resumed_exactly(tmp_path, small, capsys):
    from iop_metrics.cli import main

    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f'[data]\nexport = "{small}"\ndb = "data/iop.duckdb"\n'
        '[reports]\nperiod = "2026-10"\nout = "reports"\nsites = "each"\n'
        'audiences = ["internal"]\nformats = ["html"]\n'
    )
    out = tmp_path / "reports"

    def one_written(pid: int) -> bool:
        done = out / f".run-{pid}" / "done.jsonl"
        return done.is_file() and '"status": "ok"' in done.read_text()

    pid = _kill_when(["run", str(cfg)], one_written)
    left = _hidden(out)
    assert f".run-{pid}" in left and (out / f".run-{pid}" / "snapshot.duckdb").is_file()
    journal = [json.loads(x) for x in (out / f".run-{pid}" / "done.jsonl").read_text().splitlines()]
    written = {r["path"] for r in journal if r["status"] == "ok"}
    assert written and not (out / "runs.jsonl").exists()

    capsys.readouterr()
    assert main(["run", str(cfg), "--resume"]) == 0  # in this process: the kill is the other's
    assert "against its snapshot (no reload)" in capsys.readouterr().out
    assert _hidden(out) == [] and not _temp_scratch_of(pid)
    lines = [json.loads(x) for x in (out / "runs.jsonl").read_text().splitlines()]
    assert [x["status"] for x in lines] == ["killed", "ok"]
    killed, done = lines
    assert killed["pid"] == pid and {r["path"] for r in killed["reports"]} == written
    paths = ["2026-10/sites.html", "2026-10/all/internal/", "2026-10/main/internal/"]
    paths.append("2026-10/north/internal/")
    assert sorted(r["path"] for r in done["reports"]) == sorted(paths)
    kept = {r["path"] for r in done["reports"] if r.get("resumed") == "kept"}
    rendered = {r["path"] for r in done["reports"] if r.get("resumed") == "rendered"}
    assert kept == written and rendered == set(paths) - written
    assert done["snapshot"] == killed["snapshot"] and done["resumed"]["start"] == killed["start"]
    assert done["rows_loaded"] == {}  # no reload
    for scope in ("all", "main", "north"):
        assert (out / "2026-10" / scope / "internal" / "metrics.json").is_file()
    index = (out / "index.html").read_text()
    assert "every report written" in index and all(s in index for s in ("north", "main"))

    assert main(["run", str(cfg), "--resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().out


def test_resume_retries_an_output_journalled_as_failed(tmp_path, small):
    """A run whose one report fails (a file stands where its folder must go) is resumed once
    the obstacle is gone: the failed output is rendered again, not kept as if written."""
    from iop_metrics.cli import main

    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f'[data]\nexport = "{small}"\ndb = "data/iop.duckdb"\n'
        '[reports]\nperiod = "2026-10"\nout = "reports"\nsites = "all"\n'
        'audiences = ["internal"]\nformats = ["html"]\n'
    )
    out = tmp_path / "reports"
    blocker = out / "2026-10" / "all" / "internal"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("a file where the report's folder must go\n")
    assert main(["run", str(cfg)]) == 1
    blocker.unlink()
    assert main(["run", str(cfg), "--resume"]) == 0
    failed, resumed = (json.loads(x) for x in (out / "runs.jsonl").read_text().splitlines())
    assert failed["status"] == "failed" and resumed["status"] == "ok"
    assert [(r["path"], r["status"]) for r in failed["reports"]] == [
        ("2026-10/all/internal/", "failed")
    ]
    # rendered again (a kept output would say "resumed": "kept" and count in "kept")
    assert [(r["path"], r["status"]) for r in resumed["reports"]] == [
        ("2026-10/all/internal/", "ok")
    ]
    assert resumed["reports"][0].get("resumed") != "kept"
    assert resumed["resumed"] == {"start": failed["start"], "kept": 0}
    assert (blocker / "metrics.json").is_file() and (blocker / "monthly_report.html").is_file()


def test_a_second_run_started_during_a_run_is_refused_naming_it(tmp_path, small, capsys):
    from iop_metrics.cli import main

    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f'[data]\nexport = "{small}"\ndb = "iop.duckdb"\n'
        '[reports]\nperiod = "2026-10"\nout = "reports"\nsites = "all"\n'
        'audiences = ["internal"]\nformats = ["html"]\n'
    )
    out = tmp_path / "reports"
    first = subprocess.Popen(
        [*CLI, "run", str(cfg)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (out / ".iop-metrics.lock").is_file() or not (out / ".iop-metrics.lock").read_text():
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.05)
    second = main(["run", str(cfg)])  # in this process, while the first runs in its own
    refused = capsys.readouterr().err
    _, first_err = first.communicate(timeout=1200)  # read its pipes, so it never blocks on them
    assert first.returncode == 0, first_err
    assert second == 3
    assert f"pid {first.pid}" in refused and f"run {cfg}" in refused
    lines = (out / "runs.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["status"] == "ok"
    assert _hidden(out) == []


# ---------------------------------------------------------------- full disks


def test_a_load_that_fills_the_disk_names_the_path_and_keeps_the_old_database(disk, tmp_path):
    cli(*TINY_ARGS, "--out", str(tmp_path / "tiny"))
    db = disk.path / "iop.duckdb"
    assert cli("load", str(tmp_path / "tiny"), "--db", str(db)).returncode == 0
    before = _snapshot(disk.path)
    proc = cli("load", str(SAMPLE), "--db", str(db), disk=disk)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"{disk.path}/.iop.duckdb." in proc.stderr and "could not write the new database" in (
        proc.stderr
    )
    assert "No space left on device" in proc.stderr or "File too large" in proc.stderr
    assert f"nothing was replaced ({db} is as it was)" in proc.stderr
    assert _snapshot(disk.path) == before and _hidden(disk.path) == []


def test_an_import_that_fills_the_disk_keeps_the_old_folder(disk, tmp_path):
    example = ROOT / "data" / "examples" / "ehr"
    shutil.copy(example / "mapping.toml", tmp_path / "mapping.toml")
    keygen(tmp_path / "example.key")
    out = disk.path / "contract"
    out.mkdir()
    (out / "clients.csv").write_text("client_id\nold\n")
    before = _snapshot(disk.path)
    disk.fill(leave=300_000)
    args = ["import", str(example / "export"), "--mapping", str(tmp_path / "mapping.toml")]
    proc = cli(*args, "--out", str(out), disk=disk)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "could not write the contract folder" in proc.stderr
    assert f"nothing was replaced ({out} is as it was)" in proc.stderr
    assert _snapshot(disk.path) == before and _hidden(disk.path) == []


def test_a_report_that_fills_the_disk_keeps_the_old_report(disk, sample_db):
    out = disk.path / "reports"
    old = out / "2026-10"
    old.mkdir(parents=True)
    for name in ("monthly_report.html", "metrics.json", "monthly_report.ipynb"):
        (old / name).write_text(f"the earlier {name}\n")
    before = _snapshot(disk.path)
    disk.fill(leave=150_000)
    args = ["report", "--db", str(sample_db), "--out", str(out), "--period", "2026-10"]
    proc = cli(*args, "--formats", "html", disk=disk)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "could not write the report" in proc.stderr
    assert f"nothing was replaced (the earlier report in {old} is as it was)" in proc.stderr
    assert _snapshot(disk.path) == before and _hidden(disk.path) == []
    assert not (out / "2026-11").exists()


def test_an_index_or_run_line_that_fills_the_disk_leaves_the_old_one(disk):
    out = disk.path / "reports"
    out.mkdir()
    (out / "index.html").write_text("the earlier index\n")
    (out / "runs.jsonl").write_text('{"period": "2026-09", "status": "ok"}\n')
    before = _snapshot(disk.path)
    disk.fill(leave=0)
    code = (
        "import sys\nfrom pathlib import Path\nfrom iop_metrics.errors import WriteError\n"
        "from iop_metrics.run.archive import write_atomically\n"
        "from iop_metrics.run.journal import append_line\n"
        f"out = Path({str(out)!r})\n"
        "for f in (lambda: write_atomically(out / 'index.html', 'x' * 500_000),\n"
        "          lambda: append_line(out, {'period': '2026-10', 'pad': 'x' * 500_000})):\n"
        "    try:\n        f()\n    except WriteError as e:\n        print(e)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=disk.limit
    )
    said = proc.stdout.splitlines()
    assert len(said) == 2, proc.stdout + proc.stderr
    assert said[0].startswith(f"{out / 'index.html'}: could not write index.html")
    assert "the earlier index.html is as it was" in said[0]
    assert said[1].startswith(f"{out / 'runs.jsonl'}: could not write the run's line")
    assert _snapshot(disk.path) == before and _hidden(disk.path) == []


def test_a_run_whose_load_fills_the_disk_says_so_in_runs_jsonl(disk, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text(
        f'[data]\nexport = "{SAMPLE}"\ndb = "{disk.path / "iop.duckdb"}"\n'
        '[reports]\nperiod = "2026-10"\nout = "reports"\nformats = ["html"]\n'
    )
    disk.fill(leave=500_000)
    proc = cli("run", str(cfg), disk=disk)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "could not write the new database" in proc.stderr
    (line,) = [
        json.loads(x) for x in (tmp_path / "reports" / "runs.jsonl").read_text().splitlines()
    ]
    assert line["status"] == "failed" and line["stage"] == "load"
    assert str(disk.path) in line["error"] and "nothing was replaced" in line["error"]
    assert _hidden(disk.path) == [] and _hidden(tmp_path / "reports") == []
