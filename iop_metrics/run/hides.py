"""Suppression across the external reports of one run: the sites add up to the program.

Each external report is suppressed as one model of its own document and tables
(``privacy.suppress_report``). Published together, the program's report and its sites'
reports are tied by one more identity per figure: the program's count is the sum of its
sites' (when every site is reported and the figure adds up, which is checked on the exact
figures, so a figure that does not add up, such as distinct clients, is no identity). A
figure hidden in exactly one of those reports would follow from the others, so the next
smallest nonzero one of the group is hidden too (deterministic: by value, then scope);
the reports whose hiding changed are suppressed again with it forced, until nothing
changes. Each report is then rendered with its forced set (``hide``), giving the same
suppression the plan saw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

ALL = "all"


@dataclass(frozen=True)
class Scoped:
    """One external report's published counts (exact) and how to suppress it again."""

    values: dict[str, int]
    suppress: Callable[[frozenset[str]], dict[str, str]]  # hide -> reasons


def plan(scopes: dict[str, Scoped], *, k: int, limit: int = 50) -> dict[str, frozenset[str]]:
    """The cells each report must hide besides its own model's (``scopes``: ``all`` and
    every site), so that no figure hidden in one report follows from the others' sum.

    >>> from iop_metrics.privacy import SMALL
    >>> def scoped(values):
    ...     return Scoped(values, lambda hide: {
    ...         **{c: SMALL for c, v in values.items() if 0 < v < 11},
    ...         **{c: "complementary" for c in hide}})
    >>> plan({"all": scoped({"n": 40}), "a": scoped({"n": 35}), "b": scoped({"n": 5})}, k=11)
    {'all': frozenset(), 'a': frozenset({'n'}), 'b': frozenset()}
    """
    sites = [s for s in scopes if s != ALL]
    if ALL not in scopes or len(sites) < 2 or k <= 1:
        return {s: frozenset() for s in scopes}
    groups = _groups(scopes, sites)
    hide: dict[str, frozenset[str]] = {s: frozenset() for s in scopes}
    reasons = {s: scopes[s].suppress(hide[s]) for s in scopes}
    for _ in range(limit):
        added: dict[str, set[str]] = {}
        for cell in groups:
            hidden = [s for s in scopes if cell in reasons[s] or cell in added.get(s, ())]
            if len(hidden) != 1:
                continue
            shown = [s for s in scopes if s not in hidden and scopes[s].values[cell] > 0]
            if not shown:
                continue
            pick = min(shown, key=lambda s: (scopes[s].values[cell], s))
            added.setdefault(pick, set()).add(cell)
        if not added:
            return hide
        for s, cells in added.items():
            hide[s] = hide[s] | cells
            reasons[s] = scopes[s].suppress(hide[s])
    raise RuntimeError("cross-report suppression did not settle")  # pragma: no cover


def _groups(scopes: dict[str, Scoped], sites: Iterable[str]) -> list[str]:
    """The cells every report has whose program figure is the sum of the sites' figures."""
    sites = list(sites)
    common = set(scopes[ALL].values)
    for s in sites:
        common &= set(scopes[s].values)
    return sorted(
        c
        for c in common
        if scopes[ALL].values[c] == sum(scopes[s].values[c] for s in sites)
        and any(scopes[s].values[c] for s in sites)
    )


def describe(hide: dict[str, frozenset[str]]) -> dict[str, Any]:
    """The plan as the run's record keeps it: per report, the figures it hides for the sum."""
    return {s: sorted(c) for s, c in hide.items() if c}
