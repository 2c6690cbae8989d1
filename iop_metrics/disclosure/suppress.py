"""Small-cell suppression: what an outside reader may see of a metrics document.

No count of 1..K-1 is shown, nor one that can be worked out from the counts shown and
the relations among them (``relations.py``, ``published.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..compute.formats import figure_at, flatten, set_figure
from . import published as pub
from . import relations as ids
from .atoms import attach
from .model import COMPLEMENTARY, ESTIMATE, INTERNAL, RATE, SMALL, WITHHELD, Cells, protect
from .precision import COARSE_BASE, coarse, coarsened

if TYPE_CHECKING:  # pandas is imported where a frame is suppressed, not at load
    import pandas as pd


REASONS = (SMALL, COMPLEMENTARY, RATE, ESTIMATE, INTERNAL)


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
    """What a reader sees in place of a hidden figure: "<K" for a small count, "withheld" for
    a figure withheld for every scope, zeros too (``model.withhold``: it may be 0),
    "suppressed" for every other (hidden to protect a small one, or a rate or estimate built
    on one; 1 or more where zeros are printed).

    >>> mark(SMALL, 11), mark(COMPLEMENTARY, 11), mark(WITHHELD, 11)
    ('<11', 'suppressed', 'withheld')
    """
    return f"<{k}" if reason == SMALL else WITHHELD if reason == WITHHELD else "suppressed"


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
    members: Mapping[str, Iterable[str]] | None = None,
) -> Cells:
    """The counts of a metrics document and its identities, from the registry
    (``relations.FAMILIES``); ``derived`` gives the ``~`` counts the document does not hold
    and the registry does not define by a sum (``~initiated`` ...). A figure the document
    leaves null (a count an instrument does not define) is no cell, and an identity that
    names it does not apply. ``tables`` adds the frames a report publishes beside the
    document (``published.TABLES``), each count a cell, with their identities. ``members``:
    the records each episode count counts (``atoms.document_members``): the model then takes
    those counts as sums of atoms (``model.with_atoms``), whatever identities are declared."""
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
    mine = attach(values, members) if members is not None else {}
    return Cells(values, published, tuple(exact), tuple(near), mine)


def suppress_document(
    doc: dict[str, Any], k: int, *, derived: dict[str, int]
) -> tuple[dict[str, Any], dict[str, str], dict[str, int | None]]:
    """Apply small-cell suppression to a metrics document as one model (``protect`` over
    the identities of ``relations.FAMILIES``).

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
    members: Mapping[str, Iterable[str]] | None = None,
) -> tuple[dict[str, Any], dict[str, str], dict[str, int | None], dict[str, pd.DataFrame]]:
    """``suppress_document`` over a document and the frames a report publishes beside it
    (``published.TABLES``) as one model: a breakdown cannot give back what the document
    hides, nor the document what a breakdown hides. Also returns the frames as shown (a
    hidden count or rate missing, ``NaN``); ``reasons`` names their cells
    ``table[row].column``. ``forced``: as ``protect``'s."""
    shown = copy.deepcopy(doc)
    tables = tables or {}
    cells = document_cells(doc, derived, tables=tables, context=context, members=members)
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
    rounded = printed_coarse(cells, reasons)
    for key in sorted(rounded.keys() & keys):
        set_figure(shown, key, rounded[key])
    frames = {n: _hide_frame(n, df, reasons, rounded) for n, df in tables.items()}
    return (
        shown,
        dict(sorted(reasons.items())),
        {c: None if c in reasons else v for c, v in behind.items()},
        frames,
    )


