"""The run's archive index from a Jinja2 template (autoescaped), in the report's layout.

Its template extends the report's ``page.html.j2`` (as the sites page does) and uses the
report's macros (``count``, ``rate``), which write the same spans as the report
(``<span class="n">``; suppressed: ``<span class="n sup">&lt;11``), so one test
can read every figure on any page.

>>> page = render_page(
...     "index.html.j2", title="<IOP>", css="", folder="r", periods=[], attempts=[]
... )
>>> "<h1>&lt;IOP&gt;</h1>" in page, "No report yet" in page
(True, True)
"""

from __future__ import annotations

from typing import Any

from ..report.markup import css, environment


def report_css() -> str:
    return css()


def render_page(name: str, **context: Any) -> str:
    """Render template ``name`` with ``context``; chart SVG must be passed as ``Markup``."""
    return str(environment("iop_metrics.run").get_template(name).render(**context))
