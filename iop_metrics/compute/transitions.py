"""Movement between levels of care (metrics.md, Transitions; Inflow; Continuity): each
``*_detail.sql`` lists the episodes, its summary file reads them as ``detail``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .query import Con, Query, Scope, run

if TYPE_CHECKING:
    import pandas as pd


# The discharges whose next care is known (metrics.md, Transitions): the step-down rate's
# denominator; pending ones (the window still open) are left out.
DETERMINED = ("step_down", "step_up", "lateral", "no_next_care")


def determined(t: Mapping[str, Any]) -> int:
    """The discharges of a transitions row whose outcome is determined (``DETERMINED``).

    >>> determined({"step_down": 3, "step_up": 1, "lateral": 0, "no_next_care": 4, "pending": 2})
    8
    """
    return t["step_down"] + t["step_up"] + t["lateral"] + t["no_next_care"]


def step_down_rate(t: Mapping[str, Any]) -> float | None:
    """Step-downs over the determined discharges of a transitions row; None when none is.

    >>> step_down_rate({"step_down": 3, "step_up": 1, "lateral": 0, "no_next_care": 4})
    0.375
    >>> step_down_rate({"step_down": 0, "step_up": 0, "lateral": 0, "no_next_care": 0})
    """
    n = determined(t)
    return t["step_down"] / n if n else None


def transitions_detail(con: Con, q: Query) -> pd.DataFrame:
    """Each in-scope discharge in the period with its next episode and outcome."""
    return run(con, "transitions_detail", q)


def transitions(con: Con, q: Query) -> pd.DataFrame:
    """Counts per transition outcome, per next level, and the median step-down gap."""
    return run(con, "transitions", q)


def transition_matrix(con: Con, q: Query) -> pd.DataFrame:
    """From-level x to-level counts over all levels of care (outcome where there is no next)."""
    all_levels = Query(q.period, q.as_of, Scope(None, q.scope.site, q.scope.track), q.window_days)
    return run(con, "transition_matrix", all_levels)


def inflow_detail(con: Con, q: Query) -> pd.DataFrame:
    """Each in-scope admission in the period with its previous episode and how it came in."""
    return run(con, "inflow_detail", q)


def inflow(con: Con, q: Query) -> pd.DataFrame:
    """Admissions by how they came in: stepped down, stepped up, lateral, direct."""
    return run(con, "inflow", q)


def continuity_detail(con: Con, q: Query) -> pd.DataFrame:
    """Each residential/inpatient discharge in the period with its first follow-up day."""
    return run(con, "continuity_detail", q)


def continuity(con: Con, q: Query) -> pd.DataFrame:
    """Follow-up within 7 and 14 days after residential or inpatient discharge."""
    return run(con, "continuity", q)