def printed_coarse(cells: Cells, reasons: Mapping[str, str]) -> dict[str, int]:
    """The published counts an external copy prints to the nearest ten
    (``precision.coarse``: the retention cohort), as printed: those not hidden and not 0.

    >>> c = Cells({"retention.cohort_admissions": 252, "census.admissions": 24},
    ...           frozenset({"retention.cohort_admissions", "census.admissions"}), ())
    >>> printed_coarse(c, {}), printed_coarse(c, {"retention.cohort_admissions": "small"})
    ({'retention.cohort_admissions': 250}, {})
    """
    return {
        c: coarsened(v)
        for c, v in sorted(cells.values.items())
        if c in cells.published and coarse(c) and v and c not in reasons
    }


def _hide_frame(
    name: str, df: pd.DataFrame, reasons: dict[str, str], rounded: Mapping[str, int] | None = None
) -> pd.DataFrame:
    """A published frame with its hidden cells (counts, rates, estimates) missing, and its
    ``rounded`` counts as printed (``printed_coarse``)."""
    import pandas as pd

    out = df.copy()
    names = pub.rows(name, df)
    spec = pub.TABLES[name]
    rounded = rounded or {}
    for i, r in zip(out.index, names, strict=True) if rounded else ():
        for col in spec.counts:
            c = pub.cell(name, r, col)
            if c in rounded:
                out.loc[i, col] = rounded[c]
    columns = [*spec.counts, *(r for r, _, _ in spec.rates), "day_90", "share"]
    for col in columns:
        if col not in out:
            continue
        mask = pd.Series([pub.cell(name, r, col) in reasons for r in names], index=out.index)
        if mask.any():
            out[col] = out[col].astype("float64").mask(mask)
    return out


def suppression_block(
    k: int,
    reasons: dict[str, str],
    behind: dict[str, int | None],
    rounded: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The ``suppression`` block of an external metrics.json: K, every hidden figure with why
    it is hidden (``small``: a count of 1..K-1, shown "<K"; ``complementary``: hidden so that a
    small one cannot be worked out, shown "suppressed"; ``rate`` and ``estimate``: built on a
    hidden count), the counts the rates table shows beside the rates (null when hidden), how
    many figures are hidden per reason (``hidden_by_reason``), and the figures printed to the
    nearest ten (``rounded``: figure -> 10, ``precision.COARSE``)."""
    out = {
        "k": k,
        "hidden": {key: reasons[key] for key in sorted(reasons)},
        "counts_behind_rates": dict(behind),
        "hidden_by_reason": hidden_by_reason(reasons),
    }
    if rounded is not None:
        out["rounded"] = {key: COARSE_BASE for key in sorted(rounded)}
    return out


def hidden_by_reason(reasons: dict[str, str]) -> dict[str, int]:
    """How many figures are hidden, per reason (each of ``REASONS``, 0 where none, and
    "withheld" where a figure is): what an output gives up to protection, for a run's record
    and an external metrics.json (#30 item 5).

    >>> hidden_by_reason({"a": "small", "b": "rate", "c": "small"})
    {'small': 2, 'complementary': 0, 'rate': 1, 'estimate': 0, 'internal': 0}
    """
    out = dict.fromkeys(REASONS, 0)
    for why in reasons.values():
        out[why] = out.get(why, 0) + 1
    return out


def external_document(doc: dict[str, Any], k: int, *, derived: dict[str, int]) -> dict[str, Any]:
    """A metrics document as an external metrics.json carries it: suppressed, with its
    ``suppression`` block."""
    shown, reasons, behind = suppress_document(doc, k, derived=derived)
    return {**shown, "suppression": suppression_block(k, reasons, behind, rounded_keys(shown))}


def rounded_keys(shown: dict[str, Any]) -> list[str]:
    """The figures of a suppressed document printed to the nearest ten: its ``coarse`` ones
    shown and not 0 (a 0 is printed as it is).

    >>> rounded_keys({"retention": {"cohort_admissions": 250}, "census": {"admissions": 24}})
    ['retention.cohort_admissions']
    >>> rounded_keys({"retention": {"cohort_admissions": None}})
    []
    """
    return [key for key, v in flatten(shown) if coarse(key) and v]
