"""The suppression model: a document's counts as cells tied by equations, and which of them
to hide so that no count of 1..K-1 can be worked out from the ones shown.

``protect`` decides, over ``Cells`` (every count, the ones published, the exact and near
equations among them); ``suppress.py`` builds the cells of a document and applies the
decision, ``linked.py`` joins a run's reports into one model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any


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
# hidden and may be 0: a figure a later run withholds for every scope, zeros too, where
# its "<K" or "suppressed" (1 or more) would give an earlier hidden count away (``withhold``)
WITHHELD = "withheld"

# What a director reads first: the retention cohort, the group the 30/60/90-day estimates
# describe (hiding it hides them), in the document and as the trends' 90-day n; and the sites
# page's 12-month completion n, without which its completion funnels have no site to draw.
# Hidden to protect another count only when no other shown cell will do (``headline``).
HEADLINE = re.compile(
    r"(.+:)?(retention\.cohort_admissions|monthly\[[^\]]+\]\.cohort"
    r"|completion\.12m\[[^\]]+\]\.n)"
)


def headline(cell: str) -> bool:
    """True for a headline figure (``HEADLINE``): tried last when a cell must be hidden to
    protect another (every other candidate first, in the order the model tries them).

    >>> headline("all:retention.cohort_admissions"), headline("monthly[2026-10].cohort")
    (True, True)
    >>> headline("sites:completion.12m[north].n"), headline("sites:step_down.12m[north].n")
    (True, False)
    >>> headline("census.admissions"), headline("all:monthly[2026-10].admissions")
    (False, False)
    """
    return HEADLINE.fullmatch(cell) is not None


@dataclass(frozen=True)
class Cells:
    """The counts of a document (or of several tables) and the equations that tie them.

    ``values`` holds every count, published or not; ``published`` the ones a reader sees
    unless they are hidden; each equation maps cells to coefficients (sum = 0); ``near`` are
    equations most programs meet (protected against, never used to bound). ``members``: the
    records each covered count counts (``atoms.py``), from which ``with_atoms`` makes the
    atoms and their equations.
    """

    values: dict[str, int]
    published: frozenset[str]
    exact: tuple[dict[str, int], ...]
    near: tuple[dict[str, int], ...] = ()
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    inner: tuple[dict[str, int], ...] = ()  # covered cells as sums of atoms (``with_atoms``)


def with_atoms(cells: Cells) -> Cells:
    """``cells`` with its atoms (``atoms.atoms`` over ``members``) as unpublished counts: each
    covered cell is the sum of the atoms that hold it (``inner``, what bounds a reader: no atom
    is negative), and the identities among the cells that those equations imply, found by
    eliminating the atoms once (exact, ``_reduce``), replace every equation among covered cells
    alone (declared by hand, it either follows from the atoms or is false). Checks first that
    each covered count is the number of its records.

    >>> c = Cells({"a": 2, "b": 1, "t": 3}, frozenset("abt"), ({"t": -1, "a": 1},),
    ...           members={"a": ("e:1", "e:2"), "b": ("e:3",), "t": ("e:1", "e:2", "e:3")})
    >>> w = with_atoms(c)
    >>> sorted(w.values.items())
    [('@0', 2), ('@1', 1), ('a', 2), ('b', 1), ('t', 3)]
    >>> w.exact
    ({'t': -1, 'a': 1, 'b': 1},)
    >>> w.inner
    ({'a': -1, '@0': 1}, {'b': -1, '@1': 1}, {'t': -1, '@0': 1, '@1': 1})
    """
    from .atoms import ATOM, atoms, check

    if not cells.members:
        return cells
    check(cells.values, cells.members)
    values = dict(cells.values)
    eqs: dict[str, dict[str, int]] = {c: {c: -1} for c in sorted(cells.members)}
    names = []
    for i, (sig, n) in enumerate(atoms(cells.members)):
        names.append(f"{ATOM}{i}")
        values[names[-1]] = n
        for c in sig:
            eqs[c][names[-1]] = 1
    inner = tuple(eqs.values())
    mine = set(cells.members)
    # A cell counting the same records as one before it (one month's count in each report
    # that prints it: a year of ledger repeats most of them) has that one's row of atoms; its
    # row left by the elimination is that one's with the cell in its place (the atoms' rows
    # before it are the same, so what they leave of the same atoms is too), or the two equal
    # when that one's row is a pivot: so only the first of each is eliminated
    first: dict[tuple[str, ...], str] = {}
    same = {c: first.setdefault(tuple(eq)[1:], c) for c, eq in eqs.items()}
    own = [c for c in eqs if same[c] == c]
    _, left = _reduce(tuple(eqs[c] for c in own), names, known=True)
    # a row left holds its own cell and cells of rows before it (their pivots'): the last
    at = {c: i for i, c in enumerate(own)}
    of = {max((c for c in row if c in at), key=at.__getitem__): row for row in left}
    rest: list[dict[str, Any]] = []
    for c in eqs:
        one = same[c]
        if one == c:
            if c in of:
                rest.append(of[c])
        elif one in of:
            rest.append({(c if x == one else x): a for x, a in of[one].items()})
        else:
            rest.append({c: -1, one: 1})

    def kept(group: tuple[dict[str, int], ...]) -> tuple[dict[str, int], ...]:
        return tuple(eq for eq in group if not all(c in mine for c in eq))

    implied = tuple(_whole(row) for row in rest)
    return Cells(values, cells.published, kept(cells.exact) + implied, kept(cells.near), {}, inner)


def _whole(row: dict[str, Any]) -> dict[str, int]:
    """An equation's coefficients made whole (times their denominators' least common
    multiple), the first one negative."""
    from fractions import Fraction

    scale = math.lcm(*(Fraction(a).denominator for a in row.values()))
    out = {c: int(Fraction(a) * scale) for c, a in row.items()}
    if next(iter(out.values())) > 0:
        out = {c: -a for c, a in out.items()}
    return out


def _joined(cells: Iterable[str], eqs: Iterable[Iterable[str]]) -> dict[str, str]:
    """Each of ``cells`` -> the one cell that stands for its part: the cells that equations
    join, directly or through others of ``cells`` (union-find; other cells of an equation
    join nothing).

    >>> r = _joined("abcd", [{"a": 1, "b": -1}, {"b": 1, "x": -1, "c": 1}])
    >>> r["a"] == r["b"] == r["c"] != r["d"]
    True
    """
    parent = {c: c for c in cells}

    def root(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for eq in eqs:
        held = [root(c) for c in eq if c in parent]
        for b in held[1:]:
            a, b = root(held[0]), root(b)
            if a != b:
                parent[b] = a
    return {c: root(c) for c in parent}


def _components(cells: Cells) -> list[Cells]:
    """The cells split into groups that no equation joins (each protected on its own)."""
    root = _joined(cells.values, cells.exact + cells.near + cells.inner)
    groups: dict[str, set[str]] = {}
    for c in cells.values:
        groups.setdefault(root[c], set()).add(c)
    # each equation to its group in one pass (not one scan of every equation per group: a run
    # joined with the ledger's earlier outputs has thousands of groups)
    exact: dict[str, list[dict[str, int]]] = {}
    near: dict[str, list[dict[str, int]]] = {}
    inner: dict[str, list[dict[str, int]]] = {}
    for eqs, into in ((cells.exact, exact), (cells.near, near), (cells.inner, inner)):
        for eq in eqs:
            into.setdefault(root[next(iter(eq))], []).append(eq)
    out = []
    for key, group in groups.items():
        out.append(
            Cells(
                {c: cells.values[c] for c in group},
                frozenset(cells.published & group),
                tuple(exact.get(key, ())),
                tuple(near.get(key, ())),
                inner=tuple(inner.get(key, ())),
            )
        )
    return out


def _reduce(
    eqs: tuple[dict[str, int], ...], unknown: list[str], *, known: bool
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Gauss-Jordan elimination of the unknowns over the rationals (exact, sparse: a row is
    a dict cell -> coefficient, ints while the pivots are 1 or -1, else Fractions).

    Gives the pivot rows (pivot cell -> its row, scaled so the pivot is 1; no pivot row holds
    another pivot's cell) and the rows left with no unknown. With ``known`` the rows keep
    the other cells too (the columns of the known side, reduced by the same operations);
    without, only the equations that hold an unknown are read, and only their unknowns.
    A pivot row meets only the pivots of the cells it holds (``at``: cell -> the pivots whose
    rows hold it), so each operation touches a few short rows, whatever the system's size.
    """
    from fractions import Fraction

    rank = {c: j for j, c in enumerate(unknown)}
    pivots: dict[str, dict[str, Any]] = {}
    at: dict[str, set[str]] = {}  # cell -> the pivots whose rows hold it
    rest: list[dict[str, Any]] = []
    for eq in eqs:
        row: dict[str, Any] = {c: a for c, a in eq.items() if a and (known or c in rank)}
        if not known and not row:
            continue
        # a pivot row holds no other pivot, so subtracting it brings in none: one pass
        for p in [c for c in row if c in pivots]:
            f = row.get(p)
            if f:
                for c, a in pivots[p].items():
                    v = row.get(c, 0) - f * a
                    if v:
                        row[c] = v
                    else:
                        row.pop(c, None)
        held = [c for c in row if c in rank]
        if not held:
            if row:
                rest.append(row)
            continue
        p = min(held, key=rank.__getitem__)
        d = row[p]
        row = {c: a * d if d in (1, -1) else Fraction(a) / d for c, a in row.items()}
        for q in at.pop(p, set()):
            other = pivots[q]
            f = other.pop(p)
            for c, a in row.items():
                if c == p:
                    continue
                v = other.get(c, 0) - f * a
                if v:
                    other[c] = v
                    at.setdefault(c, set()).add(q)
                else:
                    other.pop(c, None)
                    at[c].discard(q)
        pivots[p] = row
        for c in row:
            if c != p:
                at.setdefault(c, set()).add(p)
    return pivots, rest


def _determined(eqs: tuple[dict[str, int], ...], unknown: list[str]) -> set[str]:
    """The unknown cells that the equations fix once every other cell is known: those whose
    pivot row, reduced, holds no other unknown (every solution of the unknowns' homogeneous
    system has 0 there)."""
    pivots, _ = _reduce(eqs, unknown, known=False)
    return {p for p, row in pivots.items() if len(row) == 1}


