"""pyproject.toml is the single source of dependencies; the others follow it."""

from __future__ import annotations

import re
import subprocess
import tomllib

from conftest import ROOT


def _pyproject_requirements() -> set[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(meta["dependencies"]) | set(meta["optional-dependencies"]["dev"])


def test_environment_yml_mirrors_pyproject():
    text = (ROOT / "environment.yml").read_text().split("- pip:", 1)[1]
    listed = set(re.findall(r"^\s+- ([A-Za-z][^\s#]*)$", text, flags=re.M))
    assert listed == _pyproject_requirements()


def test_lock_file_pins_every_dependency():
    lock = (ROOT / "requirements.lock").read_text().lower()
    pinned = set(re.findall(r"^([a-z0-9._-]+)==", lock, flags=re.M))
    for req in _pyproject_requirements():
        name = re.split(r"[<>=\[ ]", req, maxsplit=1)[0].lower()
        assert name in pinned, f"{name} is not pinned in requirements.lock"


def test_make_help_lists_the_quick_start_targets():
    out = subprocess.run(["make", "help"], cwd=ROOT, capture_output=True, text=True, check=True)
    for target in ("report", "test", "bench", "lab"):
        assert f"make {target}" in out.stdout
    assert not re.search(r"#\d", out.stdout), out.stdout  # no issue numbers in the help


def _sysdeps(tmp_path, target: str, *tools: str) -> subprocess.CompletedProcess[str]:
    """.ci/sysdeps with a PATH holding only `id` and stubs of ``tools`` (no apt-get: a machine
    where nothing can be installed)."""
    import shutil

    bin_ = tmp_path / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "id").symlink_to(shutil.which("id") or "/usr/bin/id")
    for t in tools:
        (bin_ / t).write_text("#!/bin/sh\n")
        (bin_ / t).chmod(0o755)
    env = {"PATH": str(bin_)}
    sh = shutil.which("sh") or "/bin/sh"
    script = str(ROOT / ".ci" / "sysdeps")
    return subprocess.run([sh, script, target], env=env, capture_output=True, text=True)


def test_make_test_stops_at_once_naming_the_one_command_when_it_cannot_install(tmp_path):
    done = _sysdeps(tmp_path, "test")
    assert done.returncode == 1
    assert "  sudo apt-get install -y chromium poppler-utils npm\n" in done.stderr
    partial = _sysdeps(tmp_path / "p", "test", "chromium-browser", "npm")
    assert partial.returncode == 1
    assert "  sudo apt-get install -y poppler-utils\n" in partial.stderr
    ready = _sysdeps(tmp_path / "r", "test", "google-chrome", "pdftoppm", "npm")
    assert (ready.returncode, ready.stdout, ready.stderr) == (0, "", "")
    # make report goes on (the HTML is written, without a PDF) after naming the command
    report = _sysdeps(tmp_path / "s", "report", "pdftoppm")
    assert report.returncode == 0 and "  sudo apt-get install -y chromium\n" in report.stderr


def test_make_test_checks_the_system_packages_before_anything_else():
    out = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", "test"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    first = next(i for i, line in enumerate(out) if ".ci/sysdeps test" in line)
    assert first == 0, out[:3]
    assert any("pytest" in line for line in out[first:])
