"""The run command of ``iop-metrics``: read the run's config, apply the flags that override it,
hand over to ``runner.run``.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import replace


def cmd_run(a: argparse.Namespace) -> int:
    from .config import read_config
    from .runner import run

    config = read_config(a.config)
    if a.program_name is not None:
        config = replace(config, program=a.program_name.strip() or None)
    if a.paper is not None:
        config = replace(config, paper=a.paper)
    return run(
        config,
        period=a.period,
        dry_run=a.dry_run,
        resume=a.resume,
        wait=a.wait,
        today=dt.date.today(),
        allow_empty=a.allow_empty,
        allow_partial=a.allow_partial,
    )