def _frees(
    eqs: tuple[dict[str, int], ...],
    unknown: list[str],
    target: str,
    reduced: tuple[dict[str, dict[str, Any]], set[str]] | None = None,
) -> tuple[list[str], list[str]]:
    """The cells that, hidden too, would no longer let the equations fix ``target`` (an
    unknown they fix): hiding ``c`` frees it exactly when no equation left without an
    unknown holds c (c's column lies in the span of the unknowns' columns) and target's
    reduced row holds c (the solution of that system moves ``target``), in name order; and
    every shown cell of that row (when none frees it alone, one of them hidden cuts one of
    the ways the target is worked out: a cell off the row cuts none). ``reduced``: the pivot
    rows and the cells of the rows left without an unknown, made already (``Elimination``)."""
    hidden = set(unknown)
    others = sorted({c for eq in eqs for c in eq} - hidden)
    if not eqs or not others:
        return [], []
    if reduced is None:
        pivots, rest = _reduce(eqs, unknown, known=True)
        reduced = pivots, {c for row in rest for c in row}
    pivots, blocked = reduced
    mine = pivots.get(target, {})
    if any(c in hidden for c in mine if c != target):
        return [], []  # target is not fixed: nothing to free
    row = [c for c in others if mine.get(c)]
    return [c for c in row if c not in blocked], row


def _pinned(
    cells: Cells,
    unknown: set[str],
    bounds: dict[str, tuple[int, float | None]],
    targets: set[str],
    duals: dict[str, Duals] | None = None,
    *,
    first: Callable[[str], Any] | None = None,
    free: set[str] | None = None,
    near: Callable[[str], Duals | None] | None = None,
) -> set[str]:
    """The target cells that the exact equations and the bounds a reader knows (labels, no
    negative count) narrow to one whole number (linear programming over the unknowns).
    ``duals``: filled with each pinned target's ``Duals`` (what cannot widen it). ``first``:
    only the first pinned target in this order is wanted (the targets left after the vertex
    pre-pass are tried in it, up to that one; the first of them not yet free is tried before
    the pre-pass and after each of its rounds, which stops once that one is pinned); ``free``:
    given the targets shown not pinned;
    ``near``: a target's proof from the equations near it (``_near``), asked first."""
    order = sorted(unknown)
    col = {c: j for j, c in enumerate(order)}
    solve = _programme(cells, order, bounds)
    decided: dict[str, Duals | None] = {}  # a target's proof, None when it is free

    def prove(t: str) -> Duals | None:
        if t not in decided:
            proof = near(t) if near is not None else None
            if proof is None:
                certificate = _ends(solve, len(order), col[t])
                if certificate is not None:
                    proof = Duals(solve.rows, col, certificate)  # type: ignore[attr-defined]
            decided[t] = proof
        return decided[t]

    def settled(left: list[str]) -> bool:
        # the first target left in ``first``'s order that is not free yet, proved: when it is
        # pinned, it is the one wanted (every target before it is free), and the pre-pass
        # stops there (or is not made: a search's later rounds mostly find their first target
        # pinned). One target before the pre-pass and after each of its rounds: its pair of
        # programmes costs about a fifth of what the pre-pass's first round does. The targets
        # are then tried in that order as without it, each proved once: the same one found
        for t in sorted(left, key=first):
            if t not in decided:
                return prove(t) is not None
            if decided[t] is not None:
                return True
        return False

    # A few vertices first (objectives over every target, deterministic): a target that
    # takes values 2 or more apart at two feasible points has two whole values, so it is
    # not pinned, and only the rest need their own least and greatest value.
    ordered = sorted(targets)
    if len(ordered) > 4 and not (first and settled(ordered)):
        ordered = _spread(cells, order, bounds, solve, ordered, settled if first else None)
    if free is not None:
        free |= targets - set(ordered)
    out = set()
    for t in sorted(ordered, key=first) if first else ordered:
        proof = prove(t)
        if proof is None:
            if free is not None:
                free.add(t)
            continue
        out.add(t)
        if duals is not None:
            duals[t] = proof
        if first:
            break
    return out


def _ends(
    solve: Callable[[Any], tuple[Any, float, tuple[Any, Any]] | None], n: int, j: int
) -> list[tuple[Any, Any]] | None:
    """The duals of the least and greatest value of unknown ``j`` (of ``n``, ``_programme``)
    when no two whole values lie between them (it is pinned), else None."""
    import numpy as np

    ends, certificate = [], []
    for sense in (1.0, -1.0):
        goal = np.zeros(n)
        goal[j] = sense
        found = solve(goal)
        ends.append(sense * found[1] if found is not None else None)
        if found is not None:
            certificate.append(found[2])
    lo, hi = ends
    if lo is not None and hi is not None and math.floor(hi + 1e-6) - math.ceil(lo - 1e-6) < 1:
        return certificate
    return None


def _near(
    cells: Cells,
    held: Mapping[str, list[dict[str, int]]],
    unknown: set[str],
    bounds: Mapping[str, tuple[int, float | None]],
    target: str,
) -> Duals | None:
    """What proves ``target`` (an unknown) pinned by the equations near it alone: those that
    hold it; then those too that hold one of their unknowns (every unknown of these in the
    programme, every other equation left out). Leaving equations out only widens the region,
    so when these pin the target the whole programme pins it too, and their duals prove it
    there (``Duals``: 0 for an equation left out; an unknown these do not hold has a reduced
    cost of 0). None when they do not pin it (only the whole programme can say), or when
    more than ``NEAR`` unknowns are near. On a network's year of ledger one of the whole
    programmes costs 15 to 20 s a target, these about 1 s.

    >>> c = Cells({"t": 1, "a": 1, "b": 2, "d": 1, "e": 3, "f": 1, "g": 4}, frozenset("tabdefg"),
    ...           ({"t": 1, "a": 1, "b": -1}, {"b": 1, "d": 1, "e": -1}, {"e": 1, "f": 1, "g": -1}))
    >>> held = {x: [eq for eq in c.exact if x in eq] for x in "tabdefg"}
    >>> box = dict.fromkeys("tabde", (1, None))
    >>> _near(c, held, set("tabde"), box, "t") is None  # pinned three equations away only
    True
    >>> proof = _near(c, held, set("tabd"), box, "t")  # e shown: b + d = 3, so b = 2, t = 1
    >>> proof is not None, proof.steady(held, ["f"]), proof.steady(held, ["e"])
    (True, True, False)
    """
    for order, rows in _rings(held, unknown, target):
        if len(order) > NEAR:
            return None
        solve = _programme(cells, order, bounds, rows)
        certificate = _ends(solve, len(order), order.index(target))
        if certificate is not None:
            return Duals(solve.rows, solve.col, certificate)  # type: ignore[attr-defined]
    return None


def _rings(
    held: Mapping[str, list[dict[str, int]]], unknown: set[str], target: str
) -> Iterator[tuple[list[str], list[dict[str, int]]]]:
    """``_near``'s regions, each with its unknowns (sorted) and equations: the equations that
    hold ``target``, then those too that hold one of their unknowns."""
    rows: dict[int, dict[str, int]] = {}
    reached, last = {target}, [target]
    for _ in range(2):
        for c in last:
            for eq in held.get(c, ()):
                rows.setdefault(id(eq), eq)
        last = sorted({c for eq in rows.values() for c in eq if c in unknown} - reached)
        reached.update(last)
        yield sorted(reached), list(rows.values())


def _near_trials(
    cells: Cells,
    held: Mapping[str, list[dict[str, int]]],
    unknown: set[str],
    bounds: Mapping[str, tuple[int, float | None]],
    target: str,
) -> Callable[[Mapping[str, tuple[int, float | None]]], bool] | None:
    """``_near`` for many trials that each change some unknowns' bounds: its wider region (the
    equations that hold ``target``, then those too that hold one of their unknowns) made once
    as one programme; ``pinned(box)`` says whether the target is pinned there with the bounds
    of ``box`` (bounds no narrower than ``bounds``; then put back), each solve from the last
    one's basis. A pin in the narrower region is one in the wider (more equations only narrow
    it), so each trial says what ``_near`` says. The region as it is is solved first: a target
    it does not pin no trial pins, and a trial that frees only columns whose reduced costs are
    0 at both ends leaves it pinned, unsolved. None past ``NEAR`` unknowns: ask ``_near`` then.

    >>> c = Cells({"t": 1, "a": 1, "b": 2, "d": 2}, frozenset("tabd"),
    ...           ({"t": 1, "a": 1, "b": -1}, {"b": 1, "d": -1}))
    >>> held = {x: [eq for eq in c.exact if x in eq] for x in "tabd"}
    >>> pinned = _near_trials(c, held, set("tab"), dict.fromkeys("tab", (1, None)), "t")
    >>> pinned({}), pinned({"a": (0, None)}), pinned({})  # b = d = 2: t + a = 2
    (True, False, True)
    >>> c = Cells({"t": 1, "a": 1, "b": 2, "d": 1, "e": 3, "f": 1, "g": 4}, frozenset("tabdefg"),
    ...           ({"t": 1, "a": 1, "b": -1}, {"b": 1, "d": 1, "e": -1}, {"e": 1, "f": 1, "g": -1}))
    >>> held = {x: [eq for eq in c.exact if x in eq] for x in "tabdefg"}
    >>> pinned = _near_trials(c, held, set("tabde"), dict.fromkeys("tabde", (1, None)), "t")
    >>> pinned({}), pinned({"a": (0, None)})  # pinned three equations away only (as ``_near``)
    (False, False)
    """
    *_, (order, rows) = _rings(held, unknown, target)
    if len(order) > NEAR:
        return None
    solve: Any = _programme(cells, order, bounds, rows, ends=True)
    j = order.index(target)
    base: list[list[tuple[Any, Any]] | None] = []  # the ends with no bound changed, once

    def pinned(box: Mapping[str, tuple[int, float | None]]) -> bool:
        inside = {c: b for c, b in box.items() if c in solve.col}
        if not base:
            base.append(_ends(solve, len(order), j))
        if base[0] is None:
            return False  # not pinned here as it is: a trial only widens the region
        if all(abs(reduced[solve.col[c]]) <= 1e-9 for _, reduced in base[0] for c in inside):
            return True  # each column freed has a reduced cost of 0 at both ends (``Duals``)
        solve.within(inside)
        try:
            return _ends(solve, len(order), j) is not None
        finally:
            solve.within({c: bounds.get(c, (0, None)) for c in inside})

    return pinned


