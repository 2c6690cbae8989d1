"""The publication ledger: what each external output of a run published, and what the next
runs of the same archive know of it (issue 30, item 3: GaussSuppression's incremental time
suppression, at the level of a run's cells and documents).

**Record.** At the end of a run, each external output it wrote (a report's scope, or the sites
page) gets ``<out>/<period>/.ledger/<output>.json``: every count its model publishes, by name,
with the value a reader sees or, for a hidden count, only its mark ("<K" or "suppressed"), and
what recomputes it (period, as-of date, levels, K, the transitions window, the data snapshot
of load_log and the model's signature). No identifier, no hidden value: the file sits beside
the external outputs and says no more than they do. A count printed to the nearest ten (the
retention cohort, ``precision.COARSE``) is written as printed and listed in ``rounded``; an
entry without that list (written before) printed it exactly, and it is read back so.

**Use.** A later run (``history``) reads the entries of the periods ending within 12 months of
its own (``HISTORY_MONTHS``; its own period's are replaced, not read) written under the same
K, levels and window, recomputes each earlier output on its own data with the functions the
run uses (as of the earlier as-of date: the figures are the same when the past did not
change), and adds them to the run's joint model as more scopes (``2026-09/all:cell``): a count
they showed is known to a reader (``model.protect``'s ``fixed``: never hidden now, never chosen
to protect another), a count they hid stays hidden with its mark (forced, still protected).
The run then hides what it must so that no earlier or current small count can be worked out
from everything published so far, wherever the model's equations tie the documents.

**A changed past.** A recomputed count that an earlier output showed with another value (the
data was reloaded with changed records) is named (``Change``): readers keep the published
figure, so the ledger's value stays a known cell (``<cell>@ledger``), today's figure is
unknown, and their difference (the records that changed) is one more count to protect: the
run hides what would pin today's figure when the difference is 1..K-1. A hidden count whose
"<K" no longer fits today's figure is named too (by name only).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .linked import SITES, joint, merged, renamed
from .model import COMPLEMENTARY, SMALL, WITHHELD, Cells
from .precision import coarse, coarsened

FORMAT = 1
FOLDER = ".ledger"  # in a period's folder: not listed by the archive index
HISTORY_MONTHS = 12
# The data-quality section's counts of the load itself (rows read, loaded, set aside,
# imported): another load's are other figures, not the past changed. Compared only when the
# earlier output was published from the same data snapshot; else left unknown.
LOAD = re.compile(r"quality\[(loaded|rejected|imported)>")
OLD = "@ledger"  # an earlier shown count as published, when today's figure differs
DIFF = "@changed"  # today's figure minus the published one, in absolute value


def file_name(output: str) -> str:
    """The ledger file of an output: ``sites.json`` for the sites page, ``report-<scope>.json``
    for a report (so no site code can take the sites page's name).

    >>> file_name("sites"), file_name("north")
    ('sites.json', 'report-north.json')
    """
    return "sites.json" if output == SITES else f"report-{output}.json"


def signature(cells: Cells) -> str:
    """The model's shape: its published cells' names and its equations' cells and
    coefficients (no value). Two runs whose signatures differ built the output's model
    differently (a new version): the ledger's cells are then matched by name only."""
    h = hashlib.sha256()
    for c in sorted(cells.published):
        h.update(f"{c}\n".encode())
    for eq in sorted(",".join(f"{c}*{a}" for c, a in sorted(e.items())) for e in cells.exact):
        h.update(f"={eq}\n".encode())
    return h.hexdigest()


def entry(
    output: str,
    cells: Cells,
    hidden: Mapping[str, str],
    *,
    query: Mapping[str, Any],
    k: int,
    snapshot: str | None,
) -> dict[str, Any]:
    """The ledger entry of one external output: ``query`` holds ``period``, ``as_of``,
    ``levels`` and ``window_days``; each published cell maps to its value, or to its mark when
    ``hidden`` names it (no hidden value is written).

    >>> c = Cells({"t": 20, "a": 3, "b": 17, "~x": 1}, frozenset("tab"), ())
    >>> q = {"period": "2026-09", "as_of": "2026-09-30", "levels": ["2.1"], "window_days": 14}
    >>> e = entry("all", c, {"a": "small", "b": "complementary"}, query=q, k=11, snapshot="s")
    >>> e["cells"]
    {'a': '<11', 'b': 'suppressed', 't': 20}
    >>> r = "retention.cohort_admissions"
    >>> c = Cells({r: 252}, frozenset({r}), ())
    >>> entry("all", c, {}, query=q, k=11, snapshot="s")["cells"]  # as printed: to the ten
    {'retention.cohort_admissions': 250}
    """
    from .suppress import mark

    shown = {
        c: mark(hidden[c], k) if c in hidden else printed(c, cells.values[c])
        for c in cells.published
    }
    return {
        "format": FORMAT,
        "output": output,
        **{key: query[key] for key in ("period", "as_of", "levels", "window_days")},
        "k": k,
        "snapshot": snapshot,
        "model": signature(cells),
        "cells": dict(sorted(shown.items())),
        # the counts printed to the nearest ten (``precision.COARSE``): an entry written before
        # they were (no such key) printed them exactly, and a reader knows them so
        "rounded": sorted(c for c, v in shown.items() if coarse(c) and isinstance(v, int)),
    }


def printed(cell: str, value: int) -> int:
    """A shown count as an external copy prints it: a ``precision.coarse`` one to the nearest
    ten, every other as it is."""
    return coarsened(value) if coarse(cell) else value


def hidden_of(
    output: str,
    cells: Cells,
    share: Mapping[str, str],
    k: int,
    rendered: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What an output hid of its model's cells, with why: its share of the run's plan, and
    what it hid besides as written: a report's ``suppression.hidden`` (``rendered``), the
    sites page's whole rows (a row is hidden whole when any of its counts is: its other
    count reads "<K" when 1..K-1, else "suppressed"). So no count the output hid is written
    in the ledger with its value.

    >>> v = {"m.12m[a].n": 40, "m.12m[a].observed": 3, "m.12m[b].n": 50}
    >>> c = Cells(v, frozenset(v), ())
    >>> hidden_of("sites", c, {"m.12m[a].observed": "small"}, 11)
    {'m.12m[a].n': 'complementary', 'm.12m[a].observed': 'small'}
    """
    from .linked import page_rows

    out = dict(share)
    if output == SITES:
        rows = page_rows(out)
        for c in cells.published:
            head, _, rest = c.partition("[")
            if rest.split("]", 1)[0] in rows.get(head, ()) and c not in out:
                out[c] = SMALL if 0 < cells.values[c] < k else COMPLEMENTARY
    for c, why in (rendered or {}).items():
        if c in cells.published:
            out.setdefault(c, why)
    return dict(sorted(out.items()))


def write(out: Path, entry: dict[str, Any]) -> Path:
    """Write an entry to ``<out>/<period>/.ledger/<output>.json`` atomically (whole, or the
    earlier file as it was; ``errors.WriteError`` naming the path when the disk is full)."""
    from ..errors import WriteError
    from ..scratch import write_atomically

    path = out / entry["period"] / FOLDER / file_name(entry["output"])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError.of(
            exc, path.parent, writing="the ledger's folder", needed=0, kept="nothing was written"
        ) from None
    write_atomically(path, json.dumps(entry, indent=1, sort_keys=True) + "\n")
    return path


@dataclass(frozen=True)
class Earlier:
    """The ledger entries a run reads (``read``) and those it leaves aside, with why."""

    entries: tuple[dict[str, Any], ...]
    skipped: tuple[str, ...] = ()


def _months_back(day: dt.date, months: int) -> dt.date:
    i = day.year * 12 + day.month - 1 - months
    return dt.date(i // 12, i % 12 + 1, 1)


def read(
    out: Path,
    period: Any,
    *,
    k: int,
    levels: Iterable[str] | None,
    window_days: int,
    months: int = HISTORY_MONTHS,
) -> Earlier:
    """The entries of the archive ``out`` a run of ``period`` protects against: those of the
    other periods ending from the first day ``months`` months before ``period`` begins to
    ``months`` months after it ends (12 earlier months for a monthly run; a re-run of the past
    reads the later ones too), written with the same K, levels and window (another entry is
    skipped, and said: a "<5" is not a "<11"). An unreadable entry is skipped and said."""
    from ..periods import parse_period

    lo, hi = _months_back(period.start, months), _months_back(period.end, -months - 1)
    want = {"k": k, "levels": None if levels is None else list(levels), "window_days": window_days}
    found: list[dict[str, Any]] = []
    skipped: list[str] = []
    for path in sorted(out.glob(f"*/{FOLDER}/*.json")):
        label = path.parent.parent.name
        if label == period.label:
            continue
        try:
            other = parse_period(label)
        except Exception:  # noqa: BLE001 - a folder that is no period is no run's
            continue
        if not lo <= other.end < hi:
            continue
        where = f"{label}/{path.name}"
        try:
            e = json.loads(path.read_text(encoding="utf-8"))
            assert e["format"] == FORMAT and e["period"] == label and isinstance(e["cells"], dict)
        except (OSError, ValueError, KeyError, TypeError, AssertionError):
            skipped.append(f"{where}: unreadable")
            continue
        odd = [
            f"{key} {e.get(key)!r} (this run: {v!r})" for key, v in want.items() if e.get(key) != v
        ]
        if odd:
            skipped.append(f"{where}: another {', '.join(odd)}")
            continue
        found.append(e)
    return Earlier(tuple(found), tuple(skipped))


def scope_of(e: Mapping[str, Any]) -> str:
    """The name of an earlier output as a scope of the joint model: ``2026-09/all``."""
    return f"{e['period']}/{e['output']}"


@dataclass(frozen=True)
class Change:
    """What an earlier output published that today's data no longer gives: ``shown``, the
    counts it showed whose figure differs now; ``hidden``, the ones it showed "<K" that are no
    longer 1..K-1; ``missing``, the ones today's model no longer has (another version)."""

    output: str
    shown: tuple[str, ...] = ()
    hidden: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def sentence(self) -> str:
        parts = []
        if self.shown:
            parts.append(f"{len(self.shown)} count(s) it showed differ now ({_few(self.shown)})")
        if self.hidden:
            parts.append(f"{len(self.hidden)} it showed as small are not now ({_few(self.hidden)})")
        if self.missing:
            parts.append(f"{len(self.missing)} are not in today's model ({_few(self.missing)})")
        return f"{self.output}: " + "; ".join(parts)


def _few(cells: tuple[str, ...]) -> str:
    return ", ".join(cells[:5]) + (f" and {len(cells) - 5} more" if len(cells) > 5 else "")


@dataclass(frozen=True)
class Known:
    """What readers hold from earlier outputs, as cells of a run's joint model: ``cells`` (the
    earlier documents, named ``<period>/<scope>:<cell>``, with their equations), ``fixed``
    (every earlier published cell: ``model.protect``'s), ``hidden`` (the earlier hidden ones,
    with the reason their mark gives: forced) and the ``changes`` of the past."""

    cells: Cells
    fixed: frozenset[str]
    hidden: dict[str, str]
    changes: tuple[Change, ...] = ()
    outputs: tuple[str, ...] = field(default=())


def known(
    entries: Iterable[Mapping[str, Any]],
    recomputed: Callable[[Mapping[str, Any]], Cells],
    k: int,
    snapshot: str | None = None,
) -> Known:
    """The earlier outputs of ``entries`` as known cells: ``recomputed(entry)`` gives each
    output's model on today's data. An earlier period's outputs are joined as its run joined
    them (``linked.joint``: its program is the sum of its sites). ``snapshot``: today's data
    snapshot (``LOAD`` counts are compared only within one)."""
    by_period: dict[str, dict[str, tuple[Mapping[str, Any], Cells]]] = {}
    for e in entries:
        by_period.setdefault(e["period"], {})[e["output"]] = (e, recomputed(e))
    parts: list[Cells] = []
    fixed: set[str] = set()
    hidden: dict[str, str] = {}
    changes: list[Change] = []
    for label, outputs in sorted(by_period.items()):
        j = joint({o: cells for o, (_, cells) in outputs.items()})
        mine = renamed(j, f"{label}/{{}}".format)
        values: dict[str, int] = {}
        published: set[str] = set()
        exact: list[dict[str, int]] = []
        for o, (e, _) in sorted(outputs.items()):
            into = (values, published, exact, fixed, hidden)
            change = _settle(e, o, j, f"{label}/{{}}".format, k, into, snapshot)
            if change is not None:
                changes.append(change)
        # the period's model, published as its ledger says, and the cells of a changed past
        parts += [
            replace(mine, published=frozenset()),
            Cells(values, frozenset(published), tuple(exact)),
        ]
    cells = merged(*parts) if parts else Cells({}, frozenset(), ())
    names = tuple(
        scope_of(e) for p in sorted(by_period) for _, (e, _) in sorted(by_period[p].items())
    )
    return Known(cells, frozenset(fixed), hidden, tuple(changes), names)


def _settle(
    e: Mapping[str, Any],
    output: str,
    j: Cells,
    named: Callable[[str], str],
    k: int,
    into: tuple[dict[str, int], set[str], list[dict[str, int]], set[str], dict[str, str]],
    snapshot: str | None = None,
) -> Change | None:
    """One earlier output's ledger against its recomputed cells (``j``, its period's joint
    model): each cell it showed becomes known (or, changed, the published figure does and the
    difference is protected), each it hid stays hidden with its mark's reason."""
    values, published, exact, fixed, hidden = into
    shown, small, missing = [], [], []
    rounded = set(e.get("rounded", ()))
    for cell, was in e["cells"].items():
        name = f"{output}:{cell}"
        if name not in j.published:
            missing.append(cell)
            continue
        if LOAD.match(cell) and e.get("snapshot") != snapshot:
            continue  # another load's count: unknown in today's model
        n, now = named(name), j.values[name]
        published.add(n)
        fixed.add(n)
        if isinstance(was, str):  # hidden: its mark is out, the count stays hidden
            labelled = was == f"<{k}"
            if labelled and not 0 < now < k:
                small.append(cell)
            hidden[n] = (
                WITHHELD
                if was == WITHHELD
                else SMALL
                if labelled and 0 < now < k
                else COMPLEMENTARY
            )
        elif cell in rounded:
            if int(was) != printed(cell, now):
                # printed to the ten: a reader's interval is the earlier figure's, not today's
                # (nothing pins the records that changed); today's figure is unknown
                shown.append(cell)
                published.discard(n)
                fixed.discard(n)
        elif coarse(cell) and int(was) == now:
            # printed exactly by an earlier version: known so, beside the ten the model
            # takes a count of that name for
            old = f"{n}{OLD}"
            values[old] = now
            published.add(old)
            fixed.add(old)
            exact.append({n: 1, old: -1})
        elif int(was) != now:
            shown.append(cell)
            published.discard(n)
            fixed.discard(n)
            old, diff = f"{n}{OLD}", f"~{n}{DIFF}"
            sign = 1 if now > int(was) else -1
            values |= {old: int(was), diff: abs(now - int(was))}
            published.add(old)
            fixed.add(old)
            exact.append({n: sign, old: -sign, diff: -1})
    if not (shown or small or missing):
        return None
    return Change(scope_of(e), tuple(shown), tuple(small), tuple(missing))
