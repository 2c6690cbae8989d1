"""What a reader can work out from figures and the relations between them: a solver of its own.

A ``Reading`` is what an outside reader holds: printed whole counts, hidden cells with their
marks ("<K" is 1..K-1; "suppressed" is at least 1 where the page prints its zeros, else at
least 0), linear relations between cells (sums, the same quantity printed twice) and rates
printed to some precision (an interval for numerator / denominator). ``solve`` works out every
hidden count that has one possible value: exact Gauss-Jordan elimination over the rationals
(Fractions) first, then interval propagation on whole numbers, then, per connected part of
what is left, the least and greatest value of each hidden cell by linear programming (HiGHS),
and a mixed-integer programme where the relaxation leaves a narrow range. It knows nothing of
the package: no import from ``iop_metrics`` (``test_auditor`` checks the imports).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

SMALL, SUPPRESSED = "small", "suppressed"


def strongest(mark: str, other: str | None) -> str:
    """What a reader takes a count hidden under two marks to be: the narrower ("<K" over
    "suppressed", 1 or more, over any other, which may be 0).

    >>> strongest("any", "suppressed"), strongest("suppressed", "small"), strongest("any", None)
    ('suppressed', 'small', 'any')
    """
    rank = {SMALL: 2, SUPPRESSED: 1}
    return mark if other is None or rank.get(mark, 0) >= rank.get(other, 0) else other


@dataclass
class Reading:
    """Everything one reader holds. Cell names are free text; a cell in a relation that is
    neither shown nor hidden is a quantity the reader names (a rest, a count never printed):
    whole and non-negative, nothing more."""

    k: int
    shown: dict[str, int] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)  # cell -> SMALL | SUPPRESSED
    eqs: list[dict[str, int]] = field(default_factory=list)  # sum coef * cell = 0
    rates: list[tuple[str, str, Fraction, Fraction]] = field(default_factory=list)
    zeros_printed: bool = True

    def show(self, cell: str, value: int | None, mark: str | None = None) -> None:
        """A printed count, or a hidden one (``value`` None) with its mark."""
        if value is None:
            self.hidden[cell] = strongest(mark or SUPPRESSED, self.hidden.get(cell))
            return
        if cell in self.shown and self.shown[cell] != value:
            raise AssertionError(f"{cell} printed as {self.shown[cell]} and as {value}")
        self.shown[cell] = int(value)
        self.hidden.pop(cell, None)

    def total(self, total: str, parts: list[str] | tuple[str, ...]) -> None:
        """total = sum of parts (a part named ``-x`` is subtracted)."""
        row: dict[str, int] = {total: -1}
        for p in parts:
            sign, name = (-1, p[1:]) if p.startswith("-") else (1, p)
            row[name] = row.get(name, 0) + sign
        self.eqs.append({c: a for c, a in row.items() if a})

    def same(self, a: str, b: str) -> None:
        if a != b:
            self.total(a, [b])

    def at_most(self, small: str, big: str, rest: str | None = None) -> None:
        """small <= big: big = small + a non-negative rest."""
        self.total(big, [small, rest or f"~{small}<={big}"])

    def between(self, cell: str, lo: int, hi: int) -> None:
        """A count printed rounded: lo <= cell <= hi (each end a printed constant)."""
        self.show(f"#{lo}", lo)
        self.show(f"#{hi}", hi)
        self.at_most(f"#{lo}", cell, f"~{cell}-{lo}")
        self.at_most(cell, f"#{hi}", f"~{hi}-{cell}")

    def rate(self, num: str, den: str, value: float | None, digits: int | None = None) -> None:
        """A printed rate num/den: to ``digits`` decimals (of the fraction, 0.815 is 3), or,
        without ``digits``, as precise as its repr is (12 digits in a chart's data; a float as
        computed is taken to 12 digits, well inside its rounding and finer than any two
        fractions of denominators under a million are apart)."""
        if value is None or value != value:
            return
        text = repr(float(value))
        if digits is None:
            digits = len(text.split(".")[1]) if "." in text and "e" not in text else 15
        exact = digits > 12  # a float as computed: its last digits are rounding
        digits = min(digits, 12)
        # a printed value may stand one unit off its plain rounding (a drawn value that would
        # end in 5 takes its neighbour): a reader takes one and a half units either side
        half = Fraction(1 if exact else 3, 2 * 10**digits)
        v = Fraction(value) if exact else Fraction(text)
        self.rates.append((num, den, max(Fraction(0), v - half), min(Fraction(1), v + half)))

    def merged(self, other: Reading) -> Reading:
        out = Reading(
            self.k,
            dict(self.shown),
            dict(self.hidden),
            list(self.eqs),
            list(self.rates),
            self.zeros_printed,
        )
        for c, v in other.shown.items():
            out.show(c, v)
        for c, mark in other.hidden.items():
            if c not in out.shown:
                out.hidden[c] = strongest(mark, out.hidden.get(c))
        out.eqs += other.eqs
        out.rates += other.rates
        return out


Row = dict[str, Fraction]  # cell -> coefficient; "" -> the constant: sum a x + c = 0


def _substitute(eqs: list[dict[str, int]], known: dict[str, Fraction]) -> list[Row]:
    out = []
    for eq in eqs:
        row: Row = {"": Fraction(0)}
        for c, a in eq.items():
            if c in known:
                row[""] += a * known[c]
            else:
                row[c] = row.get(c, Fraction(0)) + a
        out.append({c: a for c, a in row.items() if a or c == ""})
    return out


def _resubstitute(rows: list[Row], known: dict[str, Fraction]) -> list[Row]:
    out = []
    for row in rows:
        if any(c in known for c in row if c):
            const = row[""] + sum((a * known[c] for c, a in row.items() if c in known), Fraction(0))
            row = {"": const, **{c: a for c, a in row.items() if c and c not in known}}
        out.append(row)
    return out


def eliminate(rows: list[Row]) -> list[Row]:
    """Reduced row echelon form by Gauss-Jordan over the rationals (sparse rows); a row with no
    cell left but a constant other than 0 says the figures contradict the relations. A pivot
    row holds no other pivot's cell, so a new row is reduced by the pivots of its own cells
    once; ``holding`` indexes which pivot rows hold a cell, so that a new pivot is cleared
    from those rows only."""
    pivots: dict[str, Row] = {}
    holding: dict[str, set[str]] = {}  # cell -> the pivots whose rows hold it
    for row in rows:
        row = dict(row)
        for p in [c for c in row if c in pivots]:
            f = row.get(p)
            if f:
                for c, a in pivots[p].items():
                    row[c] = row.get(c, Fraction(0)) - f * a
        row = {c: a for c, a in row.items() if a or c == ""}
        cells = sorted(c for c in row if c)
        if not cells:
            if row.get(""):
                raise AssertionError("the published figures contradict a relation")
            continue
        p = cells[0]
        row = {c: a / row[p] for c, a in row.items()}
        for q in sorted(holding.get(p, ())):
            other = pivots[q]
            f = other[p]
            for c, a in row.items():
                v = other.get(c, Fraction(0)) - f * a
                if v or c == "":
                    other[c] = v
                    if c:
                        holding.setdefault(c, set()).add(q)
                elif c in other:
                    del other[c]
                    holding[c].discard(q)
        pivots[p] = row
        for c in row:
            if c:
                holding.setdefault(c, set()).add(p)
    return list(pivots.values())


@dataclass
class Finding:
    pinned: dict[str, int]  # hidden cell -> the one value it can take
    bounds: dict[str, tuple[int, int | None]]  # every hidden cell left: least, greatest

    def small(self, k: int, truth: dict[str, int] | None = None) -> dict[str, int]:
        """Hidden cells pinned to 1..k-1 (with ``truth``: only those equal to it)."""
        return {
            c: v
            for c, v in self.pinned.items()
            if 1 <= v <= k - 1 and (truth is None or truth.get(c) == v)
        }


def solve(r: Reading, *, lp: bool = True) -> Finding:
    known: dict[str, Fraction] = {c: Fraction(v) for c, v in r.shown.items()}
    cells = {c for eq in r.eqs for c in eq} | set(r.hidden)
    cells |= {c for num, den, _, _ in r.rates for c in (num, den)}
    unknown = sorted(cells - set(known))
    lo: dict[str, Fraction] = {c: Fraction(0) for c in unknown}
    hi: dict[str, Fraction | None] = {c: None for c in unknown}
    for c, mark in r.hidden.items():
        if c in lo:
            if mark == SMALL:
                lo[c], hi[c] = Fraction(1), Fraction(r.k - 1)
            elif mark == SUPPRESSED and r.zeros_printed:
                lo[c] = Fraction(1)
    reduced = eliminate(_substitute(r.eqs, known))
    original = _substitute(r.eqs, known)
    while True:
        before = (len(known), dict(lo), dict(hi))
        # the reduced rows are the relations (row-equivalent): what became known moves into
        # their constants and they are reduced again, far less work than from the start
        reduced = eliminate(_resubstitute(reduced, known))
        original = _resubstitute(original, known)
        for row in reduced:
            cs = [c for c in row if c]
            if len(cs) == 1:
                known[cs[0]] = -row[""] / row[cs[0]]
        for row in reduced + original:
            _bound(row, lo, hi)
        for num, den, a, b in r.rates:
            _bound_rate(num, den, a, b, known, lo, hi)
        for c in unknown:
            if c in known:
                continue
            top = hi[c]
            if top is not None and lo[c] > top:
                raise AssertionError(f"the published figures leave no value for {c}")
            if top is not None and lo[c] == top:
                known[c] = top
        if (len(known), lo, hi) == before:
            break
    for c in unknown:
        if c in known and known[c].denominator != 1:
            raise AssertionError(f"{c} would be {known[c]}: not a whole count")
        top = hi[c]
        if c in known and (known[c] < lo[c] or (top is not None and known[c] > top)):
            raise AssertionError(f"{c} would be {known[c]}, outside what its mark allows")
    pinned = {c: int(known[c]) for c in r.hidden if c in known}
    left = [c for c in r.hidden if c not in known]
    bounds = {c: (int(lo[c]), None if hi[c] is None else int(hi[c])) for c in left}
    if lp and left:
        more = _programmes(r, known, lo, hi, left)
        pinned.update({c: v for c, v in more.items() if v is not None})
        for c, v in more.items():
            if v is not None:
                bounds.pop(c, None)
    return Finding(pinned, bounds)


def _bound_rate(num, den, a, b, known, lo, hi) -> None:
    """a <= num/den <= b with one side known bounds the other."""
    if den in known and num not in known:
        n = known[den]
        lo[num] = max(lo[num], Fraction(math.ceil(a * n)))
        top = Fraction(math.floor(b * n))
        hi[num] = top if hi[num] is None else min(hi[num], top)
    elif num in known and den not in known and known[num]:
        x = known[num]
        lo[den] = max(lo[den], Fraction(math.ceil(x / b)))
        if a > 0:
            top = Fraction(math.floor(x / a))
            hi[den] = top if hi[den] is None else min(hi[den], top)


def _bound(row: Row, lo: dict[str, Fraction], hi: dict[str, Fraction | None]) -> None:
    """Interval propagation on one row ``sum a x + c = 0``, rounded to whole numbers: each
    cell's term lies between -c less the others' greatest and -c less their least (the
    sums over all cells taken once, each cell's own share removed; an unbounded share
    counted, so the sum is unbounded only for the cells other than it).

    Worked exactly in whole numbers (Fraction arithmetic here was most of the auditor's
    time): the row times the common denominator of its values (``den``) and the bounds times
    theirs (``scale``), so that a cell's term a*x, times den*scale, is (a*den) * (x*scale)."""
    vars_ = [c for c in row if c]
    if not vars_:
        return
    den = math.lcm(*(v.denominator for v in row.values()))
    scale = math.lcm(*(b.denominator for c in vars_ for b in (lo[c], hi[c]) if b is not None))

    def whole(v: Fraction, times: int) -> int:
        return v.numerator * (times // v.denominator)

    coef = {c: whole(row[c], den) for c in vars_}
    const = whole(row[""], den) * scale
    lows = {c: whole(lo[c], scale) for c in vars_}
    highs = {c: None if hi[c] is None else whole(hi[c], scale) for c in vars_}
    ends: dict[str, tuple[int | None, int | None]] = {}  # cell -> (least, greatest) of a*x
    big_sum, big_inf, little_sum, little_inf = 0, 0, 0, 0
    for c in vars_:
        a, top = coef[c], highs[c]
        top = None if top is None else a * top
        bottom = a * lows[c]
        big, little = (top, bottom) if a > 0 else (bottom, top)  # a*x ranges little..big
        ends[c] = (little, big)
        if big is None:
            big_inf += 1
        else:
            big_sum += big
        if little is None:
            little_inf += 1
        else:
            little_sum += little
    for c in vars_:
        little, big = ends[c]
        others_big = None if big_inf - (big is None) else big_sum - (big or 0)
        others_little = None if little_inf - (little is None) else little_sum - (little or 0)
        least = None if others_big is None else -const - others_big
        most = None if others_little is None else -const - others_little
        a = coef[c]
        low, high = (least, most) if a > 0 else (most, least)
        a *= scale  # x = term / (a * den), the term and a*den both times den*scale here
        if low is not None:
            v = -(-low // a)  # the ceiling
            if v * scale > lows[c]:
                lo[c] = Fraction(v)
        if high is not None:
            v = high // a  # the floor
            top = highs[c]
            if top is None or v * scale < top:
                hi[c] = Fraction(v)


def _programmes(r, known, lo, hi, targets) -> dict[str, int | None]:
    """Each target's least and greatest value over its connected part of what is left: a
    linear programme (HiGHS, one model per part, only the objective changed between solves),
    then, where a rate ties two unknown counts, a mixed-integer one. Every solution found
    is kept: a target that two solutions give values 2 apart (the LP) or two whole
    solutions give different values (the MIP) cannot be pinned and is not solved for."""
    rows = [row for row in _substitute(r.eqs, known) if len(row) > 1]
    ineqs = []  # (row, constant, lower): sum a x >= constant (lower) or <= constant
    for num, den, a, b in r.rates:
        if num in known and den in known:
            continue
        for slope, lower in ((a, True), (b, False)):
            row: Row = {}
            const = Fraction(0)
            for c, coef in ((num, Fraction(1)), (den, -slope)):
                if c in known:
                    const += coef * known[c]
                else:
                    row[c] = row.get(c, Fraction(0)) + coef
            if row:
                ineqs.append((row, -const, lower))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    links = [[c for c in row if c] for row in rows] + [list(row) for row, _, _ in ineqs]
    for cs in links:
        for c in cs[1:]:
            parent[find(c)] = find(cs[0])
    members: dict[str, set[str]] = {}
    for cs in links:
        members.setdefault(find(cs[0]), set()).update(cs)
    parts: dict[str, list[str]] = {}
    for t in targets:
        parts.setdefault(find(t), []).append(t)
    eq_of: dict[str, list[Row]] = {}
    for row in rows:
        eq_of.setdefault(find(next(c for c in row if c)), []).append(row)
    iq_of: dict[str, list] = {}
    for x in ineqs:
        iq_of.setdefault(find(next(iter(x[0]))), []).append(x)
    out: dict[str, int | None] = {}
    for root, ts in parts.items():
        order = sorted(members.get(root, set()) | set(ts))
        out.update(_part(order, eq_of.get(root, []), iq_of.get(root, []), lo, hi, ts, r.k))
    return out


def _part(order, eq_rows, iq_rows, lo, hi, targets, k) -> dict[str, int | None]:
    import highspy
    import numpy as np

    col = {c: j for j, c in enumerate(order)}
    n = len(order)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    h.addVars(
        n,
        np.array([float(lo[c]) for c in order]),
        np.array([inf if hi[c] is None else float(hi[c]) for c in order]),
    )
    for row in eq_rows:
        idx = [col[c] for c in row if c]
        h.addRow(
            -float(row[""]),
            -float(row[""]),
            len(idx),
            np.array(idx, dtype=np.int32),
            np.array([float(row[c]) for c in row if c]),
        )
    for row, const, lower in iq_rows:
        idx = [col[c] for c in row]
        bounds = (float(const), inf) if lower else (-inf, float(const))
        h.addRow(
            *bounds,
            len(idx),
            np.array(idx, dtype=np.int32),
            np.array([float(a) for a in row.values()]),
        )
    seen_lo = np.full(n, np.inf)
    seen_hi = np.full(n, -np.inf)

    def run(goal: dict[int, float]) -> float | None:
        h.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n))
        for j, a in goal.items():
            h.changeColCost(j, a)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.array(h.getSolution().col_value)
        np.minimum(seen_lo, x, out=seen_lo)
        np.maximum(seen_hi, x, out=seen_hi)
        return h.getInfo().objective_function_value

    out: dict[str, int | None] = {}
    for sense in (1.0, -1.0):  # two spread-out solutions first
        run({j: sense for j in range(n)})
    for integral in (False, True):
        if integral:
            if not iq_rows:
                break
            h.changeColsIntegrality(
                n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n)
            )
            seen_lo[:] = np.inf
            seen_hi[:] = -np.inf
            for sense in (1.0, -1.0):
                run({j: sense for j in range(n)})
        for t in targets:
            if out.get(t) is not None:
                continue
            j = col[t]
            if seen_hi[j] - seen_lo[j] >= (0.5 if integral else 2):
                out[t] = None
                continue
            least = run({j: 1.0})
            if least is None or least > k - 1 + 1e-6:  # not a small count: not asked
                out[t] = None
                continue
            most = run({j: -1.0})
            if most is None:
                out[t] = None
                continue
            a, b = math.ceil(least - 1e-6), math.floor(-most + 1e-6)
            out[t] = a if a == b else None
    return out