def _cycle(
    cells: Cells,
    unknown: set[str],
    bounds: Mapping[str, tuple[int, float | None]],
    hidden: Mapping[str, tuple[int, float | None]],
    target: str,
    weight: Mapping[str, float],
) -> list[str] | None:
    """The shown cells to hide together so that ``target`` (an unknown) can be one whole value
    above or below its own: a point of the region, once they are hidden, with the target one
    away, where the hidden cells moved least, by ``weight`` (one linear programme a way,
    HiGHS). The target then has two whole values between its least and its greatest (its own
    and that one), so it is not pinned. ``hidden``: the candidates (shown cells), each with
    the bounds a reader takes it within once hidden; the other unknowns within ``bounds``
    (default: no negative count). Those that move are the answer, the cheaper way's (upward
    when both cost the same); None when no way is open, even with every candidate hidden.

    Where no one cell frees a target (``widen``), its equations pin it along each line of
    the tables (a table with margins needs a rectangle hidden: the cell, one beside it in
    its row, one in its column and the one where they meet), and the cells to hide follow
    from that one point, not from one more cell hidden a round:

    >>> v = {"a": 1, "b": 20, "c": 30, "d": 40, "r1": 21, "r2": 70, "s1": 31, "s2": 60, "t": 91}
    >>> eqs = ({"r1": 1, "a": -1, "b": -1}, {"r2": 1, "c": -1, "d": -1},
    ...        {"s1": 1, "a": -1, "c": -1}, {"s2": 1, "b": -1, "d": -1},
    ...        {"t": 1, "r1": -1, "r2": -1}, {"t": 1, "s1": -1, "s2": -1})
    >>> c = Cells(v, frozenset(v), eqs)
    >>> shown = {x: (11, None) for x in v if x != "a"}
    >>> _cycle(c, {"a"}, {"a": (1, 10)}, shown, "a", v)  # 20 + 30 + 40 < 21 + 31 + 91
    ['b', 'c', 'd']
    >>> _cycle(c, {"a"}, {"a": (1, 10)}, dict.fromkeys(["r1", "s1"], (11, None)), "a", v)
    >>> _cycle(c, {"a"}, {"a": (1, 1)}, shown, "a", v)  # 1..1: no whole value beside it
    """
    import numpy as np

    order, cand = sorted(unknown), sorted(hidden)
    n, m = len(order), len(cand)
    col = {c: j for j, c in enumerate(order + cand)}
    _, rhs, (start, index, value) = _rows(cells, col)
    # each candidate its value moved by p - q: two more columns, each 0 or more, and a row
    for i in range(m):
        index += [n + i, n + m + i, n + 2 * m + i]
        value += [1.0, -1.0, 1.0]
        start.append(len(index))
    box = [bounds.get(c, (0, None)) for c in order] + [hidden[c] for c in cand]
    lower = [lo for lo, _ in box] + [0.0] * (2 * m)
    upper = [hi for _, hi in box] + [None] * (2 * m)
    at = np.r_[rhs, [cells.values[c] for c in cand]]
    h = _highs(lower, upper, at, at, (start, index, value))
    price = [float(weight[c]) for c in cand]
    every = np.arange(n + 3 * m, dtype=np.int32)
    h.changeColsCost(n + 3 * m, every, np.r_[np.zeros(n + m), price, price])
    j = col[target]
    return _cheapest_step(h, j, cells.values[target], box[j], cand, lambda x: x[n + m :])


def _cheapest_step(
    h: Any,
    j: int,
    own: int,
    box: tuple[int, float | None],
    cand: list[str],
    moves: Callable[[Any], Any],
) -> list[str] | None:
    """``h``'s least cost with column ``j`` (a target of value ``own``, within ``box``) one
    whole value above or below its own: the candidates whose entries of ``moves(x)`` (paired
    with ``cand``, the first half then the second) are above 0 at the cheaper way's point
    (upward when both cost the same); None when neither way is open (``_cycle``, ``_lift``)."""
    import highspy
    import numpy as np

    lo, hi = box
    best: tuple[float, list[str]] | None = None
    for step in (1, -1):
        if own + step < lo or (hi is not None and own + step > hi):
            continue
        h.changeColBounds(j, own + step, own + step)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            continue
        x = np.asarray(h.getSolution().col_value)
        cost = h.getInfo().objective_function_value
        if best is None or cost < best[0] - 1e-9:
            off = moves(x)
            off = off[: len(cand)] + off[len(cand) :]
            best = (cost, [c for c, d in zip(cand, off, strict=True) if d > 1e-7])
    return None if best is None else best[1]


def _spread(
    cells: Cells,
    order: list[str],
    bounds: dict[str, tuple[int, float | None]],
    solve: Callable[[Any], tuple[Any, float, tuple[Any, Any]] | None],
    targets: list[str],
    settled: Callable[[list[str]], bool] | None = None,
) -> list[str]:
    """The ``targets`` (unknowns of ``order``) that a few feasible points do not show at two
    whole values: the others have two whole values between their least and greatest, so they
    are not pinned. ``settled``: asked with the targets left after each round; when it says
    so (the one target wanted of them is found), no round more.

    First the targets with no greatest value (``_rays``: one programme) are set apart. Then,
    from the least sum of the rest, each round finds four points (``_reaching``): each target
    left as far above the greatest value seen as two whole values between its least and
    greatest need; each as far below the least seen; and each of a random half above, the
    other half below (deterministic), then the other way round (two counts whose sum is
    fixed move apart only so). Each point is the greatest sum of ``min(x - greatest seen,
    need)`` (or its downward twin), so a target that cannot go its way costs the others
    nothing. Again while a round frees a few (``ROUND``): a round's four programmes cost
    about what two targets' own pairs (``_ends``) cost."""
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    endless = _rays(cells, order, bounds, targets)
    left = [t for t in targets if t not in endless]
    if len(left) <= 4:
        return left
    tc = np.array([col[t] for t in left])
    goal = np.zeros(len(order))
    goal[tc] = 1.0
    found = solve(goal)
    if found is None:  # no point at all: ``_ends`` finds no least value either
        return left
    lo, hi = found[0][tc], found[0][tc]
    reach = _reaching(cells, order, bounds, list(tc))
    rng = np.random.default_rng(0)
    on = np.ones(len(tc), dtype=bool)  # the targets left, in the first order
    while on.sum() > 4:
        before = int(on.sum())
        flips = rng.choice([-1, 1], size=len(tc))
        for signs in (np.ones(len(tc)), -np.ones(len(tc)), flips, -flips):
            # each target as far above its greatest value seen (or below its least) as two
            # whole values between them need
            up = np.ceil(lo - 1e-6) + 1 - hi
            down = lo - np.floor(hi + 1e-6) + 1
            x = reach(np.where(on, signs, 0), lo, hi, up, down)
            if x is not None:
                lo, hi = np.minimum(lo, x[tc]), np.maximum(hi, x[tc])
            # two whole values between the least and the greatest seen (``_pinned``'s test)
            on &= np.floor(hi + 1e-6) - np.ceil(lo - 1e-6) < 1
        if before - on.sum() < min(0.2 * before, ROUND):
            break
        if settled is not None and settled([t for t, keep in zip(left, on, strict=True) if keep]):
            break
    return [t for t, keep in zip(left, on, strict=True) if keep]


def _rays(
    cells: Cells, order: list[str], bounds: dict[str, tuple[int, float | None]], targets: list[str]
) -> set[str]:
    """The ``targets`` with no greatest value: those some direction ``d`` of the region (its
    recession cone: the equations' rows times ``d`` are 0; ``d`` at least 0 where there is a
    least value, 0 where there is a greatest too) raises. One programme: the greatest sum of
    ``min(d_t, 1)`` over the targets; the sum of two directions is one, so at its optimum every
    target some direction raises is at 1 (the optimum is their number).

    >>> c = Cells({"t": 2, "a": 1, "b": 1, "e": 5}, frozenset("tabe"),
    ...           ({"t": -1, "a": 1, "b": 1},))
    >>> sorted(_rays(c, ["a", "b", "e"], {"a": (1, None), "b": (1, None)}, ["a", "b", "e"]))
    ['e']
    """
    import highspy
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    _, rhs, (start, index, value) = _rows(cells, col)
    n, m = len(order), len(targets)
    for i, t in enumerate(targets):  # s_t - d_t <= 0
        index += [n + i, col[t]]
        value += [1.0, -1.0]
        start.append(len(index))
    box = [bounds.get(c, (0, None)) for c in order]
    h = _highs(
        [0.0] * (n + m),
        [None if hi is None else 0.0 for _, hi in box] + [1.0] * m,
        np.concatenate([np.zeros(len(rhs)), np.full(m, -highspy.kHighsInf)]),
        np.zeros(len(rhs) + m),
        (start, index, value),
        maximize=True,
    )
    h.changeColsCost(n + m, np.arange(n + m, dtype=np.int32), np.r_[np.zeros(n), np.ones(m)])
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return set()
    s = np.asarray(h.getSolution().col_value)[n:]
    return {t for t, v in zip(targets, s, strict=True) if v > 0.5}


