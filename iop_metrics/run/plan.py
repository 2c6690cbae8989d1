"""A run's plan: the reports it writes (every scope x audience) and the pages beside them.

``make_plan`` turns the config and the data's sites into ``Job``s; ``Plan.describe`` is
what a dry run and the start of a run print.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..contract import PROGRAM_FOLDER, folder_code_problem
from ..errors import InputError
from ..periods import Period
from .config import RunConfig

if TYPE_CHECKING:
    from ..report.request import Request

ALL = PROGRAM_FOLDER


@dataclass(frozen=True)
class Job:
    """One report of the plan: a scope (``all`` or a site code) for one audience."""

    scope: str
    audience: str
    folder: Path


@dataclass(frozen=True)
class Plan:
    period: Period
    jobs: tuple[Job, ...]
    sites: tuple[str, ...]  # the sites compared on sites.html (empty: no comparison page)

    def describe(self, config: RunConfig) -> str:
        lines = [
            f"run {config.path} (sha256 {config.sha256[:12]})",
            f"  load   {config.export} -> {config.db}"
            + (f" with mapping {config.mapping}" if config.mapping else ""),
            f"  period {self.period.label} ({self.period.start} – {self.period.end})",
            f"  levels {', '.join(config.levels or ())}; formats {', '.join(config.formats)}"
            f"; external suppression K={config.suppress}; paper {config.paper}",
        ]
        if config.program:
            lines.insert(1, f"  program {config.program}")
        lines += [f"  report {j.folder}" for j in self.jobs]
        for audience in config.audiences:
            if self.sites:
                lines.append(f"  sites  {sites_page(config.out, self.period, audience)}")
        lines.append(f"  index  {config.out / 'index.html'}")
        return "\n".join(lines)


def sites_page(out: Path, period: Period, audience: str) -> Path:
    """``sites.html`` for the internal audience, ``sites-external.html`` for the external one."""
    name = "sites.html" if audience == "internal" else f"sites-{audience}.html"
    return out / period.label / name


def suppression(config: RunConfig, audience: str) -> int:
    return config.suppress if audience == "external" else 0


def report_request(config: RunConfig, period: Period, job: Job, db: Path) -> Request:
    """The request of one report of the plan, read from the database ``db`` (the run's
    snapshot); an external one gets its share of the joint plan and each the file of its
    figures when the run has them (``Request.replace``)."""
    from ..compute.query import Scope
    from ..report.request import Request

    return Request(
        period,
        scope=Scope(config.levels, None if job.scope == ALL else job.scope),
        suppress=suppression(config, job.audience),
        db_path=str(db),
        program=config.program or "",
        paper=config.paper,
        formats=config.formats,
        benchmark=str(config.benchmark) if config.benchmark else None,
    )


def site_codes(db: Path) -> tuple[str, ...]:
    """The distinct sites of the loaded episodes."""
    from ..compute.engine import DuckDBEngine
    from ..db import connect

    con = connect(db)
    try:
        rows = DuckDBEngine(con).query("data_sites", {}).data
    finally:
        con.close()
    return tuple(str(r[0]) for r in rows)


def make_plan(config: RunConfig, period: Period, sites: tuple[str, ...]) -> Plan:
    """Every report the run writes; a site named in the config but absent from the data is an
    error (exit 2) naming it."""
    if config.sites == "each":
        chosen: tuple[str, ...] = (ALL, *sites)
    elif config.sites == "all":
        chosen = (ALL,)
    else:
        missing = [s for s in config.sites if s != ALL and s not in sites]
        if missing:
            raise InputError(
                f"{config.path}: reports.sites: {', '.join(missing)} not among the sites in the "
                f"data ({', '.join(sites) or 'none'})"
            )
        chosen = tuple(config.sites)
    odd = [why for s in chosen if s != ALL and (why := folder_code_problem(s, column="site"))]
    if ALL in sites:
        odd.insert(0, folder_code_problem(ALL, column="site") or "")
    if odd:
        fix = (
            f"give each site a code in {config.mapping} (tables.episodes.columns.site.codes; "
            "`iop-metrics mapping draft` suggests them)"
            if config.mapping
            else "rename the site in the export"
        )
        raise InputError(f"{'; '.join(odd)}; {fix}")
    base = config.out / period.label
    jobs = tuple(Job(s, a, base / s / a) for s in chosen for a in config.audiences)
    compared = tuple(s for s in chosen if s != ALL)
    return Plan(period, jobs, compared)
