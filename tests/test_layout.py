"""The house's import arrows, read from the source: data flows one way, ingest -> compute ->
disclosure -> report -> run, over a ground floor of shared vocabulary that imports no stage.

Every ``import`` counts, at the top of a module or inside a function (a late import is still
an arrow), so a module that reaches back up fails here, not in a reader's head.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "iop_metrics"
STAGES = ("ingest", "compute", "disclosure", "report", "run")
GROUND = ("contract", "periods", "errors", "db", "locks", "scratch", "imports", "dictionary")
# Arrows against the flow that are known and named, each with why. The load builds the
# per-episode tables whose SQL lives beside the metrics (#31: one path for derived tables).
ALLOWED = {
    ("iop_metrics.ingest.load", "iop_metrics.compute.derived"),
    ("iop_metrics.ingest.export", "iop_metrics.compute.derived"),
}
KNOWN_CIRCLES = [{"iop_metrics.compute.engine", "iop_metrics.compute.derived"}]


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p) for p in PACKAGE.rglob("*.py")}


def _targets(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The package's modules one import statement names (``from . import x`` names ``x``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("iop_metrics")]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".")
        base = base[: len(base) - node.level + (1 if is_package else 0)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    if not target.startswith("iop_metrics"):
        return []
    named = [f"{target}.{a.name}" for a in node.names]
    return [target, *(m for m in named if m in MODULES)] if node.module else named


def arrows() -> set[tuple[str, str]]:
    """(importer, imported) for every import of every module of the package."""
    out = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module(path)
        for node in ast.walk(ast.parse(path.read_text())):
            out |= {(module, t) for t in _targets(node, module, path.name == "__init__.py")}
    return out


def stage(module: str) -> str:
    """The stage or ground-floor name a module belongs to (``iop_metrics.compute.x``: compute)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_arrows_are_read_from_the_source():
    got = arrows()
    assert ("iop_metrics.report.data", "iop_metrics.disclosure.suppress") in got
    assert ("iop_metrics.disclosure.suppress", "iop_metrics.compute.formats") in got
    # a late import inside a function counts; a relative "from . import x" names x, and
    # "from ..compute import metrics" names the module as well as its package
    assert ("iop_metrics.run.schedule", "iop_metrics.report.figures") in got
    assert ("iop_metrics.disclosure.suppress", "iop_metrics.disclosure.relations") in got
    assert ("iop_metrics.report.data", "iop_metrics.compute.metrics") in got


def test_every_module_lives_on_the_ground_floor_or_in_a_stage():
    rooms = {stage(m) for m in MODULES}
    assert rooms <= {*STAGES, *GROUND, "cli", "__init__", "__main__"}, rooms


def test_no_stage_reaches_back_up():
    """A stage imports only the stages before it and the ground floor."""
    back = sorted(
        (a, b)
        for a, b in arrows()
        if stage(a) in STAGES
        and stage(b) in STAGES
        and STAGES.index(stage(b)) > STAGES.index(stage(a))
        and (a, b) not in ALLOWED
    )
    assert back == []


def test_the_ground_floor_imports_no_stage():
    up = sorted((a, b) for a, b in arrows() if stage(a) in GROUND and stage(b) not in GROUND)
    assert up == []


def test_compute_reads_the_database_not_ingest():
    """Figures come from a loaded database, never from ingest's code; compute's CLI commands
    (which may load a folder in memory first) are the one exception."""
    reach = sorted(
        (a, b)
        for a, b in arrows()
        if stage(a) == "compute" and stage(b) == "ingest" and a != "iop_metrics.compute.commands"
    )
    assert reach == []


def test_no_import_circles():
    """No module imports one that imports it back, directly or around, whether at import time
    or late inside a function (a late import only hides a circle). One is known and named:
    ``compute.engine`` <-> ``compute.derived``, which #31's one path for derived tables ends."""
    graph: dict[str, set[str]] = {}
    for a, b in arrows():
        if b in MODULES and a != b and {a, b} not in KNOWN_CIRCLES:
            graph.setdefault(a, set()).add(b)
    circles = []
    for start in sorted(graph):
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                circles.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo.extend(graph.get(m, ()))
    assert circles == []


def test_the_readme_map_names_every_module():
    """ "Where things live" names each module (``census.py``) and each package (``fhir/``)."""
    readme = (ROOT / "README.md").read_text()
    text = readme.split("### Where things live", 1)[1].split("To change what a report", 1)[0]
    unnamed = sorted(
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if (p.name == "__init__.py" and f"{p.parent.name}/" not in text)
        or (p.name != "__init__.py" and p.name not in text)
    )
    assert unnamed == []