def _reaching(
    cells: Cells, order: list[str], bounds: dict[str, tuple[int, float | None]], cols: list[int]
) -> Callable[..., Any]:
    """``_spread``'s programme: the unknowns, and for each target (column ``cols[i]``) a ``u``
    with ``u <= x - hi`` and a ``v`` with ``v <= lo - x``. ``reach(signs, lo, hi, up, down)``
    gives the point of the greatest sum of ``min(x - hi, up)`` over the targets of sign 1
    and of ``min(lo - x, down)`` over those of sign -1 (a target that cannot go that way
    costs the others nothing, one of sign 0 nothing at all), or None. Each call starts from
    the last one's basis (a quarter less time in the plan of a small program's ledger, 7% in
    one six times its size), but only for twice as long as the first call took from scratch
    (at least ``WARM`` s): with every target's row moved, a solve from the last basis once
    took 30 times longer (372 s against 8 s on 52,480 unknowns: the 100k network's year of
    ledger); then from scratch."""
    import highspy
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    _, rhs, (start, index, value) = _rows(cells, col)
    n, m, rows = len(order), len(cols), len(rhs)
    for sign, extra in ((-1.0, n), (1.0, n + m)):  # u - x <= -hi; v + x <= lo
        for i, j in enumerate(cols):
            index += [extra + i, j]
            value += [1.0, sign]
            start.append(len(index))
    box = [bounds.get(c, (0, None)) for c in order]
    inf = highspy.kHighsInf
    h = _highs(
        [lo for lo, _ in box] + [-inf] * 2 * m,
        [hi for _, hi in box] + [inf] * 2 * m,
        np.concatenate([rhs, np.full(2 * m, -inf)]),
        np.concatenate([rhs, np.full(2 * m, inf)]),
        (start, index, value),
        maximize=True,
    )
    every = np.arange(n + 2 * m, dtype=np.int32)
    mine = np.arange(rows, rows + 2 * m, dtype=np.int32)
    cold: list[float] = []  # the first solve's time, from scratch

    def reach(signs: Any, lo: Any, hi: Any, up: Any, down: Any) -> Any:
        rise, fall = signs > 0, signs < 0
        h.changeColsCost(n + 2 * m, every, np.r_[np.zeros(n), rise, fall].astype(float))
        h.changeColsBounds(2 * m, every[n:], np.full(2 * m, -inf),
                           np.r_[np.where(rise, up, inf), np.where(fall, down, inf)])  # fmt: skip
        h.changeRowsBounds(2 * m, mine, np.full(2 * m, -inf),
                           np.r_[np.where(rise, -hi, inf), np.where(fall, lo, inf)])  # fmt: skip
        if cold:  # from the last basis, within twice the first solve's time
            h.setOptionValue("time_limit", h.getRunTime() + max(WARM, 2 * cold[0]))
            h.run()
            h.setOptionValue("time_limit", inf)
        if not cold or h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            h.clearSolver()
            began = h.getRunTime()
            h.run()
            if not cold:
                cold.append(h.getRunTime() - began)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value)[:n]

    return reach


# ``_spread`` goes on while a round of its four points frees a fifth of the targets left or this
# many (a round costs about what two targets' own pairs of programmes cost).
ROUND = 3
STALL = 30.0  # seconds a solve from the last basis may take before one from scratch
WARM = 0.5  # ``_reaching``'s least such time
# Rounds of a target's smallest neighbour hidden, one a round, before the cells to hide with
# it come from one programme (``_cycle``). From the first round, a small program's six months
# gave 106 counts away across them where 55 without; after 4 rounds 59, after 10 the 55 again
# (docs/ledger.md, "The cells to hide together"). A 50-site network's count that took some 70
# rounds of one neighbour takes 10 and one programme.
CYCLE = 10
NEAR = 5000  # the most unknowns ``_near`` takes (about 1 s): more, and only the whole says


@dataclass(frozen=True)
class Duals:
    """What proves a target's least and greatest value (``_pinned``): for each, the
    programme's row duals ``y`` and reduced costs. A cell whose reduced cost is 0 in both
    (a known one's: ``-y @`` its column, over the programme's rows) can be hidden, or lose
    its bounds, and the two values stay what they are: ``y`` stays a dual solution with the
    same objective (LP duality), so the target stays pinned without another programme.

    >>> one, two, off = {"t": 1, "a": -1, "b": -1}, {"b": 1, "c": -1, "d": 1}, {"z": 1}
    >>> held = {"a": [one], "b": [one, two], "c": [two], "d": [two], "z": [off]}
    >>> y = (1.0, 1.0)  # the least t: t = a + b = a + c - d
    >>> d = Duals({id(one): 0, id(two): 1}, {"t": 0}, [(y, (0.0,)), (y, (0.0,))])
    >>> [d.steady(held, [c]) for c in ("t", "a", "b", "c", "d", "z")]
    [True, False, True, False, False, True]
    >>> d.steady(held, ["b", "z"]), d.steady(held, ["b", "a"])
    (True, False)
    >>> Duals(d.rows, d.col, d.ends[:1]).steady(held, ["b"])  # one end alone proves nothing
    False
    """

    rows: dict[int, int]  # an equation's id -> its row in the programme
    col: dict[str, int]  # an unknown -> its column
    ends: list[tuple[Any, Any]]  # (row duals, reduced costs) of the least and greatest value

    def steady(self, held: Mapping[str, list[dict[str, int]]], relaxed: list[str]) -> bool:
        """True when hiding ``relaxed`` (known cells, or unknowns freed of their bounds)
        leaves both values as they are: every one's reduced cost is 0 at both ends."""
        if len(self.ends) < 2:
            return False
        for y, reduced in self.ends:
            for c in relaxed:
                if c in self.col:
                    cost = reduced[self.col[c]]
                else:
                    rows = [(self.rows.get(id(e)), e[c]) for e in held.get(c, ())]
                    cost = sum(y[i] * a for i, a in rows if i is not None)
                if abs(cost) > 1e-9:
                    return False
        return True


def _rows(
    cells: Cells, col: Mapping[str, int], rows: list[dict[str, int]] | None = None
) -> tuple[list[dict[str, int]], Any, tuple[list[int], list[int], list[float]]]:
    """The exact equations that hold an unknown (a cell of ``col``), each one's right-hand
    side (the other cells at their values, moved across), and their unknowns' coefficients
    as a row-wise sparse matrix (``start``, ``index``, ``value``: more rows may follow).
    ``rows``: these equations instead (``_near``: a few of them)."""
    import numpy as np

    if rows is None:
        rows = [eq for eq in cells.exact + cells.inner if not col.keys().isdisjoint(eq)]
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
    return rows, rhs, (start, index, value)


def _highs(
    lower: Any,
    upper: Any,
    row_lower: Any,
    row_upper: Any,
    matrix: tuple[list[int], list[int], list[float]],
    *,
    maximize: bool = False,
) -> Any:
    """A HiGHS solver holding the programme: columns within ``lower``..``upper`` (None: no
    greatest value), rows within ``row_lower``..``row_upper``, the row-wise ``matrix``, no
    cost yet (each solve sets its own), silent."""
    import highspy
    import numpy as np

    start, index, value = matrix
    n, m = len(lower), len(start) - 1
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, m
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.array(lower, dtype=float)
    lp.col_upper_ = np.array([highspy.kHighsInf if u is None else u for u in upper], dtype=float)
    lp.row_lower_ = np.array(row_lower, dtype=float)
    lp.row_upper_ = np.array(row_upper, dtype=float)
    if maximize:
        lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(value)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    return h


def _programme(
    cells: Cells,
    order: list[str],
    bounds: Mapping[str, tuple[int, float | None]],
    rows: list[dict[str, int]] | None = None,
    *,
    ends: bool = False,
) -> Callable[[Any], tuple[Any, float, tuple[Any, Any]] | None]:
    """The unknowns ``order`` under the exact equations (the other cells at their values; or
    only ``rows``, ``_near``) and ``bounds`` (default: no negative count), as one HiGHS
    model: ``solve(goal)`` minimizes
    ``goal @ x`` and gives ``(x, goal @ x, (row duals, reduced costs))``, or None when it
    has no least value; ``solve.within(box)`` gives some unknowns other bounds. Each solve
    starts from the last one's basis (a fresh ``scipy.optimize.linprog`` per objective, the
    same solver, cost 10x more: most of the time of a plan). ``ends``: for ``_ends`` over
    many trials, the least values (a goal whose first coefficient is positive) and the
    greatest each in a HiGHS model of its own, so that each solve starts from the basis of
    the same end's last one (a few steps away when a trial changes a few bounds, where the
    other end's is far); ``within`` sets bounds in both."""
    import highspy
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    rows, rhs, matrix = _rows(cells, col, rows)
    n = len(order)
    box = [bounds.get(c, (0, None)) for c in order]
    lower, upper = [lo for lo, _ in box], [hi for _, hi in box]
    models = [_highs(lower, upper, rhs, rhs, matrix) for _ in range(2 if ends else 1)]
    every = np.arange(n, dtype=np.int32)

    def solve(goal: Any) -> tuple[Any, float, tuple[Any, Any]] | None:
        goal = np.asarray(goal, dtype=float)
        first = np.flatnonzero(goal)
        h = models[-1] if first.size and goal[first[0]] < 0 else models[0]
        h.changeColsCost(n, every, goal)
        # from the last basis a solve of a network's programme can stall (one ran 15 minutes
        # where a solve from scratch takes seconds): past ``STALL`` seconds, from scratch (the
        # limit is HiGHS's time since the programme was made; the least value is the same)
        h.setOptionValue("time_limit", h.getRunTime() + STALL)
        h.run()
        h.setOptionValue("time_limit", highspy.kHighsInf)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            # after an objective with no least value, HiGHS may report the next ones so from
            # the basis it left: only a solve from scratch says so
            h.clearSolver()
            h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        got = h.getSolution()
        value = h.getInfo().objective_function_value
        return np.array(got.col_value), value, (np.array(got.row_dual), np.array(got.col_dual))

    def within(box: Mapping[str, tuple[int, float | None]]) -> None:
        # new bounds for some unknowns; the next solve starts from the basis the last left
        j = np.array([col[c] for c in box], dtype=np.int32)
        lower = np.array([lo for lo, _ in box.values()], dtype=float)
        upper = np.array([highspy.kHighsInf if hi is None else hi for _, hi in box.values()])
        for h in models:
            h.changeColsBounds(len(j), j, lower, upper.astype(float))

    solve.rows = {id(eq): i for i, eq in enumerate(rows)}  # type: ignore[attr-defined]
    solve.col = col  # type: ignore[attr-defined]
    solve.within = within  # type: ignore[attr-defined]
    return solve


