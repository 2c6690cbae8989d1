"""Small-cell suppression: what an outside reader may see of a metrics document.

No count of 1..K-1 is shown, nor one that can be worked out from the counts shown and
the relations among them (``relations.py``, ``published.py``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..compute.formats import figure_at, flatten, set_figure
from . import published as pub
from . import relations as ids

if TYPE_CHECKING:  # pandas is imported where a frame is suppressed, not at load
    import pandas as pd


def is_small(n: int | None, k: int) -> bool:
    """True when a count ``n`` must not be shown under threshold ``k`` (1..k-1).

    >>> is_small(3, 11), is_small(0, 11), is_small(11, 11), is_small(None, 11)
    (True, False, False, False)
    """
    return n is not None and not (isinstance(n, float) and math.isnan(n)) and 0 < n < k


# Why a figure is hidden (``suppression.hidden`` of an external metrics.json).
SMALL = "small"  # a count of 1..K-1: shown as "<K"
COMPLEMENTARY = "complementary"  # hidden only so that a small one cannot be worked out
RATE = "rate"  # a rate whose numerator or denominator is hidden
ESTIMATE = "estimate"  # a median or estimate over a hidden group
INTERNAL = "internal"  # shown only in internal reports: the deaths follow-up found


def internal_only(doc: dict[str, Any]) -> dict[str, str]:
    """The cells an external report never shows, whatever their size, with why: each
    follow-up window's deaths (``deceased``, recovery.md: internal reports only) and its
    ``not_reached``, without which the deaths would follow from ``due`` and the other
    categories (a reader sees their sum, those not reached for either reason).

    >>> sorted(internal_only({"follow_up": {"3m": {}}}).items())
    [('follow_up.3m.deceased', 'internal'), ('follow_up.3m.not_reached', 'complementary')]
    """
    out: dict[str, str] = {}
    for window in doc.get("follow_up") or {}:
        out[f"follow_up.{window}.deceased"] = INTERNAL
        out[f"follow_up.{window}.not_reached"] = COMPLEMENTARY
    return out


def mark(reason: str, k: int) -> str:
    """What a reader sees in place of a hidden figure: "<K" for a small count, "suppressed"
    for every other (hidden to protect a small one, or a rate or estimate built on one).

    >>> mark(SMALL, 11), mark(COMPLEMENTARY, 11)
    ('<11', 'suppressed')
    """
    return f"<{k}" if reason == SMALL else "suppressed"


@dataclass(frozen=True)
class Cells:
    """The counts of a document (or of several tables) and the equations that tie them.

    ``values`` holds every count, published or not; ``published`` the ones a reader sees
    unless they are hidden; each equation maps cells to coefficients (sum = 0); ``near`` are
    equations most programs meet (protected against, never used to bound).
    """

    values: dict[str, int]
    published: frozenset[str]
    exact: tuple[dict[str, int], ...]
    near: tuple[dict[str, int], ...] = ()


def _equation(total: str, parts: tuple[str, ...]) -> dict[str, int]:
    eq: dict[str, int] = {}
    for cell, sign in (
        (total, -1),
        *((p.lstrip("-"), -1 if p.startswith("-") else 1) for p in parts),
    ):
        eq[cell] = eq.get(cell, 0) + sign
    return {c: a for c, a in eq.items() if a}


def _remission_bases(doc: dict[str, Any]) -> dict[str, int]:
    """Remission's denominator per instrument (courses whose first score is 10 or more), which
    the document does not hold: remission / remission_rate, or case_at_start (the same courses
    for PHQ-9's caseness of 10) when the rate is 0."""
    out: dict[str, int] = {}
    for code in ids.instruments(doc):
        f = doc["outcomes"]["by_instrument"][code]
        n, rate = f.get("remission"), f.get("remission_rate")
        if n is None:
            continue
        if rate:
            out[f"~{code}:remission_base"] = round(n / rate)
        elif rate is None:
            out[f"~{code}:remission_base"] = 0
        elif f.get("case_at_start") is not None:
            out[f"~{code}:remission_base"] = int(f["case_at_start"])
    return out


def document_cells(
    doc: dict[str, Any],
    derived: dict[str, int],
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    context: pub.Context | None = None,
) -> Cells:
    """The counts of a metrics document and its identities, from the registry
    (``identities.FAMILIES``); ``derived`` gives the ``~`` counts the document does not hold
    and the registry does not define by a sum (``~initiated`` ...). A figure the document
    leaves null (a count an instrument does not define) is no cell, and an identity that
    names it does not apply. ``tables`` adds the frames a report publishes beside the
    document (``published.TABLES``), each count a cell, with their identities."""
    keys = [key for key, _ in flatten(doc)]
    values: dict[str, int] = {**derived, **_remission_bases(doc)}
    exact: list[dict[str, int]] = []
    near: list[dict[str, int]] = []
    every = ids.identities(doc)
    for name, df in (tables or {}).items():
        for c, _, _, v in pub.count_cells(name, df):
            if v is not None and v == v:  # NaN: a figure the frame does not define
                values[c] = int(v)
    if tables:
        every = every + pub.identities(tables, context or pub.Context())
    rates = [i for i in every if isinstance(i, ids.Rate)]
    not_counts = {r.rate for r in rates} | {i.key for i in every if isinstance(i, ids.Estimate)}
    for key in keys:
        if key not in not_counts and not any(ids.matches(key, p) for p in ids.not_additive()):
            value = figure_at(doc, key)
            if value is not None:
                values[key] = int(value)
    applied: list[ids.Rate] = []
    for i in every:
        if isinstance(i, ids.Sum):
            parts = tuple(
                sign + x
                for p in i.parts
                for sign, x in [("-" if p.startswith("-") else "", p.lstrip("-"))]
                for x in ids.expand(x, keys)
            )
            eq = _equation(i.total, parts)
            if any(c not in values for c in eq if c != i.total):
                continue
            if i.total.startswith("~") and i.total not in values:
                values[i.total] = sum(a * values[c] for c, a in eq.items() if c != i.total)
            if i.total not in values:
                continue
            (exact if i.exact else near).append(eq)
        elif isinstance(i, ids.Rate):
            if i.num not in values or i.den not in values:
                continue
            applied.append(i)
            values[i.complement] = values[i.den] - values[i.num]
            exact.append(_equation(i.den, (i.num, i.complement)))
    behind = {c for r in applied for c in (r.num, r.den) if c.startswith("~")}
    published = frozenset(c for c in values if not c.startswith("~") or c in behind)
    return Cells(values, published, tuple(exact), tuple(near))


def _components(cells: Cells) -> list[Cells]:
    """The cells split into groups that no equation joins (each protected on its own)."""
    parent = {c: c for c in cells.values}

    def root(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for eq in cells.exact + cells.near:
        first, *rest = eq
        for c in rest:
            parent[root(c)] = root(first)
    groups: dict[str, set[str]] = {}
    for c in cells.values:
        groups.setdefault(root(c), set()).add(c)
    out = []
    for group in groups.values():
        out.append(
            Cells(
                {c: cells.values[c] for c in group},
                frozenset(cells.published & group),
                tuple(eq for eq in cells.exact if next(iter(eq)) in group),
                tuple(eq for eq in cells.near if next(iter(eq)) in group),
            )
        )
    return out


def _determined(eqs: tuple[dict[str, int], ...], unknown: list[str]) -> set[str]:
    """The unknown cells that the equations fix once every other cell is known."""
    import numpy as np
    from scipy.linalg import null_space

    col = {c: j for j, c in enumerate(unknown)}
    rows = [eq for eq in eqs if any(c in col for c in eq)]
    if not rows:
        return set()
    a = np.zeros((len(rows), len(unknown)))
    for i, eq in enumerate(rows):
        for c, coef in eq.items():
            if c in col:
                a[i, col[c]] = coef
    free = null_space(a)
    return {c for c, j in col.items() if not free.size or np.abs(free[j]).max() < 1e-9}


def _frees(eqs: tuple[dict[str, int], ...], unknown: list[str], target: str) -> list[str]:
    """The cells that, hidden too, would no longer let the equations fix ``target`` (an
    unknown they fix): hiding ``c`` frees it exactly when c's column lies in the span of the
    unknowns' columns and the solution of that system moves ``target`` (one pseudo-inverse
    for every candidate, instead of a null space each)."""
    import numpy as np

    col = {c: j for j, c in enumerate(unknown)}
    others = sorted({c for eq in eqs for c in eq} - set(unknown))
    if not eqs or not others:
        return []
    a = np.zeros((len(eqs), len(unknown)))
    b = np.zeros((len(eqs), len(others)))
    where = {c: j for j, c in enumerate(others)}
    for i, eq in enumerate(eqs):
        for c, coef in eq.items():
            if c in col:
                a[i, col[c]] = coef
            else:
                b[i, where[c]] = coef
    x = np.linalg.pinv(a) @ b
    fits = np.abs(a @ x - b).max(axis=0) < 1e-7
    moves = np.abs(x[col[target]]) > 1e-9
    return [c for c, j in where.items() if fits[j] and moves[j]]


def _pinned(
    cells: Cells, unknown: set[str], bounds: dict[str, tuple[int, float | None]], targets: set[str]
) -> set[str]:
    """The target cells that the exact equations and the bounds a reader knows (labels, no
    negative count) narrow to one whole number (linear programming over the unknowns)."""
    import numpy as np

    order = sorted(unknown)
    col = {c: j for j, c in enumerate(order)}
    solve = _programme(cells, order, bounds)

    # A few vertices first (objectives over every target, deterministic): a target that
    # takes values 2 or more apart at two feasible points has two whole values, so it is
    # not pinned, and only the rest need their own least and greatest value.
    ordered = sorted(targets)
    if len(ordered) > 4:
        rng = np.random.default_rng(0)
        cols = [col[t] for t in ordered]
        seen = []
        for sign in (1.0, -1.0, *rng.choice([-1.0, 1.0], size=(4, len(cols)))):
            goal = np.zeros(len(order))
            goal[cols] = sign
            found = solve(goal)
            if found is not None:
                seen.append(found[0][cols])
        if len(seen) >= 2:
            spread = np.ptp(np.array(seen), axis=0)
            ordered = [t for t, w in zip(ordered, spread, strict=True) if w < 2 - 1e-6]
    out = set()
    for t in ordered:
        ends = []
        for sense in (1.0, -1.0):
            goal = np.zeros(len(order))
            goal[col[t]] = sense
            found = solve(goal)
            ends.append(sense * found[1] if found is not None else None)
        lo, hi = ends
        if lo is not None and hi is not None and math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) < 1:
            out.add(t)
    return out


def _programme(
    cells: Cells, order: list[str], bounds: dict[str, tuple[int, float | None]]
) -> Callable[[Any], tuple[Any, float] | None]:
    """The unknowns ``order`` under the exact equations (the other cells at their values) and
    ``bounds`` (default: no negative count), as one HiGHS model: ``solve(goal)`` minimizes
    ``goal @ x`` and gives ``(x, goal @ x)``, or None when it has no least value. Only the
    objective changes between solves, so each starts from the last one's basis (a fresh
    ``scipy.optimize.linprog`` per objective, the same solver, cost 10x more: most of the
    time of a plan)."""
    import highspy
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    rows = [eq for eq in cells.exact if any(c in col for c in eq)]
    rhs = np.zeros(len(rows))
    start, index, value = [0], [], []
    for i, eq in enumerate(rows):
        for c, coef in eq.items():
            if c in col:
                index.append(col[c])
                value.append(float(coef))
            else:
                rhs[i] -= coef * cells.values[c]
        start.append(len(index))
    n = len(order)
    box = [bounds.get(c, (0, None)) for c in order]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, len(rows)
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.array([float(lo) for lo, _ in box])
    lp.col_upper_ = np.array([highspy.kHighsInf if hi is None else float(hi) for _, hi in box])
    lp.row_lower_ = lp.row_upper_ = rhs
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, len(rows)
    lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    every = np.arange(n, dtype=np.int32)

    def solve(goal: Any) -> tuple[Any, float] | None:
        h.changeColsCost(n, every, np.asarray(goal, dtype=float))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.array(h.getSolution().col_value), h.getInfo().objective_function_value

    return solve


def protect(cells: Cells, k: int, *, forced: dict[str, str] | None = None) -> dict[str, str]:
    """Which published cells to hide, and why (``_protect`` on each group of cells that
    equations join: what is hidden in one group cannot give away a cell of another).
    ``forced``: cells hidden whatever this model finds, with their reason (what a run hides
    so that the reports it publishes together leak nothing, ``run.hides``)."""
    forced = {c: r for c, r in (forced or {}).items() if c in cells.published}
    import scipy.linalg  # noqa: F401 - loaded before the limit, so that it applies to its BLAS
    from threadpoolctl import threadpool_limits

    reasons: dict[str, str] = {}
    # The matrices are small: a BLAS thread pool only costs here (25x on a busy 2-core box).
    with threadpool_limits(1):
        groups = _components(cells)
        for group in groups:
            mine = {c: r for c, r in forced.items() if c in group.published}
            if any(0 < v < k for v in group.values.values()) or mine:
                reasons.update(_protect(group, k, forced=mine))
    return dict(sorted(reasons.items()))


def _protect(cells: Cells, k: int, *, forced: dict[str, str] | None = None) -> dict[str, str]:
    """Which published cells to hide, and why, so that no count of 1..k-1 can be worked out.

    Primary suppression hides every count of 1..k-1 (and ``forced``, with its reasons);
    then, while some count of 1..k-1 (published or not) follows from the cells still shown,
    by the equations alone or with the bounds a reader knows (a "<k" cell is 1..k-1, a
    "suppressed" one taken to be k or more, no count is negative), the smallest shown nonzero
    cell whose hiding frees it is hidden too (ties by name, so the choice is deterministic).
    When only the labels pin it (a small total over parts that are each at least 1) and no
    shown cell frees it, small cells lose their "<k" label for "suppressed" (they are then
    known only to be counts): one when one will do, else as few as free it together.
    """
    values = cells.values
    small = {c for c, v in values.items() if 0 < v < k}
    reasons = {c: SMALL for c in sorted(small & cells.published)}
    reasons.update(forced or {})
    unknown = set(reasons) | (set(values) - cells.published)
    both = cells.exact + cells.near

    def by_value(c: str) -> tuple[int, str]:
        return values[c], c

    def bounds() -> dict[str, tuple[int, float | None]]:
        # "<k": 1..k-1 (zeros are shown); "suppressed": k or more when it is (a reader who
        # guesses so is stronger than the label allows), else a small count that carries no
        # size label (``relabel``), known only to be a count
        return {
            c: (1, k - 1) if r == SMALL else (k, None) if values[c] >= k else (0, None)
            for c, r in reasons.items()
        }

    def relabel(target: str) -> list[str]:
        """The small hidden cells whose "<k" labels, dropped for "suppressed", free ``target``
        when the labels' bounds pin it: one cell when one will do (the largest first, ties by
        name), else the fewest of that order that together do (several small parts under a
        small total each pin the rest); none when even every label dropped does not."""
        labelled = sorted(
            (c for c, r in reasons.items() if r == SMALL), key=lambda c: (-values[c], c)
        )
        for c in labelled:
            trial = {**bounds(), c: (0, None)}
            if target not in _pinned(cells, unknown, trial, {target}):
                return [c]
        trial = bounds()
        for i, c in enumerate(labelled):
            trial[c] = (0, None)
            if i and target not in _pinned(cells, unknown, trial, {target}):
                return labelled[: i + 1]
        return []

    def exposed(unk: set[str]) -> set[str]:
        found = _determined(both, sorted(unk)) & small
        return found

    # Hiding more, or saying less of a hidden cell, only ever widens what a reader can
    # allow: a small cell once found free stays free, so it is not checked again.
    free: set[str] = set()
    while True:
        found = exposed(unknown)
        linear = bool(found)
        if not found:
            found = _pinned(cells, unknown, bounds(), small - free)
            free |= small - found
        if not found:
            return _reveal(cells, reasons, k)
        target = min(found, key=by_value)
        shown = sorted((c for c in cells.published - unknown if values[c] > 0), key=by_value)
        near_target = [c for c in shown if any(target in eq and c in eq for eq in both)]
        pick = None
        if linear:
            freeing = set(_frees(both, sorted(unknown), target))
            pick = next((c for c in near_target + shown if c in freeing), None)
        else:
            # the target's neighbours (cells in an equation with it) first, then the rest
            for c in near_target + [c for c in shown if c not in near_target]:
                trial = unknown | {c}
                if target not in _pinned(cells, trial, {**bounds(), c: (k, None)}, {target}):
                    pick = c
                    break
        if pick is None and not linear:
            dropped = relabel(target)
            if dropped:
                reasons.update(dict.fromkeys(dropped, COMPLEMENTARY))
                continue
        if pick is None:
            loose = [c for c in near_target if c not in exposed(unknown | {c})]
            options = loose or near_target or shown
            pick = options[0] if options else None
        if pick is None:
            return _reveal(cells, reasons, k)  # nothing left: all that could protect is hidden
        unknown.add(pick)
        reasons[pick] = COMPLEMENTARY


def _reveal(cells: Cells, reasons: dict[str, str], k: int) -> dict[str, str]:
    """Show again every count hidden only to protect others ("complementary") that the exact
    identities fix from what is shown: hiding it protects nothing (a reader works it out),
    and its "suppressed" would stand where a number can be read, beside a rate or a chart
    point that gives it. A revealed count is fixed by the shown ones, so showing it narrows
    nothing a reader can allow for any other."""
    while True:
        unknown = set(reasons) | (set(cells.values) - cells.published)
        fixed = _determined(cells.exact, sorted(unknown))
        back = [c for c in fixed if reasons.get(c) == COMPLEMENTARY and not 0 < cells.values[c] < k]
        if not back:
            return reasons
        for c in back:
            del reasons[c]


def suppress_document(
    doc: dict[str, Any], k: int, *, derived: dict[str, int]
) -> tuple[dict[str, Any], dict[str, str], dict[str, int | None]]:
    """Apply small-cell suppression to a metrics document as one model (``protect`` over
    the identities of ``identities.FAMILIES``).

    Returns a copy whose hidden figures are ``None``, the hidden keys with their reason
    (``small``, ``complementary``, ``rate``, ``estimate``; ``~`` keys are counts shown beside
    a rate, and a rate the document does not hold, such as the step-down rate), and the
    counts behind the rates as a reader may see them (``None`` when hidden).
    """
    shown, reasons, behind, _ = suppress_report(doc, k, derived=derived)
    return shown, reasons, behind


def suppress_report(
    doc: dict[str, Any],
    k: int,
    *,
    derived: dict[str, int],
    tables: dict[str, pd.DataFrame] | None = None,
    context: pub.Context | None = None,
    forced: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, str], dict[str, int | None], dict[str, pd.DataFrame]]:
    """``suppress_document`` over a document and the frames a report publishes beside it
    (``published.TABLES``) as one model: a breakdown cannot give back what the document
    hides, nor the document what a breakdown hides. Also returns the frames as shown (a
    hidden count or rate missing, ``NaN``); ``reasons`` names their cells
    ``table[row].column``. ``forced``: as ``protect``'s."""
    shown = copy.deepcopy(doc)
    tables = tables or {}
    cells = document_cells(doc, derived, tables=tables, context=context)
    behind: dict[str, int | None] = {
        c: cells.values[c] for c in sorted(cells.published) if c.startswith("~")
    }
    if k <= 1:
        return shown, {}, behind, {n: df.copy() for n, df in tables.items()}
    reasons = protect(cells, k, forced=forced)
    unknown = set(reasons) | (set(cells.values) - cells.published)
    every = ids.identities(doc)
    if tables:
        every = every + pub.identities(tables, context or pub.Context())
    for i in every:
        if isinstance(i, ids.Rate) and (i.num in unknown or i.den in unknown):
            reasons[i.rate] = RATE
    for i in every:
        if isinstance(i, ids.Estimate) and i.base in unknown:
            reasons[i.key] = ESTIMATE
    keys = {key for key, _ in flatten(doc)}
    for key in sorted(reasons):
        if key in keys:
            set_figure(shown, key, None)
    frames = {n: _hide_frame(n, df, reasons) for n, df in tables.items()}
    return (
        shown,
        dict(sorted(reasons.items())),
        {c: None if c in reasons else v for c, v in behind.items()},
        frames,
    )


