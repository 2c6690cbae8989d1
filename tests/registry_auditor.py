"""A reader with a pencil: what can be worked out from an external metrics document?

Independent of the suppression code: it takes the identities from the registry
(``iop_metrics.disclosure.relations``, the one place they are declared) and solves them with its own
exact arithmetic (fractions): known figures are substituted, the equations reduced by
Gauss-Jordan elimination, and integer bounds propagated (no count is negative; a "<K" count
is 1..K-1, a "suppressed" one any count; a shown rate x/n fixes x/n in lowest
terms, so n is a multiple of its reduced denominator) until nothing new follows. Then the
near-identities (clients served = start + admissions) are taken as exact, as a reader would
guess, and eliminated once more.

The recovery figures (recovery.md) are also read with the identities the auditor takes from
the spec itself (``recovery_identities``), beside the registry's, so that one the registry
forgot still arms the attacker; deaths after discharge are internal only, and
``Finding.deaths`` names any an external reader can pin, whatever its size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from fractions import Fraction
from typing import Any

from auditor import _bound as bound
from auditor_docs import leaves

from iop_metrics.disclosure import published as pub
from iop_metrics.disclosure import relations as ids

SMALL, COMPLEMENTARY = "small", "complementary"


@dataclass
class Finding:
    recovered: dict[str, int] = field(default_factory=dict)  # exact, from exact identities
    guessed: dict[str, int] = field(default_factory=dict)  # with the near-identities too
    bounds: dict[str, tuple[Fraction, Fraction | None]] = field(default_factory=dict)

    def small(self, k: int, truth: dict[str, int] | None = None) -> dict[str, int]:
        """Hidden counts worked out to be 1..k-1, and those a near-identity guesses right
        (with ``truth``, the exact figures; without, every guess counts)."""
        right = {c: v for c, v in self.guessed.items() if truth is None or truth.get(c) == v}
        both = {**right, **self.recovered}
        return {c: v for c, v in both.items() if 1 <= v <= k - 1}

    def deaths(self, truth: dict[str, int] | None = None) -> dict[str, int]:
        """Deaths after discharge (``follow_up.<w>.deceased``, internal only) worked out,
        of any size, a guess only when it is right (with ``truth``)."""
        right = {c: v for c, v in self.guessed.items() if truth is None or truth.get(c) == v}
        both = {**right, **self.recovered}
        return {c: v for c, v in both.items() if c.endswith(".deceased")}


FOLLOW_UP_PARTS = ("reached", "not_reached", "declined", "deceased", "not_attempted")
FOLLOW_UP_DOMAINS = ("abstinent", "employed_or_student", "housed", "no_arrests")


def recovery_identities(doc: dict[str, Any]) -> tuple[ids.Identity, ...]:
    """What ties the recovery figures, as recovery.md states it (read here, not from the
    registry): the ended episodes are the period's discharges; per domain paired <= ended,
    with_admission, with_discharge, at_discharge = at_admission + gained - lost, and the four
    moves (kept, gained, lost, stayed negative) are counts; using = paired - abstinent at
    admission; per window the five categories sum to due, known <= reached, positive <= known;
    each rate over its counts. ``aud:`` cells are the non-negative rests the auditor names."""
    out: list[ids.Identity] = []
    noms = doc.get("noms") or {}
    if noms:
        out.append(ids.Sum("noms.ended", ("discharges.total",)))
    for d, f in noms.items():
        if not isinstance(f, dict):
            continue
        k, a = f"noms.{d}.", f"aud:noms:{d}:"
        out += [
            ids.Sum(f"{k}at_discharge", (f"{k}at_admission", f"{k}gained", f"-{k}lost")),
            ids.Sum("noms.ended", (f"{k}paired", f"{a}unpaired")),
            ids.Sum("noms.with_admission", (f"{k}paired", f"{a}admission_only")),
            ids.Sum("noms.with_discharge", (f"{k}paired", f"{a}discharge_only")),
            ids.Sum(f"{k}at_admission", (f"{k}lost", f"{a}kept")),
            ids.Sum(f"{k}paired", (f"{k}at_admission", f"{k}gained", f"{a}stayed_negative")),
            ids.Rate(f"{k}paired_rate", f"{k}paired", "noms.ended"),
            ids.Rate(f"{k}admission_rate", f"{k}at_admission", f"{k}paired"),
            ids.Rate(f"{k}discharge_rate", f"{k}at_discharge", f"{k}paired"),
        ]
        if "using_at_admission" in f:
            out += [
                ids.Sum(f"{k}paired", (f"{k}at_admission", f"{k}using_at_admission")),
                ids.Rate(f"{k}reduced_rate", f"{k}reduced", f"{k}using_at_admission"),
            ]
    for w in doc.get("follow_up") or {}:
        k, a = f"follow_up.{w}.", f"aud:follow_up:{w}:"
        out += [
            ids.Sum(f"{k}due", tuple(k + p for p in FOLLOW_UP_PARTS)),
            ids.Rate(f"{k}response_rate", f"{k}reached", f"{k}due"),
            ids.Rate(f"{k}abstinent_rate_responders", f"{k}abstinent", f"{k}abstinent_known"),
            ids.Rate(f"{k}abstinent_rate_all", f"{k}abstinent", f"{k}due"),
        ]
        for d in FOLLOW_UP_DOMAINS:
            out += [
                ids.Sum(f"{k}reached", (f"{k}{d}_known", f"{a}{d}_unknown")),
                ids.Sum(f"{k}{d}_known", (f"{k}{d}", f"{a}{d}_negative")),
            ]
    return tuple(out)


PHQ9 = "outcomes.by_instrument.PHQ-9."
PHQ9_CASE_BANDS = ("moderate", "moderately severe", "severe")  # a first score of 10 or more
PHQ9_BELOW_CASE = ("minimal", "mild")


def band_identities(doc: dict[str, Any], tables: dict[str, Any]) -> tuple[ids.Identity, ...]:
    """What ties the PHQ-9 severity bands to the document, as outcomes.md states it (read here:
    the model takes it from the records, ``instrument_cells.sql``): the bands hold the PHQ-9
    paired courses, those starting at moderate or worse (a first score of 10, PHQ-9's caseness)
    are its cases at start, and those of them ending minimal or mild its cases no more."""
    phq9 = ((doc.get("outcomes") or {}).get("by_instrument") or {}).get("PHQ-9") or {}
    df = tables.get("bands")
    if df is None or "paired" not in phq9:  # a hidden figure is there, as None
        return ()
    pairs = list(zip(pub.rows("bands", df), zip(df["start"], df["end"], strict=True), strict=True))
    n = {r: pub.cell("bands", r, "n") for r, _ in pairs}
    return (
        ids.Sum(f"{PHQ9}paired", tuple(n[r] for r, _ in pairs)),
        ids.Sum(f"{PHQ9}case_at_start", tuple(n[r] for r, (a, _) in pairs if a in PHQ9_CASE_BANDS)),
        ids.Sum(
            f"{PHQ9}not_case_at_end",
            tuple(n[r] for r, (a, b) in pairs if a in PHQ9_CASE_BANDS and b in PHQ9_BELOW_CASE),
        ),
    )


def _row(terms: list[tuple[str, int]]) -> dict[str, Fraction]:
    row: dict[str, Fraction] = {}
    for cell, coef in terms:
        row[cell] = row.get(cell, Fraction(0)) + coef
    return {c: a for c, a in row.items() if a}


def equations(
    keys: list[str], every: tuple[ids.Identity, ...]
) -> tuple[list[dict[str, Fraction]], list[dict[str, Fraction]]]:
    """The registry's sums (and each rate's den = num + complement) as rows ``sum a x = 0``."""
    exact, near = [], []
    for i in every:
        if isinstance(i, ids.Sum):
            terms = [(i.total, -1)]
            for p in i.parts:
                sign = -1 if p.startswith("-") else 1
                terms += [(x, sign) for x in ids.expand(p.lstrip("-"), keys)]
            (exact if i.exact else near).append(_row(terms))
        elif isinstance(i, ids.Rate):
            exact.append(_row([(i.den, -1), (i.num, 1), (f"rest:{i.rate}", 1)]))
    return exact, near


Row = dict[Any, Fraction]  # cell -> coefficient, and key 1 -> constant: sum a x + c = 0


def _substitute(rows: list[dict[str, Fraction]], known: dict[str, Fraction]) -> list[Row]:
    out: list[Row] = []
    for r in rows:
        const = sum((a * known[c] for c, a in r.items() if c in known), Fraction(0))
        out.append({**{c: a for c, a in r.items() if c not in known}, 1: const})
    return out


def _whole(v: Fraction | int) -> Fraction | int:
    """``v`` as an int when it is whole (int arithmetic is some 30 times Fraction's)."""
    return v.numerator if v.denominator == 1 else v


def _divided(a: Fraction | int, b: Fraction | int) -> Fraction | int:
    """a / b exactly (``_whole``): never a float."""
    if type(a) is int and type(b) is int:
        q, r = divmod(a, b)
        return Fraction(a, b) if r else q
    return _whole(Fraction(a) / b)


def _eliminate(rows: list[dict[str, Fraction]], known: dict[str, Fraction]) -> list[Row]:
    """Gauss-Jordan elimination of the unknowns (the known cells moved into the constant).

    A pivot row holds no other pivot's column and no zero (each new pivot is cleared from the
    others, zeros dropped), so a row meets only the pivots of the columns it holds: ``at``
    indexes them (column -> pivot rows), and each row is reduced by those alone, in pivot
    order, the same operations as a scan of every pivot (one scan a row took most of the
    auditor's time on a run's four outputs read together). The values are exact throughout:
    a whole one is held as an int, any other as a Fraction (``_whole``), and every value is a
    Fraction again in the rows returned."""
    pivots: list[tuple[str, dict[Any, Fraction | int]]] = []
    at: dict[Any, set[int]] = {}  # column -> the pivot rows holding it
    pivot_of: dict[str, int] = {}  # pivot column -> its row
    for given in _substitute(rows, known):
        row = {c: _whole(a) for c, a in given.items()}
        for i in sorted(pivot_of[c] for c in row if c in pivot_of):
            p, prow = pivots[i]
            if row.get(p):
                f = row[p]
                for c, a in prow.items():
                    row[c] = _whole(row.get(c, 0) - f * a)
        row = {c: a for c, a in row.items() if a or c == 1}
        cells = sorted((c for c in row if c != 1), key=str)
        if not cells:
            continue  # 0 = 0 (or a near-identity that does not hold exactly)
        p = cells[0]
        head = row[p]
        row = {c: _divided(a, head) for c, a in row.items()}
        for j in sorted(at.get(p, ())):
            other = pivots[j][1]
            if other.get(p):
                f = other[p]
                for c, a in row.items():
                    if c not in other:
                        at.setdefault(c, set()).add(j)
                    other[c] = _whole(other.get(c, 0) - f * a)
                for c in [c for c, a in other.items() if c != 1 and not a]:
                    del other[c]
                    at[c].discard(j)
        pivot_of[p] = len(pivots)
        for c in row:
            at.setdefault(c, set()).add(len(pivots))
        pivots.append((p, row))
    return [{c: Fraction(a) for c, a in row.items()} for _, row in pivots]


def audit(
    doc: dict[str, Any],
    k: int | None = None,
    *,
    tables: dict[str, Any] | None = None,
    context: pub.Context | None = None,
    labels: dict[str, str] | None = None,
) -> Finding:
    """What a reader can work out from ``doc`` (an external metrics.json) and its labels,
    and from the ``tables`` published beside it (frames as shown, a hidden cell missing;
    ``labels`` the marks of their hidden cells, ``small`` for "<K")."""
    return audit_many([Source("", doc, tables or {}, context, labels or {})], k)


@dataclass
class Source:
    """One published report: its external document, frames and their marks; every cell is
    named with ``prefix`` (``north:census.admissions``) when several are read together."""

    prefix: str
    doc: dict[str, Any]
    tables: dict[str, Any] = field(default_factory=dict)
    context: pub.Context | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _renamed(identity: ids.Identity, prefix: str) -> ids.Identity:
    def name(x: str) -> str:
        return ("-" + prefix + x[1:]) if x.startswith("-") else prefix + x

    values: dict[str, Any] = {}
    for f in fields(identity):
        v = getattr(identity, f.name)
        if isinstance(v, str) and f.name != "exact":
            values[f.name] = name(v)
        elif isinstance(v, tuple):
            values[f.name] = tuple(name(x) for x in v)
    return replace(identity, **values)


def audit_many(
    sources: list[Source], k: int | None = None, extra: tuple[ids.Identity, ...] = ()
) -> Finding:
    """``audit`` over several reports read together, with the ``extra`` identities between
    them (the sites adding up to the program)."""
    body: dict[str, Any] = {}
    every: tuple[ids.Identity, ...] = tuple(extra)
    labels: dict[str, str] = {}
    behind: dict[str, Any] = {}
    rounded: dict[str, int] = {}  # a count printed to the nearest ``base``: its base
    for src in sources:
        sup = src.doc.get("suppression") or {}
        rounded.update({src.prefix + c: int(b) for c, b in (sup.get("rounded") or {}).items()})
        k = k if k is not None else int(sup.get("k") or 0)
        pre = src.prefix
        labels.update({pre + c: r for c, r in {**(sup.get("hidden") or {}), **src.labels}.items()})
        mine = leaves({x: v for x, v in src.doc.items() if x not in ("suppression", "benchmark")})
        for name, df in src.tables.items():
            spec = pub.TABLES[name]
            for r, row in zip(pub.rows(name, df), df.to_dict("records"), strict=True):
                for col in (*spec.counts, *(x for x, _, _ in spec.rates), "share", "day_90"):
                    if col in row:
                        v = row[col]
                        mine[pub.cell(name, r, col)] = None if v is None or v != v else v
        found = (
            ids.identities(src.doc)
            + pub.identities(src.tables, src.context or pub.Context())
            + recovery_identities(src.doc)
            + band_identities(src.doc, src.tables)
        )
        # a "prefix.*" part is expanded over this report's own keys before renaming
        keys = list(mine)
        found = tuple(
            replace(i, parts=tuple(
                sign + x
                for p in i.parts
                for sign, x in [("-" if p.startswith("-") else "", p.lstrip("-"))]
                for x in ids.expand(x, keys)
            )) if isinstance(i, ids.Sum) else i
            for i in found
        )  # fmt: skip
        every = every + tuple(_renamed(i, pre) for i in found) if pre else every + found
        body.update({pre + c: v for c, v in mine.items()})
        behind.update({pre + c: v for c, v in (sup.get("counts_behind_rates") or {}).items()})
    k = int(k or 0)
    keys = list(body)
    rate_keys = {i.rate: i for i in every if isinstance(i, ids.Rate)}
    skip = set(rate_keys) | {i.key for i in every if isinstance(i, ids.Estimate)}
    known: dict[str, Fraction] = {}
    for key, v in body.items():
        bare = key.split(":", 1)[1] if ":" in key.split(".")[0] else key
        if key in skip or any(ids.matches(bare, p) for p in ids.not_additive()):
            continue
        if v is not None and key not in rounded:
            known[key] = Fraction(int(v))
    for key, v in behind.items():
        if v is not None:
            known[key] = Fraction(int(v))
    exact, near = equations(keys, every)
    lattice: dict[str, int] = {}  # cell -> its values are multiples of this
    for key, rule in rate_keys.items():
        r = body.get(key)
        if r is None:
            continue
        frac = Fraction(r).limit_denominator(10**7)
        if float(frac) != float(r):
            continue
        exact.append(_row([(rule.num, frac.denominator), (rule.den, -frac.numerator)]))
        lattice[rule.den] = frac.denominator
        if frac.numerator:
            lattice[rule.num] = frac.numerator
    cells = {c for row in exact + near for c in row}
    unknown = cells - set(known)
    lo: dict[str, Fraction] = {c: Fraction(0) for c in unknown}
    hi: dict[str, Fraction | None] = {c: None for c in unknown}
    for c in unknown:
        if labels.get(c) == SMALL:
            lo[c], hi[c] = Fraction(1), Fraction(k - 1)
        elif c in rounded and body.get(c) is not None:
            # printed to the nearest base, halves up; shown, so no count of 1..K-1
            v, base = int(body[c]), rounded[c]
            # and a count above 0 never printed below the base
            least = 1 if v == base else v - base // 2
            lo[c], hi[c] = Fraction(max(least, k)), Fraction(v + base - 1 - base // 2)
    start = dict(known)
    while True:
        before = (len(known), dict(lo), dict(hi))
        reduced = _eliminate(exact, known)
        for row in reduced:
            cs = [c for c in row if c != 1]
            if len(cs) == 1:
                known[cs[0]] = -row[1] / row[cs[0]]
        for row in reduced + _substitute(exact, known):
            _bound(row, lo, hi)
        for c in sorted(unknown - set(known)):
            top = hi[c]
            # "suppressed" (COMPLEMENTARY) says nothing of the size: mostly K or more, but a
            # small count whose "<K" would give others away is labelled so too
            m = lattice.get(c)
            if m and m > 1:
                lo[c] = Fraction(math.ceil(lo[c] / m) * m)
                if top is not None:
                    hi[c] = top = Fraction(math.floor(top / m) * m)
            if top is not None and lo[c] > top:
                raise AssertionError(f"the document contradicts itself at {c}")
            if top is not None and lo[c] == top:
                known[c] = top
        if (len(known), lo, hi) == before:
            break
    recovered = {c: _int(v) for c, v in known.items() if c not in start}
    guessed: dict[str, int] = {}
    for row in _eliminate(exact + near, known):
        cs = [c for c in row if c != 1]
        if len(cs) == 1 and cs[0] not in known:
            guessed[cs[0]] = _int(-row[1] / row[cs[0]])
    bounds = {c: (lo[c], hi[c]) for c in unknown - set(known)}
    return Finding(recovered, guessed, bounds)


def _int(v: Fraction) -> int:
    return int(v) if v.denominator == 1 else math.floor(v)


def _bound(row: Row, lo: dict[str, Fraction], hi: dict[str, Fraction | None]) -> None:
    """Interval propagation on one row (the new auditor's, its constant keyed "" not 1)."""
    bound({("" if c == 1 else c): a for c, a in row.items()}, lo, hi)