def protect(
    cells: Cells,
    k: int,
    *,
    forced: dict[str, str] | None = None,
    fixed: frozenset[str] | set[str] = frozenset(),
    labels: bool = True,
) -> dict[str, str]:
    """Which published cells to hide, and why (``_protect`` on each group of cells that
    equations join: what is hidden in one group cannot give away a cell of another).
    ``forced``: cells hidden whatever this model finds, with their reason (what a run hides
    so that the reports it publishes together leak nothing, ``linked.py``). ``fixed``:
    published cells whose publication is settled (what earlier runs published,
    ``ledger.py``): one not ``forced`` is shown, its value known to a reader, never hidden,
    never chosen to protect another and no count to protect (it is out); one ``forced`` keeps
    its reason and label (no relabelling) and stays a count to protect. A group whose
    published cells are all fixed (earlier outputs that nothing of this run's ties to) is not
    searched: no choice of this run can change what it gives away. ``labels``: the reader
    takes a hidden count of k or more as k or more ("suppressed" says so, but for a small
    count relabelled); without, as 1 or more, what the label says (``linked.plan``).

    >>> c = Cells({"t": 20, "a": 3, "b": 17}, frozenset("tab"), ({"t": -1, "a": 1, "b": 1},))
    >>> protect(c, 11), protect(c, 11, fixed={"b"})
    ({'a': 'small', 'b': 'complementary'}, {'a': 'small', 't': 'complementary'})

    A table with its totals and one count of 1, at several ``CYCLE``s:
    tests/test_disclosure_edges.py (``test_after_cycle_rounds_of_one_neighbour_...``).
    """
    forced = {c: r for c, r in (forced or {}).items() if c in cells.published}
    fixed = frozenset(fixed)  # once, not once per group (a ledger gives thousands)
    reasons: dict[str, str] = {}
    groups = _components(with_atoms(cells))
    at = {c: i for i, group in enumerate(groups) for c in group.published}
    by_group: dict[int, dict[str, str]] = {}
    for c, r in forced.items():
        by_group.setdefault(at[c], {})[c] = r
    for i, group in enumerate(groups):
        mine = by_group.get(i, {})
        if fixed and group.published <= fixed:
            reasons.update(mine)  # earlier outputs alone: nothing here this run may hide
            continue
        if any(0 < v < k for c, v in group.values.items() if c[0] != "@") or mine:
            reasons.update(
                _protect(group, k, forced=mine, fixed=fixed & group.published, labels=labels)
            )
    return dict(sorted(reasons.items()))


