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
