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