def _protect(
    cells: Cells,
    k: int,
    *,
    forced: dict[str, str] | None = None,
    fixed: frozenset[str] = frozenset(),
    labels: bool = True,
) -> dict[str, str]:
    """Which published cells to hide, and why, so that no count of 1..k-1 can be worked out.

    Primary suppression hides every count of 1..k-1 (and ``forced``, with its reasons);
    then, while some count of 1..k-1 (published or not) follows from the cells still shown,
    by the equations alone or with the bounds a reader knows (a "<k" cell is 1..k-1, a
    "suppressed" one taken to be k or more, no count is negative), the smallest shown nonzero
    cell whose hiding frees it is hidden too (ties by name, so the choice is deterministic;
    the target's neighbours first, and a headline figure, ``HEADLINE``, after every other).
    When only the labels pin it (a small total over parts that are each at least 1) and no
    shown cell frees it, small cells lose their "<k" label for "suppressed" (they are then
    known only to be counts of 1 or more, zeros being printed): one when one will do, else as
    few as free it together. When neither frees it, its smallest neighbour is hidden, one a
    round; after ``CYCLE`` such rounds for one count, the shown cells to hide together come
    from one point of the region with the target one whole value away (``_cycle``: the least
    total of their values, a headline figure after every other), and when no point is (not
    even with all hidden), one neighbour a round again. When no shown cell is left and
    the stronger reader (``labels``) still pins a count, the search goes on against the reader
    the labels allow; when that one pins it too, the counts printed to the ten that the
    equations join to it are hidden, one a round; only then does it stop, with the count
    still pinned.
    """
    values = cells.values
    # a count printed to the nearest ten (``precision.COARSE``, the retention cohort): known to
    # a reader only within its interval, in this run's outputs and in earlier ones alike
    coarse = _coarse(cells, k, forced or {})
    # shown by an earlier run: out, and never hidden now
    known = fixed - set(forced or {}) - set(coarse)
    # an atom (``@``) is no count a reader is shown or told of: never a target itself
    small = {c for c, v in values.items() if 0 < v < k and not c.startswith("@")} - known
    reasons = {c: SMALL for c in sorted(small & (cells.published - fixed))}
    reasons.update(forced or {})
    unknown = set(reasons) | (set(values) - cells.published) | set(coarse)
    both = cells.exact + cells.near

    def by_value(c: str) -> tuple[int, str]:
        return values[c], c

    def hid(c: str) -> tuple[int, float | None]:
        # a hidden count with no size label (``_bound``)
        why = reasons.get(c)
        return _bound(values[c], None if why == SMALL else why, k, labels)

    def bounds() -> dict[str, tuple[int, float | None]]:
        # "<k": 1..k-1; "suppressed" as ``hid`` takes it: k or more when it is (``labels``:
        # a reader who guesses so is stronger than the label allows), else at least 1, as a
        # small count that carries no size label (``relabel``): zeros are printed, so a hidden
        # count is not 0 (a count hidden whatever its value, ``forced``, may be 0: taken as a
        # reader who knows it is not, stronger again)
        return _bounds(values, k, reasons, coarse, labels)

    def relabel(target: str) -> list[str]:
        """The small hidden cells whose "<k" labels, dropped for "suppressed", free ``target``
        when the labels' bounds pin it: one cell when one will do (the largest first, ties by
        name), else the fewest of that order that together do (several small parts under a
        small total each pin the rest); none when even every label dropped does not."""
        # the labels of the cells in an equation with it, or with one of its atoms, first
        # (a label further away bounds it only through these; trying each costs a programme)
        mine = reach(unknown, target)
        nearby = close(target)
        labelled = sorted(
            (c for c, r in reasons.items() if r == SMALL and c in mine and c not in fixed),
            key=lambda c: (c not in nearby, -values[c], c),
        )
        proof = duals.get(target)
        # one programme for every trial, its labels' bounds changed and put back: each
        # solve starts from the last one's basis (a new programme per trial starts cold)
        order, box = sorted(mine), bounds()
        # made when the equations near the target do not settle a trial
        whole = cache(lambda: _programme(cells, order, box, ends=True))
        # the equations near the target, one programme for every trial (made when first asked)
        near = cache(lambda: _near_trials(cells, held, unknown, box, target))

        def free_without(dropped: list[str]) -> bool:  # not pinned once these labels go
            if proof is not None and proof.steady(held, dropped):
                return False  # their labels bound nothing the target's values rest on
            unlabelled = {c: (_least(values[c]), None) for c in dropped}
            trials = near()
            if (
                trials(unlabelled)
                if trials is not None
                else _near(cells, held, unknown, {**box, **unlabelled}, target) is not None
            ):
                return False  # the equations near it pin it without these labels too
            solve: Any = whole()
            solve.within(unlabelled)
            pinned = _ends(solve, len(order), order.index(target)) is not None
            solve.within({c: box[c] for c in dropped})
            return not pinned

        for c in [c for c in labelled if c in nearby]:
            if free_without([c]):
                return [c]

        def frees(n: int) -> bool:  # the first n labels dropped together free it
            return free_without(labelled[:n])

        # dropping more only widens what a reader allows: the fewest, by bisection
        if len(labelled) < 2 or not frees(len(labelled)):
            return []
        lo, hi = 2, len(labelled)
        while lo < hi:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if frees(mid) else (mid + 1, hi)
        return labelled[:lo]

    held: dict[str, list[dict[str, int]]] = {}
    for eq in cells.exact + cells.inner:
        for c in eq:
            held.setdefault(c, []).append(eq)

    def close(target: str) -> set[str]:
        """The cells of the equations that hold ``target`` or one of its atoms."""
        out = {c for eq in held.get(target, ()) for c in eq}
        out |= {c for eq in cells.near if target in eq for c in eq}
        for a in [c for c in out if c.startswith("@")]:
            out |= {c for eq in held.get(a, ()) for c in eq}
        return out

    def reach(unk: set[str], target: str, more: str | None = None) -> set[str]:
        """The unknowns that equations join to ``target`` through unknowns (the only ones
        its least and greatest value depend on), with ``more`` hidden too (``Joins``, made
        once and grown by the cells hidden since)."""
        if not joins or not joins[0].unk <= unk:
            joins[:] = [Joins(held, unk)]
        joins[0].grow(unk - joins[0].unk)  # the unknowns only grow: the cells hidden since
        return joins[0].reach(target, more)

    def widen(target: str, candidates: list[str]) -> str | None:
        """The first of ``candidates`` (shown cells) whose hiding leaves ``target`` more than
        one whole value under the bounds (a hidden one taken as k or more)."""
        proof = duals.get(target)
        # hidden, one with a reduced cost of 0 leaves the target's least and greatest value
        # as they are
        tried = [c for c in candidates if proof is None or not proof.steady(held, [c])]
        if not tried:
            return None
        # one programme for every candidate: each one's column held at its value (a coarse
        # cell, an unknown already, within its interval) but while it is tried (a held
        # column is a known cell; the unknowns it alone joins to the target's are then apart
        # from it), each solve from the basis the last one left
        order = sorted(set().union(*(reach(unknown, target, c) for c in tried)))
        box = bounds()
        at = {c: box.get(c, (0, None)) if c in unknown else (values[c], values[c]) for c in tried}
        # made when the equations near the target do not settle a trial
        whole = cache(lambda: _programme(cells, order, {**box, **at}, ends=True))
        # the equations near the target with every candidate an unknown held as ``at`` holds
        # it but while it is tried, one programme for every trial (made when first asked):
        # more equations than ``_near`` reads for one candidate hidden, so it pins no less,
        # and still fewer than the whole's, so no more (a pin there is one in the whole)
        near = cache(lambda: _near_trials(cells, held, unknown | set(tried), {**box, **at}, target))
        for c in tried:
            if c not in order:
                continue  # no equation joins it to the target: hidden, it frees nothing
            trials = near()
            if (
                trials({c: hid(c)})
                if trials is not None
                else _near(cells, held, unknown | {c}, {**box, c: hid(c)}, target) is not None
            ):
                continue  # hidden, the equations near the target still pin it
            solve: Any = whole()
            solve.within({c: hid(c)})
            if _ends(solve, len(order), order.index(target)) is None:
                return c
            solve.within({c: at[c]})
        return None

    def exposed(unk: set[str]) -> set[str]:
        # the unknowns whose pivot row holds no other unknown (``_determined``), small
        key = frozenset(unk)
        if key not in seen:
            pivots = unknowns.reduce(unk)
            seen.clear()
            seen[key] = {p for p, row in pivots.items() if len(row) == 1} & small
        return seen[key]

    def hidden_too(pick: str, reduced: tuple[dict[str, dict[str, Any]], set[str]]) -> set[str]:
        """``exposed(unknown | {pick})`` from the elimination of ``unknown`` (``reduced``):
        a cell held by a row left without an unknown changes nothing; else the small cells
        it exposed whose row holds ``pick`` are no longer fixed (their row is one and the
        same whatever the elimination's order, since no row left without one holds it)."""
        pivots, blocked = reduced
        was = exposed(unknown)
        return set(was) if pick in blocked else {u for u in was if not pivots[u].get(pick)}

    unknowns = Elimination(both)  # what exposed reads: the unknowns alone
    # what _frees reads: the known cells too, but for the ones an earlier run showed (never
    # hidden now, so never a pick: their columns only ride along, each row operation set by
    # the unknowns' columns alone; a ledger of earlier months holds hundreds of them)
    read = tuple({c: a for c, a in eq.items() if c not in known} for eq in both) if known else both
    seen: dict[frozenset[str], set[str]] = {}
    growing: list[Growing] = []  # that elimination, made once, then grown

    def grown(unk: set[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
        # ``_reduce(read, sorted(unk), known=True)``: each cell hidden since is added to the
        # rows made before (the first time, the whole elimination)
        if not growing or not growing[0].unknown <= unk:
            growing[:] = [Growing(read, unk)]
        for c in sorted(unk - growing[0].unknown):
            growing[0].add(c)
        return growing[0].pivots, growing[0].blocked

    joins: list[Joins] = []  # one, grown with the unknowns
    duals: dict[str, Duals] = {}  # what proves each pinned target, this round
    changed: list[str] = []  # the cells hidden or unlabelled, in turn
    strays: dict[str, int] = {}  # a target's smallest neighbours hidden, one a round, so far
    proven: dict[str, tuple[Duals, int]] = {}  # a pinned target's proof, and len(changed) then

    if fixed:
        # what the earlier outputs give away by themselves (a changed past, or an output of
        # another version) no choice of this run can protect: not a target, else every cell
        # this run shows beside it would be hidden in vain. The most this run can hide: every
        # count it publishes but its zeros (printed whatever, known to be 0), each as this
        # search's reader takes a hidden count with no label (k or more when it is, else 1 or
        # more); a count pinned so is pinned whatever it hides, and the search would hide
        # every cell of the group trying to free it
        most = {c for c in cells.published - fixed if values[c] > 0 or c in unknown}
        widest: dict[str, tuple[int, float | None]] = {c: hid(c) for c in most}
        widest.update({c: b for c, b in bounds().items() if c in fixed})
        small -= _lost(cells, small, unknown | most, widest, exposed)
        seen.clear()  # exposed's cells were read against the targets before these left
    # Hiding more, or saying less of a hidden cell, only ever widens what a reader can
    # allow: a small cell once found free stays free, so it is not checked again.
    free: set[str] = set()
    # Hiding more only ever leaves fewer cells fixed by the equations: once none is
    # (``exposed`` empty), none will be, and the unknowns' elimination is not made again.
    linear_left = True
    while True:
        found = exposed(unknown) if linear_left else set()
        linear = linear_left = bool(found)
        if not found:
            # a target pinned before stays pinned while every cell hidden or unlabelled
            # since has a reduced cost of 0 in its proof: no programme for it
            still = {
                t: proof
                for t, (proof, at) in proven.items()
                if t in small - free and proof.steady(held, changed[at:])
            }
            duals.clear()
            # only the smallest pinned target is wanted: a target after the smallest one
            # still pinned needs no programme this round
            bar = min(still, key=by_value, default=None)
            rest = {
                t for t in small - free - set(still) if bar is None or by_value(t) < by_value(bar)
            }
            box = bounds()
            found = (
                _pinned(
                    cells,
                    unknown,
                    box,
                    rest,
                    duals,
                    first=by_value,
                    free=free,
                    near=partial(_near, cells, held, unknown, box),
                )
                if rest
                else set()
            )
            duals.update(still)
            proven = {t: (duals[t], len(changed)) for t in found | set(still)}
            found = found or ({bar} if bar is not None else set())
        if not found:
            return _reveal(cells, reasons, k, coarse)
        target = min(found, key=by_value)
        shown = sorted(
            (c for c in cells.published - unknown - fixed if values[c] > 0), key=by_value
        )
        # the cells of the equations that hold the target (one pass, not one per shown cell)
        near = close(target)
        # its neighbours first, the smallest first; a headline figure after every other cell
        near_target = sorted((c for c in shown if c in near), key=headline)
        tried = sorted(near_target + shown, key=headline)
        pick, reduced = None, None
        if linear:
            reduced = grown(unknown)
            freeing, on_row = map(set, _frees(both, sorted(unknown), target, reduced))
            pick = next((c for c in tried if c in freeing), None)
            if pick is None:  # several ways fix it: cut one (the smallest cell on its row)
                pick = next((c for c in tried if c in on_row), None)
        else:
            # the target's neighbours (cells in an equation with it) first; then labels
            # dropped (no further cell hidden); else its smallest neighbour, one per round
            # (a scan of every shown cell its unknowns' equations hold costs a programme
            # each: hundreds on a sample run, for a count that bounds pin many ways)
            # a coarse cell (an unknown already) is hidden only for the bounds it gives up,
            # after every other neighbour (it is a headline figure)
            soft = sorted(c for c in coarse if c in near and c not in reasons and c not in fixed)
            pick = widen(target, near_target + soft)
            if pick is None:
                dropped = relabel(target)
                if dropped:
                    reasons.update(dict.fromkeys(dropped, COMPLEMENTARY))
                    changed.extend(dropped)
                    continue
                # no one cell frees it, nor labels dropped, and its smallest neighbour has
                # been hidden ``CYCLE`` rounds already: the cells to hide together, from one
                # point of the region with the target one away (``_cycle``), the smallest
                # first by their values (a headline figure after every other)
                if strays.get(target, 0) >= CYCLE:
                    heavy = 1 + sum(values[c] for c in shown)
                    cut = _cycle(
                        cells,
                        unknown,
                        bounds(),
                        {c: hid(c) for c in shown},
                        target,
                        {c: values[c] + (heavy if headline(c) else 0) for c in shown},
                    )
                    if cut:
                        unknown.update(cut)
                        changed.extend(cut)
                        reasons.update(dict.fromkeys(cut, COMPLEMENTARY))
                        continue
        if pick is None:
            # a shown cell is never small, so hiding it never exposes itself: the cells of
            # the equations that hold the target first, as they come
            options = near_target or shown
            pick = options[0] if options else None
            if pick is not None and not linear:
                strays[target] = strays.get(target, 0) + 1
        if pick is None:
            if labels:
                # every nonzero count is hidden, and a reader who takes "suppressed" as k or
                # more still pins the target: no cell protects it from that guess. Protect
                # every count left from the reader the labels allow (a hidden count 1 or
                # more, ``hid``), who may still be kept from it by labels dropped
                # (``relabel``); a count found free stays free to that weaker reader, and the
                # proofs made with the other bounds are dropped
                labels = False
                proven.clear()
                duals.clear()
                continue
            # the reader the labels allow pins it too: the counts printed to the ten that the
            # equations join to it through unknowns (each an interval to a reader, none of
            # which freed it alone) are hidden, one a round, the smallest first: together
            # they may free it (a cohort printed twice)
            joined = reach(unknown, target)
            rounded = sorted(
                (c for c in coarse if c in joined and c not in reasons and c not in fixed),
                key=by_value,
            )
            if linear or not rounded:
                # nothing left: all that could protect is hidden (the equations alone, or the
                # zeros printed, pin it)
                return _reveal(cells, reasons, k, coarse)
            pick = rounded[0]
        if reduced is not None:  # the next round's exposed cells follow from this one's
            after = hidden_too(pick, reduced)
            seen.clear()
            seen[frozenset(unknown | {pick})] = after
        unknown.add(pick)
        changed.append(pick)
        reasons[pick] = COMPLEMENTARY


class Elimination:
    """``_reduce(eqs, sorted(unknown), known=False)``'s pivot rows (the unknowns' columns
    alone) made one part at a time: the unknowns that the equations join are a part, and no
    operation of the elimination mixes two parts' rows (a row holds the unknowns of one part,
    and only those are pivots), so each part's pivot rows are those of the whole, made from
    its own rows in their order. A part is made once and kept: hiding one more cell changes
    only the part it joins.

    >>> eqs = ({"a": 1, "b": 1, "x": -1}, {"a": 1, "y": -1}, {"c": 1, "d": 1, "z": -1},
    ...        {"x": 1, "y": -1, "z": 1}, {"c": 1, "d": -1, "w": -1})
    >>> e = Elimination(eqs)
    >>> for unknown in ({"a", "b", "c", "d"}, {"a", "b", "y"}, {"a", "b", "y", "c", "d"}):
    ...     pivots = e.reduce(unknown)  # against the elimination of every row at once
    ...     print(sorted(pivots), pivots == _reduce(eqs, sorted(unknown), known=False)[0])
    ['a', 'b', 'c', 'd'] True
    ['a', 'b', 'y'] True
    ['a', 'b', 'c', 'd', 'y'] True
    >>> len(e.done), e.reduce({"a", "b", "y"})["y"]  # {a, b}, {c, d}, {a, b, y}, each once
    (3, {'y': 1})
    """

    def __init__(self, eqs: tuple[dict[str, int], ...]) -> None:
        self.eqs = eqs
        self.held: dict[str, list[int]] = {}  # cell -> the equations that hold it
        for i, eq in enumerate(eqs):
            for c, a in eq.items():
                if a:
                    self.held.setdefault(c, []).append(i)
        self.done: dict[frozenset[str], dict[str, dict[str, Any]]] = {}  # a part's pivot rows

    def reduce(self, unknown: set[str]) -> dict[str, dict[str, Any]]:
        """The pivot rows (``_reduce(..., known=False)``'s first result)."""
        held = [c for c in unknown if c in self.held]
        root = _joined(held, (self.eqs[i] for i in {i for c in held for i in self.held[c]}))
        parts: dict[str, set[str]] = {}
        for c in held:
            parts.setdefault(root[c], set()).add(c)
        pivots: dict[str, dict[str, Any]] = {}
        for part in parts.values():
            key = frozenset(part)
            if key not in self.done:
                rows = sorted({i for c in part for i in self.held[c]})
                mine = tuple(self.eqs[i] for i in rows)
                self.done[key] = _reduce(mine, sorted(part), known=False)[0]
            pivots.update(self.done[key])
        return pivots


class Growing:
    """``_reduce(eqs, sorted(unknown), known=True)`` kept as the unknowns grow one cell at a
    time (the cells ``_protect`` hides while the equations fix a small count): each new
    unknown is added to the rows already reduced, not the whole reduced again.

    The same rows, exactly. ``_reduce``'s pivots are the first unknowns by name whose columns
    span the unknowns' columns (each pivot row holds no unknown before its pivot), made from
    the equations that hold an unknown not worked out from the ones before them (a row
    reduced to no unknown adds nothing to a pivot row), and those two sets fix the rows:
    the one combination of those equations with 1 at its pivot and 0 at every other. A row
    left without an unknown is its equation less the one combination of the pivot rows
    before it that takes its unknowns out. Hiding ``c`` then either (a row left without an
    unknown holds c) brings in the first such row, whose equation now holds an unknown not
    worked out before, as c's pivot row; or (c's column is the sum of the pivots' columns
    whose rows hold it) swaps the last of those pivots, when it comes after c by name, for
    c (c takes its row). c is then eliminated from every other row, which keeps each one
    the combination above.

    >>> eqs = ({"a": 1, "b": 1, "x": -1}, {"b": 1, "c": 1, "y": -1}, {"x": 1, "y": -1, "w": -1})
    >>> g = Growing(eqs, {"b", "c"})  # b = x - a, c = y - b: x - y - w = 0 holds no unknown
    >>> sorted(g.pivots), sorted(g.blocked)
    (['b', 'c'], ['w', 'x', 'y'])
    >>> pivots, blocked = g.add("a")  # a's column is b's minus c's: a takes c's row
    >>> pivots["a"], pivots["b"], sorted(blocked)
    ({'c': -1, 'y': 1, 'a': 1, 'x': -1}, {'b': 1, 'c': 1, 'y': -1}, ['w', 'x', 'y'])
    >>> pivots == _reduce(eqs, ["a", "b", "c"], known=True)[0]
    True
    >>> pivots, blocked = g.add("x")  # x is new to the unknowns' span: x - y - w is its row
    >>> pivots["x"], pivots["a"], sorted(blocked)
    ({'x': 1, 'y': -1, 'w': -1}, {'c': -1, 'a': 1, 'w': -1}, [])
    """

    def __init__(self, eqs: tuple[dict[str, int], ...], unknown: set[str]) -> None:
        pivots, rest = _reduce(eqs, sorted(unknown), known=True)
        self.unknown = set(unknown)
        self.pivots = pivots
        self.rows: dict[int, dict[str, Any]] = dict(enumerate([*pivots.values(), *rest]))
        self.pivot: dict[int, str | None] = dict(enumerate([*pivots, *(None for _ in rest)]))
        self.at: dict[str, set[int]] = {}  # cell -> the rows that hold it
        self.count: dict[str, int] = {}  # cell -> the rows left without an unknown that hold it
        for i, row in self.rows.items():
            for c in row:
                self.at.setdefault(c, set()).add(i)
                if self.pivot[i] is None:
                    self.count[c] = self.count.get(c, 0) + 1

    @property
    def blocked(self) -> set[str]:
        """The cells of the rows left without an unknown."""
        return set(self.count)

    def add(self, cell: str) -> tuple[dict[str, dict[str, Any]], set[str]]:
        """One more unknown: the pivot rows and the cells of the rows left without an
        unknown (``Elimination.reduce``'s two results)."""
        from fractions import Fraction

        if cell in self.unknown:
            return self.pivots, self.blocked
        self.unknown.add(cell)
        holders = self.at.get(cell, set())
        free = [i for i in holders if self.pivot[i] is None]
        if free:
            r = min(free)  # the first equation's (the rows left are kept in their order)
        else:
            last = max(holders, key=lambda i: self.pivot[i] or "", default=None)
            if last is None or (self.pivot[last] or "") < cell:
                return self.pivots, self.blocked  # a free unknown: no row changes
            r = last
        row, was = self.rows[r], self.pivot[r]
        if was is None:
            for c in row:
                self._uncount(c)
        else:
            del self.pivots[was]
        d = row[cell]
        for c in row:
            row[c] = row[c] * d if d in (1, -1) else Fraction(row[c]) / d
        self.pivot[r], self.pivots[cell] = cell, row
        for i in holders - {r}:
            other, rest = self.rows[i], self.pivot[i] is None
            f = other[cell]
            for c, a in row.items():
                v = other.get(c, 0) - f * a
                if v:
                    if c not in other:
                        self.at.setdefault(c, set()).add(i)
                        if rest:
                            self.count[c] = self.count.get(c, 0) + 1
                    other[c] = v
                elif c in other:
                    del other[c]
                    self.at[c].discard(i)
                    if rest:
                        self._uncount(c)
            if not other:
                del self.rows[i], self.pivot[i]
        return self.pivots, self.blocked

    def _uncount(self, c: str) -> None:
        self.count[c] -= 1
        if not self.count[c]:
            del self.count[c]


class Joins:
    """The unknowns that equations join (``held``: cell -> the equations that hold it), as
    connected components over the unknowns ``unk`` (union-find, grown with the unknowns):
    ``reach`` gives the target's, and the one it would have with one more cell hidden,
    without a search.

    >>> ab, bc, cd = {"a": 1, "b": -1}, {"b": 1, "c": -1}, {"c": 1, "d": -1}
    >>> j = Joins({"a": [ab], "b": [ab, bc], "c": [bc, cd], "d": [cd]}, frozenset("abd"))
    >>> sorted(j.reach("a")), sorted(j.reach("d")), sorted(j.reach("a", "c"))
    (['a', 'b'], ['d'], ['a', 'b', 'c', 'd'])
    >>> sorted(j.reach("d", "a")), sorted(j.reach("a", "e"))
    (['d'], ['a', 'b'])
    >>> j.grow({"c"})  # c hidden too: its equations join a's part and d's
    >>> sorted(j.reach("d")), len(j.parts)
    (['a', 'b', 'c', 'd'], 1)
    """

    def __init__(self, held: Mapping[str, list[dict[str, int]]], unk: Iterable[str]) -> None:
        self.held = held
        self.unk: set[str] = set()
        self.root: dict[str, str] = {}  # each unknown -> the one that stands for its part
        self.parts: dict[str, set[str]] = {}
        # an equation's first unknown: its unknowns are one part, so joining this one joins
        # them all (an atom's equations are the totals over thousands of atoms: not read)
        self.first: dict[int, str] = {}
        self.grow(unk)

    def grow(self, unk: Iterable[str]) -> None:
        """``unk`` are unknowns too: each one's equations join its part to the parts of the
        unknowns they hold (the smaller part moves into the larger)."""
        for c in unk:
            if c in self.unk:
                continue
            self.unk.add(c)
            self.root[c], self.parts[c] = c, {c}
            for eq in self.held.get(c, ()):
                d = self.first.setdefault(id(eq), c)
                a, b = self.root[c], self.root[d]
                if a != b:
                    if len(self.parts[a]) < len(self.parts[b]):
                        a, b = b, a
                    for x in self.parts[b]:
                        self.root[x] = a
                    self.parts[a] |= self.parts.pop(b)

    def reach(self, target: str, more: str | None = None) -> set[str]:
        """The unknowns joined to ``target`` (an unknown), with ``more`` (a known cell)
        hidden too: its equations then join the parts of the unknowns they hold."""
        mine = self.parts[self.root[target]]
        if more is None or more in self.unk:
            return set(mine)
        first = (self.first.get(id(eq)) for eq in self.held.get(more, ()))
        touched = {self.root[d] for d in first if d is not None}
        if self.root[target] not in touched:
            return set(mine)
        return {more}.union(*(self.parts[r] for r in touched))


def _coarse(cells: Cells, k: int, forced: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """The published cells an external copy prints to the nearest ten (``precision.coarse``)
    and what a reader allows for each (``precision.coarse_interval``): those of k or more
    that nothing hides already (0 prints as 0, a small one is hidden). A cell of an earlier
    output is known so too: its ledger holds the value as printed.

    >>> c = Cells({"retention.cohort_admissions": 252, "monthly[2026-10].cohort": 8, "a": 252},
    ...           frozenset({"retention.cohort_admissions", "monthly[2026-10].cohort", "a"}), ())
    >>> _coarse(c, 11, {})
    {'retention.cohort_admissions': (245, 254)}
    >>> _coarse(c, 11, {"retention.cohort_admissions": COMPLEMENTARY})
    {}
    >>> m = "monthly[2026-10].cohort"  # 11, printed "about 10"
    >>> _coarse(Cells({m: 11}, frozenset({m}), ()), 11, {})
    {'monthly[2026-10].cohort': (11, 14)}
    """
    from .precision import coarse, coarse_interval, coarsened

    return {
        c: coarse_interval(coarsened(cells.values[c]), k)
        for c in sorted(cells.published)
        if coarse(c) and cells.values[c] >= k and c not in forced
    }


def _bound(value: int, why: str | None, k: int, labels: bool = False) -> tuple[int, float | None]:
    """What a reader takes a count hidden for ``why`` to be: "<k" 1..k-1; "withheld" 0 or
    more (its mark says no more); any other k or more when it is, to a reader who takes
    "suppressed" so (``labels``), else at least 1 (zeros are printed; 0 for a zero).

    >>> _bound(3, SMALL, 11), _bound(3, WITHHELD, 11), _bound(30, COMPLEMENTARY, 11)
    ((1, 10), (0, None), (1, None))
    >>> _bound(30, COMPLEMENTARY, 11, labels=True), _bound(0, INTERNAL, 11)
    ((11, None), (0, None))
    """
    if why == SMALL:
        return 1, k - 1
    if why == WITHHELD:
        return 0, None
    return (k, None) if labels and value >= k else (_least(value), None)


def _bounds(
    values: Mapping[str, int],
    k: int,
    reasons: Mapping[str, str],
    coarse: Mapping[str, tuple[int, int]],
    labels: bool = False,
) -> dict[str, tuple[int, float | None]]:
    """What a reader allows for each hidden cell (``_bound``) and each count printed to the
    ten that nothing hides (its interval, ``_coarse``)."""
    out: dict[str, tuple[int, float | None]] = {c: b for c, b in coarse.items() if c not in reasons}
    out.update({c: _bound(values[c], r, k, labels) for c, r in reasons.items()})
    return out


def _least(value: int) -> int:
    """The least a reader takes a hidden count to be: 1 (zeros are printed), 0 for a zero
    (hidden whatever its value, as the deaths of a follow-up window)."""
    return 1 if value > 0 else 0


def _lost(
    cells: Cells,
    small: set[str],
    everything: set[str],
    bounds: dict[str, tuple[int, float | None]],
    exposed: Callable[[set[str]], set[str]],
) -> set[str]:
    """The small cells worked out even when ``everything`` this run could publish is hidden
    and unlabelled (within ``bounds``: the settled cells with their labels, the others as the
    search's reader takes them): lost already.

    A year of ledger gives thousands of small counts here, too many for a pair of linear
    programmes each (``_pinned``). Most that are pinned are pinned flat: the region holds
    them at one value. The unknowns it holds at one of their bounds (``_flat``: a few
    programmes for all of them) are known to a reader as surely as a shown cell, and with
    them known the equations fix the rest of the flat ones (``exposed``, exact). Only the
    small cells neither of these fixes still need ``_pinned`` (which proves most of them
    free with a few vertices): it finds the ones the region narrows to a single whole value
    without holding them flat (a vertex off the whole numbers)."""
    held = _flat(cells, sorted(everything), bounds)
    # fixed with the flat ones known is fixed without them too: no first elimination
    flat = (held & small) | exposed(everything - held)
    rest = small - flat
    return flat | (_pinned(cells, everything, bounds, rest) if rest else set())


def _flat(cells: Cells, order: list[str], bounds: dict[str, tuple[int, float | None]]) -> set[str]:
    """The unknowns of ``order`` that every point of ``_programme``'s region holds at one of
    their bounds (its implicit equalities). One programme gives each bound a slack ``s`` in
    [0, 1] (``x - s >= least``, ``x + s <= most``) and maximizes the slacks' sum: a slack
    above 0 at the optimum shows a point off that bound, so the bound is left out of the
    next sum; when the sum left is 0, no point is off any of the bounds still in it. Each
    round leaves at least one out (a handful of rounds in all; Freund, Roos and Terlaky's
    construction of a polyhedron's affine hull).

    >>> c = Cells({"t": 2, "a": 1, "b": 1, "u": 9, "d": 4, "e": 5, "f": 3},
    ...           frozenset("tabudef"),
    ...           ({"t": -1, "a": 1, "b": 1}, {"u": -1, "d": 1, "e": 1}))
    >>> box = {"a": (1, 10), "b": (1, 10), "d": (1, 10), "f": (3, 3)}
    >>> sorted(_flat(c, ["a", "b", "d", "e", "f"], box))  # a + b = 2 with a, b >= 1; f's box
    ['a', 'b', 'f']
    """
    import highspy
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    _, rhs, (start, index, value) = _rows(cells, col)
    n = len(order)
    box = [bounds.get(c, (0, None)) for c in order]
    sides = [(j, 1.0, float(lo)) for j, (lo, hi) in enumerate(box) if hi is None or hi > lo]
    sides += [(j, -1.0, float(hi)) for j, (lo, hi) in enumerate(box) if hi is not None and hi > lo]
    held = {order[j] for j, (lo, hi) in enumerate(box) if hi is not None and hi <= lo}
    m = len(sides)
    for i, (j, sign, _) in enumerate(sides):
        index += [j, n + i]  # sign * x - s >= sign * bound
        value += [sign, -1.0]
        start.append(len(index))
    h = _highs(
        [lo for lo, _ in box] + [0] * m,
        [hi for _, hi in box] + [1] * m,
        np.concatenate([rhs, [sign * b for _, sign, b in sides]]),
        np.concatenate([rhs, np.full(m, highspy.kHighsInf)]),
        (start, index, value),
        maximize=True,
    )
    every = np.arange(n + m, dtype=np.int32)
    open_ = np.ones(m, dtype=bool)
    for _ in range(m):  # each round leaves one bound out at least
        h.changeColsCost(n + m, every, np.concatenate([np.zeros(n), open_.astype(float)]))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return held  # no point at all (``_pinned`` finds no least value either)
        off = open_ & (np.asarray(h.getSolution().col_value)[n:] > 1e-6)
        if not off.any():
            break
        open_ &= ~off
    return held | {order[sides[i][0]] for i in np.flatnonzero(open_)}


def _reveal(
    cells: Cells, reasons: dict[str, str], k: int, coarse: Mapping[str, object] | None = None
) -> dict[str, str]:
    """Show again every count hidden only to protect others ("complementary") that the exact
    identities fix from what is shown: hiding it protects nothing (a reader works it out),
    and its "suppressed" would stand where a number can be read, beside a rate or a chart
    point that gives it. A revealed count is fixed by the shown ones, so showing it narrows
    nothing a reader can allow for any other. A ``coarse`` cell is no shown one here: a
    reader knows it only within its interval."""
    while True:
        unknown = set(reasons) | (set(cells.values) - cells.published) | set(coarse or ())
        fixed = _determined(cells.exact, sorted(unknown))
        back = [c for c in fixed if reasons.get(c) == COMPLEMENTARY and not 0 < cells.values[c] < k]
        if not back:
            return reasons
        for c in back:
            del reasons[c]


def withhold(
    cells: Cells,
    k: int,
    reasons: Mapping[str, str],
    *,
    targets: set[str],
    candidates: set[str],
    closure: Callable[[set[str]], set[str]],
) -> set[str]:
    """The hidden cells to mark "withheld" (0 or more) so that no count of ``targets`` (the
    counts earlier outputs hid) is pinned through this run's marks: "<K" and "suppressed"
    say 1 or more where zeros are printed, so a run's hidden count can give away an earlier
    one whose protection rested on it being possibly 0 (a site with no episode open at the
    end of a later month). The reader is the one the labels allow (``reasons``, ``_bound``:
    "<K" is 1..K-1, every other hidden count 1 or more, 0 for a zero, a withheld one 0 or
    more); every published cell not in ``reasons`` is known at its value.

    The targets pinned so that every candidate (this run's hidden cells) withheld would
    free, smallest first: one linear programme a way (``_lift``) finds a point of the region
    with the target one whole value away where the fewest candidates leave their bounds;
    those cells, with what ``closure`` adds (the same figure for every scope and wherever it
    is printed, so that the mark is said of zeros too), are withheld, once the target is
    proved free so. A target pinned even with every candidate withheld is left: the earlier
    outputs and what this run shows give it away, not these marks (tests/test_ledger.py,
    ``test_a_later_count_that_would_pin_an_earlier_one_through_its_mark_is_withheld``).
    """
    values = cells.values
    coarse = _coarse(cells, k, reasons)
    unknown = set(reasons) | (set(values) - cells.published) | set(coarse)
    bounds = _bounds(values, k, reasons, coarse)

    def by_value(c: str) -> tuple[int, str]:
        return values[c], c

    out: set[str] = set()
    left = _pinned(cells, unknown, bounds, targets & unknown) if targets & unknown else set()
    # those pinned even with every candidate withheld: no choice of marks frees them
    wide = dict(bounds) | dict.fromkeys(candidates & unknown, (0, None))
    left -= _pinned(cells, unknown, wide, left) if left else set()
    while left:
        # the smallest still pinned (each withholding may free others with it)
        found = _pinned(cells, unknown, bounds, left, first=by_value)
        if not found:
            break
        t = found.pop()
        left.discard(t)
        moved = _lift(cells, unknown, bounds, t, sorted(candidates & unknown - out))
        if not moved:
            continue
        more = closure(set(moved)) | set(moved)
        trial = dict(bounds) | dict.fromkeys(more, (0, None))
        if _pinned(cells, unknown | more, trial, {t}):
            continue  # the programme's point was not enough (a relaxation): left
        out |= more
        unknown |= more
        bounds = trial
    return out


def _lift(
    cells: Cells,
    unknown: set[str],
    bounds: Mapping[str, tuple[int, float | None]],
    target: str,
    candidates: list[str],
) -> list[str] | None:
    """The fewest of ``candidates`` (unknowns) that must leave their bounds for ``target`` to
    be one whole value above or below its own: each candidate may go below its least value
    by a slack of up to that least value (``x + least * s >= least``, ``s`` in 0..1) and
    above its greatest freely; the sum of the slacks (and of a candidate's moves above its
    greatest, per unit) is least. Those with a slack above 0 or past their greatest are the
    answer (the cheaper way's): [] when the target is free already, None when no way is open
    even with all of them at 0 or more.

    An earlier count ``e`` (1..4) and this run's ``a``, hidden "<5", add up to a shown 2:
    with ``a`` 1 or more, ``e`` is 1; with ``a`` withheld, ``e`` is 1 or 2.

    >>> c = Cells({"s": 2, "e": 1, "a": 1}, frozenset("sea"), ({"s": -1, "e": 1, "a": 1},))
    >>> box = {"e": (1, 4), "a": (1, 4)}
    >>> _lift(c, {"e", "a"}, box, "e", ["a"]), _lift(c, {"e", "a"}, box, "e", [])
    (['a'], None)
    >>> c = Cells({"s": 4, "e": 2, "a": 2}, frozenset("sea"), c.exact)
    >>> _lift(c, {"e", "a"}, box, "e", ["a"])  # 1..3 already
    []
    """
    import highspy
    import numpy as np

    order = sorted(unknown)
    n, m = len(order), len(candidates)
    col = {c: j for j, c in enumerate(order)}
    _, rhs, (start, index, value) = _rows(cells, col)
    box = [bounds.get(c, (0, None)) for c in order]
    lower = [float(lo) for lo, _ in box]
    upper: list[float | None] = [hi for _, hi in box]
    rows_lo, rows_hi = list(rhs), list(rhs)
    # each candidate: s (its slack below, 0..1) and u (past its greatest, 0 or more)
    for i, c in enumerate(candidates):
        j = col[c]
        least, most = box[j]
        lower[j], upper[j] = 0.0, None
        index += [j, n + i]  # x + least * s >= least
        value += [1.0, float(least)]
        start.append(len(index))
        rows_lo.append(float(least))
        rows_hi.append(highspy.kHighsInf)
        if most is not None:
            index += [j, n + m + i]  # x - u <= most
            value += [1.0, -1.0]
            start.append(len(index))
            rows_lo.append(-highspy.kHighsInf)
            rows_hi.append(float(most))
    h = _highs(
        lower + [0.0] * (2 * m),
        upper + [1.0] * m + [None] * m,
        np.array(rows_lo),
        np.array(rows_hi),
        (start, index, value),
    )
    every = np.arange(n + 2 * m, dtype=np.int32)
    h.changeColsCost(n + 2 * m, every, np.r_[np.zeros(n), np.ones(2 * m)])
    j = col[target]
    return _cheapest_step(h, j, cells.values[target], box[j], candidates, lambda x: x[n:])