def _hide_frame(name: str, df: pd.DataFrame, reasons: dict[str, str]) -> pd.DataFrame:
    """A published frame with its hidden cells (counts, rates, estimates) missing."""
    import pandas as pd

    out = df.copy()
    names = pub.rows(name, df)
    spec = pub.TABLES[name]
    columns = [*spec.counts, *(r for r, _, _ in spec.rates), "day_90", "share"]
    for col in columns:
        if col not in out:
            continue
        mask = pd.Series([pub.cell(name, r, col) in reasons for r in names], index=out.index)
        if mask.any():
            out[col] = out[col].astype("float64").mask(mask)
    return out


def suppress_frame(
    df: pd.DataFrame,
    k: int,
    *,
    counts: tuple[str, ...],
    rates: dict[str, tuple[str, str]] | None = None,
    across_rows: bool = True,
) -> pd.DataFrame:
    """Hide small counts (and rates built on them) in a table or chart's data.

    Each count column is a group whose total may be shown elsewhere, so a lone
    hidden cell in a column takes the smallest other nonzero cell with it
    (``across_rows``). Rates map to (numerator, denominator) columns. Hidden
    cells become missing values, so a chart does not draw them.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"n": [30, 4, 25, 40]})
    >>> suppress_frame(df, 11, counts=("n",))["n"].tolist()
    [30.0, nan, nan, 40.0]
    """
    import pandas as pd

    out = df.copy()
    if k <= 1:
        return out
    hide = pd.DataFrame(False, index=df.index, columns=list(counts))
    for c in counts:
        hide[c] = df[c].map(lambda v: is_small(None if pd.isna(v) else int(v), k))
        if across_rows and hide[c].sum() == 1:
            rest = df.loc[~hide[c] & (df[c] > 0), c]
            if len(rest):
                hide.loc[rest.idxmin(), c] = True
    for r, (num, den) in (rates or {}).items():
        n, d = df[num], df[den]
        small = (
            n.map(lambda v: is_small(int(v), k))
            | d.map(lambda v: is_small(int(v), k))
            | (d - n).map(lambda v: is_small(int(v), k))
        )
        bad = small.copy()
        for col in (num, den):
            if col in hide:
                bad |= hide[col]
        out[r] = out[r].astype("float64").mask(bad)
    for c in counts:
        out[c] = out[c].astype("float64").mask(hide[c])
    return out


def suppression_block(
    k: int, reasons: dict[str, str], behind: dict[str, int | None]
) -> dict[str, Any]:
    """The ``suppression`` block of an external metrics.json: K, every hidden figure with why
    it is hidden (``small``: a count of 1..K-1, shown "<K"; ``complementary``: hidden so that a
    small one cannot be worked out, shown "suppressed"; ``rate`` and ``estimate``: built on a
    hidden count), and the counts the rates table shows beside the rates (null when hidden)."""
    return {
        "k": k,
        "hidden": {key: reasons[key] for key in sorted(reasons)},
        "counts_behind_rates": dict(behind),
    }


def external_document(doc: dict[str, Any], k: int, *, derived: dict[str, int]) -> dict[str, Any]:
    """A metrics document as an external metrics.json carries it: suppressed, with its
    ``suppression`` block."""
    shown, reasons, behind = suppress_document(doc, k, derived=derived)
    return {**shown, "suppression": suppression_block(k, reasons, behind)}
