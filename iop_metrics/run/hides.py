"""Suppression across the external reports of one run: the sites add up to the program.

Each external report is suppressed as one model of its document and the frames it
publishes (``privacy.suppress_report``). Published together, the program's report and its
sites' reports are tied by one more identity per count: the program's figure is the sum of
its sites' (a row a site's frame does not have is a zero to a reader). Those identities are
taken where they hold on the exact figures (distinct clients add up only when no one was
at two sites; a reader may guess they do, so where they hold they are protected against
too). ``plan`` joins every report's cells (named ``scope:cell``) and equations with them
into one model and protects it as a single report is protected (``privacy.protect``): no
count of 1..K-1 in any report can be worked out from all of them read together. Each report
is then rendered with its share of that model's hidden cells forced (``hide``); its own
model then finds nothing more to hide, since what it could work out the joint model could.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..periods import Period
from ..privacy import Cells, protect

ALL = "all"


def joint(models: dict[str, Cells]) -> Cells:
    """The reports' cells as one model: every cell named ``scope:cell``, each report's
    equations, and ``all:cell = sum of the sites' cell`` where the exact figures add up.

    >>> from iop_metrics.privacy import Cells
    >>> def one(n, m):
    ...     return Cells({"n": n, "m": m}, frozenset({"n", "m"}), ({"n": -1, "m": 1},))
    >>> j = joint({"all": one(9, 9), "a": one(5, 5), "b": one(4, 4)})
    >>> sorted(j.values), len(j.exact)
    (['a:m', 'a:n', 'all:m', 'all:n', 'b:m', 'b:n'], 5)
    """
    values: dict[str, int] = {}
    published: set[str] = set()
    exact: list[dict[str, int]] = []
    near: list[dict[str, int]] = []
    for scope, cells in models.items():
        values.update({f"{scope}:{c}": v for c, v in cells.values.items()})
        published.update(f"{scope}:{c}" for c in cells.published)
        for eqs, into in ((cells.exact, exact), (cells.near, near)):
            into.extend({f"{scope}:{c}": a for c, a in eq.items()} for eq in eqs)
    sites = [s for s in models if s != ALL]
    if ALL in models and sites:
        for c, total in models[ALL].values.items():
            parts = {s: models[s].values[c] for s in sites if c in models[s].values}
            if parts and sum(parts.values()) == total and (total or any(parts.values())):
                exact.append({f"{ALL}:{c}": -1, **{f"{s}:{c}": 1 for s in parts}})
    return Cells(values, frozenset(published), tuple(exact), tuple(near))


def plan(models: dict[str, Cells], *, k: int) -> dict[str, dict[str, str]]:
    """What each report (``all`` and its sites) hides, with why, when all are published
    together: ``privacy.protect`` over ``joint(models)``, split back by scope.

    >>> from iop_metrics.privacy import Cells
    >>> def one(n):
    ...     return Cells({"n": n}, frozenset({"n"}), ())
    >>> plan({"all": one(40), "a": one(35), "b": one(5)}, k=11)
    {'all': {}, 'a': {'n': 'complementary'}, 'b': {'n': 'small'}}
    """
    if k <= 1:
        return {s: {} for s in models}
    reasons = protect(joint(models), k)
    out: dict[str, dict[str, str]] = {s: {} for s in models}
    for key, why in reasons.items():
        scope, _, cell = key.partition(":")
        out[scope][cell] = why
    return out


def model_job(
    db: Path, period: Period, scope: str, levels: tuple[str, ...] | None
) -> dict[str, Any]:
    """In a worker: the exact model of one scope's report (``report.data.exact_model``);
    a failure is returned, never raised."""
    from ..compute import metrics as m
    from ..db import connect
    from ..report.data import exact_model

    t0 = time.perf_counter()
    try:
        con = connect(db, read_only=True)
        try:
            q = m.Query.of(period, scope=m.Scope(levels, None if scope == ALL else scope))
            cells = exact_model(con, q)
        finally:
            con.close()
    except Exception as exc:  # noqa: BLE001 - the run names it on the reports that needed it
        return {"status": "failed", "error": repr(exc), "seconds": time.perf_counter() - t0}
    return {"status": "ok", "cells": cells, "seconds": time.perf_counter() - t0}
