"""Suppression across the external reports of one run: the sites add up to the program.

Each external report is suppressed as one model of its document and the frames it
publishes (``suppress.suppress_report``). Published together, the program's report and its
sites' reports are tied by one more identity per count: the program's figure is the sum of
its sites' (a row a site's frame does not have is a zero to a reader). Those identities are
taken where they hold on the exact figures (distinct clients add up only when no one was
at two sites; a reader may guess they do, so where they hold they are protected against
too). ``plan`` joins every report's cells (named ``scope:cell``) and equations with them
into one model and protects it as a single report is protected (``model.protect``): no
count of 1..K-1 in any report can be worked out from all of them read together. Each report
is then rendered with its share of that model's hidden cells forced (``hide``); its own
model then finds nothing more to hide, since what it could work out the joint model could.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..contract import PROGRAM_FOLDER as ALL
from .atoms import attach, site_members
from .model import WITHHELD, Cells, _joined, protect, with_atoms, withhold


class Known(Protocol):
    """What earlier runs published, as ``ledger.known`` gives it (``ledger.Known``; named
    here by its shape, since the ledger reads this module)."""

    @property
    def cells(self) -> Cells: ...
    @property
    def fixed(self) -> frozenset[str]: ...
    @property
    def hidden(self) -> dict[str, str]: ...


SITES = "sites"  # the model of the external sites page, joined like a report's
WINDOWS = ("period", "12m")
# What the sites page counts per site (comparison.md), as a report's document counts it
# over the period and its monthly trends over the 12 months: measure -> (n, observed) as
# document cells and as monthly columns. A link is an identity only where the exact figures
# agree (the windows and definitions coincide), so it is checked, not assumed.
LINKS = {
    "completion": (
        ("discharges.total", "discharges.by_reason.completed"),
        ("discharges", "completed"),
    ),
    "step_down": (("~determined", "transitions.step_down"), ("determined", "step_down")),
    "reliable_improvement": (
        ("outcomes.paired", "outcomes.reliable_improvement"),
        ("paired", "reliable_improvement"),
    ),
    "recovery": (("outcomes.at_caseness", "outcomes.recovery"), ("at_caseness", "recovery")),
    "attendance": (("~client_scheduled", "attendance.attended"), ("client_scheduled", "attended")),
    "abstinent_discharge": (
        ("noms.abstinent.paired", "noms.abstinent.at_discharge"),
        ("abstinent_paired", "abstinent_at_discharge"),
    ),
    # rolling: the 3-month follow-up of a month and of its 12 months are the same cohort (the
    # windows closed in the 12 months), the document's; no sum of monthly rows
    "response_3m": (("follow_up.3m.due", "follow_up.3m.reached"), ()),
}


def sites_cells(con: Any, q: Any, given: dict[str, dict[str, Any]] | None = None) -> Cells:
    """The counts the external sites page shows for ``q`` (the program's scope): per measure
    and window, each site's n and observed (and n - observed) and the program's, with their
    identities (the sites add up to the program). Cells are ``measure.window[site].n``.
    ``given``: ``comparison.page_comparisons`` of ``q``, when already at hand."""
    from ..compute import comparison as cmp

    values: dict[str, int] = {}
    exact: list[dict[str, int]] = []
    for meas in cmp.MEASURES:
        for window in WINDOWS:
            if given is not None:
                c = given[meas]["raw" if window == "12m" else "raw_period"]
            else:
                c = cmp.compare_sites(con, q, meas, adjust=False, window=window)
            rows = [
                (str(r["site"]), int(r["n"]), int(r["observed"]))
                for r in c.sites.to_dict("records")
            ]
            for who, n, o in [*rows, (ALL, int(c.n), int(c.observed))]:
                cell = f"{meas}.{window}[{who}]"
                values |= {f"{cell}.n": n, f"{cell}.observed": o, f"~{cell}.rest": n - o}
                exact.append({f"{cell}.n": -1, f"{cell}.observed": 1, f"~{cell}.rest": 1})
            for part in ("n", "observed"):
                total = f"{meas}.{window}[{ALL}].{part}"
                exact.append({total: -1, **{f"{meas}.{window}[{w}].{part}": 1 for w, _, _ in rows}})
    # the page shows the program's row for the 12 months, not for the period alone
    unshown = f".period[{ALL}]."
    published = frozenset(c for c in values if not c.startswith("~") and unshown not in c)
    windows = [(w, cmp.window_query(q, w)) for w in WINDOWS]
    members = attach(values, site_members(con, q, windows))
    return Cells(values, published, tuple(exact), (), members)


def _links(models: dict[str, Cells]) -> list[dict[str, int]]:
    """The sites page's counts tied to the reports' (``LINKS``) where the exact figures agree:
    a site's period n is its report's count, its 12 months' n the sum of its monthly row."""
    page = models[SITES].values
    out: list[dict[str, int]] = []
    for meas, (doc_cells, columns) in LINKS.items():
        for scope, cells in models.items():
            if scope == SITES:
                continue
            have = cells.values
            months = sorted({c.split("]", 1)[0] + "]" for c in have if c.startswith("monthly[")})
            for i, part in enumerate(("n", "observed")):
                cell = f"{meas}.period[{scope}].{part}"
                if cell in page and doc_cells[i] in have and page[cell] == have[doc_cells[i]]:
                    out.append({f"{SITES}:{cell}": -1, f"{scope}:{doc_cells[i]}": 1})
                cell = f"{meas}.12m[{scope}].{part}"
                if not columns:
                    if cell in page and doc_cells[i] in have and page[cell] == have[doc_cells[i]]:
                        out.append({f"{SITES}:{cell}": -1, f"{scope}:{doc_cells[i]}": 1})
                    continue
                terms = [f"{m}.{columns[i]}" for m in months if f"{m}.{columns[i]}" in have]
                if cell in page and terms and page[cell] == sum(have[t] for t in terms):
                    out.append({f"{SITES}:{cell}": -1, **{f"{scope}:{t}": 1 for t in terms}})
    return out


def joint(models: dict[str, Cells]) -> Cells:
    """The reports' cells as one model: every cell named ``scope:cell``, each report's
    equations, and ``all:cell = sum of the sites' cell`` where the exact figures add up.

    >>> from iop_metrics.disclosure.model import Cells
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
    members: dict[str, tuple[str, ...]] = {}
    for scope, cells in models.items():
        values.update({f"{scope}:{c}": v for c, v in cells.values.items()})
        members.update({f"{scope}:{c}": r for c, r in cells.members.items()})
        published.update(f"{scope}:{c}" for c in cells.published)
        for eqs, into in ((cells.exact, exact), (cells.near, near)):
            into.extend({f"{scope}:{c}": a for c, a in eq.items()} for eq in eqs)
    sites = [s for s in models if s not in (ALL, SITES)]
    if SITES in models:
        exact.extend(_links(models))
    if ALL in models and sites:
        for c, total in models[ALL].values.items():
            parts = {s: models[s].values[c] for s in sites if c in models[s].values}
            if parts and sum(parts.values()) == total and (total or any(parts.values())):
                exact.append({f"{ALL}:{c}": -1, **{f"{s}:{c}": 1 for s in parts}})
    return Cells(values, frozenset(published), tuple(exact), tuple(near), members)


def merged(*parts: Cells) -> Cells:
    """Several models as one (their cells' names are apart: each is prefixed by its scope),
    field by field, whatever fields ``Cells`` has: a mapping keyed by cell is their union, a
    set of cells too, a tuple of equations their concatenation.

    >>> a = Cells({"x": 1}, frozenset("x"), ({"x": -1, "y": 1},))
    >>> m = merged(a, Cells({"y": 1}, frozenset(), ()))
    >>> sorted(m.values.items()), sorted(m.published), m.exact
    ([('x', 1), ('y', 1)], ['x'], ({'x': -1, 'y': 1},))
    """
    import dataclasses

    out: dict[str, Any] = {}
    for f in dataclasses.fields(Cells):
        got = [getattr(p, f.name) for p in parts]
        if isinstance(got[0], frozenset):
            out[f.name] = frozenset().union(*got)
        elif isinstance(got[0], tuple):
            out[f.name] = tuple(x for g in got for x in g)
        else:
            out[f.name] = {c: v for g in got for c, v in g.items()}
    return Cells(**out)


def renamed(cells: Cells, name: Callable[[str], str]) -> Cells:
    """``cells`` with every cell renamed by ``name``, field by field as ``merged`` reads them
    (a mapping's keys, a set's cells, each equation's cells; what a mapping holds is kept).

    >>> renamed(Cells({"x": 1}, frozenset("x"), ({"x": -1},)), "p/{}".format).exact
    ({'p/x': -1},)
    """
    import dataclasses

    out: dict[str, Any] = {}
    for f in dataclasses.fields(Cells):
        got = getattr(cells, f.name)
        if isinstance(got, frozenset):
            out[f.name] = frozenset(map(name, got))
        elif isinstance(got, tuple):
            out[f.name] = tuple({name(c): a for c, a in eq.items()} for eq in got)
        else:
            out[f.name] = {name(c): v for c, v in got.items()}
    return Cells(**out)


def plan(
    models: dict[str, Cells],
    *,
    k: int,
    alone: dict[str, dict[str, str]] | None = None,
    known: Known | None = None,
) -> dict[str, dict[str, str]]:
    """What each report (``all`` and its sites, and ``sites``, the sites page) hides, with
    why, when all are published together: ``model.protect`` over ``joint(models)``, split
    back by scope. ``alone``: what each hides protected by itself (``model.protect`` on its
    own model), the joint model's starting point: it then adds what the sums across reports
    call for (much faster than from nothing), and shows again only a count the other
    reports give away anyway (``model._reveal``). ``known``: what earlier runs of the archive
    published (``ledger.known``), joined as more scopes whose shown cells a reader knows and
    whose hidden ones stay hidden; the plan is protected again over them with a reader who
    takes "suppressed" as 1 or more, and over the run alone (what the earlier outputs give
    away stays a target there); last, a figure whose "<K" or "suppressed" (1 or more) would
    give an earlier hidden count away is withheld ("withheld", 0 or more: for every scope,
    zeros too, wherever the run prints it, and in every later run that prints it again;
    ``model.withhold``). It holds only ``models``' scopes.

    >>> from iop_metrics.disclosure.model import Cells
    >>> def one(n):
    ...     return Cells({"n": n}, frozenset({"n"}), ())
    >>> plan({"all": one(40), "a": one(35), "b": one(5)}, k=11)
    {'all': {}, 'a': {'n': 'complementary'}, 'b': {'n': 'small'}}
    """
    if k <= 1:
        return {s: {} for s in models}
    start = {f"{s}:{c}": why for s, own in (alone or {}).items() for c, why in own.items()}
    run = joint(models)
    if known is None:
        reasons = protect(run, k, forced=start)
    else:
        # the atoms made once for both plans over the ledger (``protect`` takes them as made)
        whole = merged(run, known.cells)
        same = _same(whole)
        # a figure an earlier output withheld stays withheld wherever this run prints it
        was = {same(c) for c, why in known.hidden.items() if why == WITHHELD}
        start |= {c: WITHHELD for c in sorted(run.published) if same(c) in was}
        cells = with_atoms(whole)
        reasons = protect(cells, k, forced={**start, **known.hidden}, fixed=known.fixed)
        # That plan's reader takes a hidden count of k or more as k or more ("suppressed"
        # says so, but for a small count relabelled): to it a count may be pinned whatever
        # this run hides (``model._lost``), and it is no target, while a reader who takes
        # "suppressed" as 1 or more (what the label says) learns it only from what this run
        # shows. Protected again with that reader, from that plan (the earlier hidden counts
        # still hidden: the plan may have shown them again, fixed by this run's outputs).
        forced = {**known.hidden, **reasons}
        reasons = protect(cells, k, forced=forced, fixed=known.fixed, labels=False)
        # A count the earlier outputs give away in the joint model (``model._lost``: pinned
        # whatever this run hides, by identities its records hold, some of which no reader
        # knows) is no target there, so nothing there keeps this run's outputs from giving it
        # away by themselves, by a sum any reader knows. Protected again over the run alone,
        # from that plan: hiding more only widens what either reader allows.
        reasons = protect(run, k, forced={c: r for c, r in reasons.items() if c in run.published})
        # What this run hides, "<K" or "suppressed", is 1 or more where zeros are printed: an
        # earlier hidden count that was free only while such a count might be 0 is pinned by
        # the mark. Those marks are withheld instead (0 or more), for every scope of the figure
        # and wherever it is printed (``model.withhold``)
        shown = known.fixed - set(known.hidden)
        targets = {
            c
            for c, v in cells.values.items()
            if 0 < v < k and c[0] != "@" and c not in run.values and c not in shown
        }
        kept = withhold(
            cells,
            k,
            {**known.hidden, **reasons},
            targets=targets,
            candidates=set(reasons),
            closure=_closures(run, same, set(models)),
        )
        reasons |= dict.fromkeys(sorted(kept), WITHHELD)
    out: dict[str, dict[str, str]] = {s: {} for s in models}
    for key, why in reasons.items():
        scope, _, cell = key.partition(":")
        if scope in out:
            out[scope][cell] = why
    return out


def _figure(cell: str, scopes: set[str]) -> str:
    """A cell's figure, whatever its scope: the report's cell without its scope, a sites-page
    cell with its site (or the program) in brackets as ``*``.

    >>> _figure("north:census.active_at_end", {"all", "north"})
    'census.active_at_end'
    >>> _figure("sites:completion.12m[north].n", {"all", "north"})
    'sites:completion.12m[*].n'
    """
    scope, _, rest = cell.partition(":")
    if scope != SITES:
        return rest
    head, _, tail = rest.partition("[")
    site, _, after = tail.partition("]")
    return f"{SITES}:{head}[*]{after}" if site in scopes or site == ALL else cell


def _same(cells: Cells) -> Callable[[str], str]:
    """Each cell -> the one that stands for its quantity: cells counting the same records
    (``members``) or declared equal (an equation of two cells), in this run or an earlier one."""
    by: dict[frozenset[str], list[str]] = {}
    for c, m in cells.members.items():
        if m:  # a count of no record is 0: no quantity of its own
            by.setdefault(frozenset(m), []).append(c)
    pairs = [eq for eq in cells.exact if len(eq) == 2 and sum(eq.values()) == 0]
    root = _joined(cells.values, [*by.values(), *pairs])
    return lambda c: root.get(c, c)


def _closures(
    run: Cells, same: Callable[[str], str], scopes: set[str]
) -> Callable[[set[str]], set[str]]:
    """The cells of this run that print what a seed of cells prints: the same figure in every
    scope (so that a withheld mark stands for zeros too) and the same quantity wherever it
    is (the parts of the cells that either joins, made once)."""
    groups: dict[str, list[str]] = {}
    for c in run.published:
        groups.setdefault(f"f:{_figure(c, scopes)}", []).append(c)
        groups.setdefault(f"q:{same(c)}", []).append(c)
    root = _joined(run.published, groups.values())
    return lambda seed: {c for c in run.published if root[c] in {root[s] for s in seed}}


def page_rows(share: dict[str, str]) -> dict[str, set[str]]:
    """The sites page's rows a plan hides: window -> sites (``all``: the program's row),
    a row hidden whole when any of its counts is.

    >>> page_rows({"completion.period[north].observed": "small"})
    {'completion.period': {'north'}}
    """
    out: dict[str, set[str]] = {}
    for cell in share:
        head, _, rest = cell.partition("[")
        out.setdefault(head, set()).add(rest.split("]", 1)[0])
    return out
