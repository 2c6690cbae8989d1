"""The run's HTML pages from Jinja2 templates (autoescaped), styled by the report's CSS.

Counts go through the ``count`` filter and rates through ``pct``, which write the same
spans as the report (``<span class="n">``; suppressed: ``<span class="n sup">&lt;11``), so
one test can read every figure on any page.

>>> page = render_page("index.html.j2", title="<IOP>", css="", folder="r", periods=[])
>>> "<h1>&lt;IOP&gt;</h1>" in page, "No report yet" in page
(True, True)
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

from markupsafe import Markup


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def count(v: Any, k: int = 0) -> Markup:
    """A count, or ``<K`` when suppressed (missing under suppression)."""
    if _missing(v):
        return Markup(f'<span class="n sup">&lt;{k}</span>' if k else '<span class="n">—</span>')
    return Markup(f'<span class="n">{int(v):,}</span>')


def pct(v: Any, k: int = 0) -> Markup:
    if _missing(v):
        return Markup('<span class="r sup">suppressed</span>' if k else '<span class="r">—</span>')
    return Markup(f'<span class="r">{float(v):.1%}</span>')


def report_css() -> str:
    return resources.files("iop_metrics.report").joinpath("templates", "report.css").read_text()


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("iop_metrics.run", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = count
    env.filters["pct"] = pct
    return env


def render_page(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``; chart SVG must be passed as ``Markup``."""
    return str(_env().get_template(name).render(**context))
