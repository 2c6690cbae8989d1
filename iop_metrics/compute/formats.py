"""The metrics document as JSON, a terminal table, or CSV (one figure a row)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def flatten(doc: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted.key, value) for every leaf of the document, in order.

    >>> list(flatten({"a": {"b": 1, "c": {"d": None}}}))
    [('a.b', 1), ('a.c.d', None)]
    """
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from flatten(v, key + ".")
        else:
            yield key, v


NEXT_LEVEL = "transitions.by_next_level."
BY_INSTRUMENT = "outcomes.by_instrument."


def key_path(key: str) -> list[str]:
    """A document key's path; level codes (``2.1``) under by_next_level keep their dots."""
    if key.startswith(NEXT_LEVEL):
        return ["transitions", "by_next_level", key[len(NEXT_LEVEL) :]]
    if key.startswith(BY_INSTRUMENT):
        code, _, figure = key[len(BY_INSTRUMENT) :].rpartition(".")
        return ["outcomes", "by_instrument", code, figure]
    return key.split(".")


def figure_at(doc: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of a metrics document (``census.admissions``)."""
    node: Any = doc
    for part in key_path(key):
        node = node[part]
    return node


def set_figure(doc: dict[str, Any], key: str, value: Any) -> None:
    """Set the value at a dotted key of a metrics document."""
    *path, last = key_path(key)
    node = doc
    for part in path:
        node = node[part]
    node[last] = value


RATE_KEYS = frozenset(
    {
        "attendance_rate",
        "no_show_rate",
        "share_meeting_threshold",
        "completion_rate",
        "day_30",
        "day_60",
        "day_90",
        "initiated_14d",
        "engaged_34d",
        "rate_7d",
        "rate_14d",
    }
)


def _show(key: str, v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, float):
        return f"{v:.1%}" if key.rsplit(".", 1)[-1] in RATE_KEYS else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def render_document(doc: dict[str, Any], fmt: str) -> str:
    """Render ``doc`` as ``json`` (exact, unrounded), ``table`` or ``csv``."""
    if fmt == "json":
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["figure", "value"])
        for k, v in flatten(doc):
            w.writerow(
                [k, "" if v is None else (";".join(map(str, v)) if isinstance(v, list) else v)]
            )
        return buf.getvalue()
    lines = []
    section = None
    for k, v in flatten(doc):
        head, _, rest = k.partition(".")
        if head != section:
            section = head
            lines.append(f"\n{head.upper()}")
        lines.append(f"  {rest:<42} {_show(k, v):>14}")
    return "\n".join(lines).lstrip("\n") + "\n"


def compare(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    """Two metrics documents side by side: figure, value in each, and the change (b - a).

    >>> compare({"census": {"admissions": 3}}, {"census": {"admissions": 5}})
                  figure  a  b  change
    0  census.admissions  3  5       2
    """
    import pandas as pd

    left, right = dict(flatten(a)), dict(flatten(b))
    rows = []
    for key, va in left.items():
        vb = right.get(key)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (va, vb))
        rows.append({"figure": key, "a": va, "b": vb, "change": vb - va if numeric else None})
    return pd.DataFrame(rows)


def render_sites(doc: dict[str, Any]) -> str:
    """The site comparison (``comparison.sites_document``) as a terminal table, one block a measure;
    a measure with no case-mix model (attendance) shows no adjusted rate.

    >>> site = {"site": "main", "n": 125, "observed": 53, "expected": 58.3, "ratio": 0.909,
    ...         "rate": 0.424, "adjusted_rate": 0.412, "limits": {"95": [0.371, 0.535]},
    ...         "reading": "as expected"}
    >>> doc = {"window": {"start": "2025-10-01", "end": "2026-09-30"}, "measures": {
    ...     "completion": {"model": {}, "network": {"n": 247, "rate": 0.453}, "sites": [site]}}}
    >>> print(render_sites(doc), end="")
    COMPLETION (2025-10-01 – 2026-09-30; program 45.3% of 247)
      site            n  observed  expected    O/E    rate  adjusted      95% limits  reading
      main          125        53      58.3   0.91   42.4%     41.2%   37.1% – 53.5%  as expected
    """
    window = doc["window"]
    lines = []
    head = f"  {'site':<10} {'n':>6} {'observed':>9} {'expected':>9} {'O/E':>6} {'rate':>7}"
    head += f" {'adjusted':>9} {'95% limits':>15}  reading"
    for measure, body in doc["measures"].items():
        net = body["network"]
        lines += [
            f"{measure.upper()} ({window['start']} – {window['end']}; program "
            f"{_pct(net.get('rate'))} of {_show('n', net.get('n'))})",
            head,
        ]
        for s in body["sites"]:
            lo, hi = (s.get("limits") or {}).get("95") or (None, None)
            limits = "—" if lo is None or hi is None else f"{lo:.1%} – {hi:.1%}"
            ratio = "—" if s.get("ratio") is None else f"{s['ratio']:.2f}"
            adjusted = _pct(s.get("adjusted_rate")) if body.get("model") is not None else "—"
            lines.append(
                f"  {str(s['site']):<10} {_show('n', s.get('n')):>6} "
                f"{_show('observed', s.get('observed')):>9} "
                f"{_show('expected', s.get('expected')):>9} {ratio:>6} "
                f"{_pct(s.get('rate')):>7} {adjusted:>9} {limits:>15}  {s.get('reading') or ''}"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _pct(v: Any) -> str:
    return "—" if v is None else f"{v:.1%}"
