"""The report's markup: Jinja2 templates in ``templates/``, autoescaped, filled from plain data.

Python here only computes values (numbers, words, chart SVG); every tag is written by a
template. Chart SVG made by vl-convert is passed as ``Markup``; everything else is escaped,
so a site or track name with markup in it reaches the page as text. Undefined names are
errors.

>>> page = render("definitions.html.j2", common="a < b & c", entries=[], formal="")
>>> "a &lt; b &amp; c" in page, "1,234" in render("macros.html.j2", "count", 1234)
(True, True)
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

from markupsafe import Markup

TEMPLATES = "templates"
PAPERS = ("letter", "a4")  # the PDF's page sizes (CSS @page names); US programs print on Letter


def css() -> str:
    """The report's stylesheet (screen and print), shared by every page."""
    return resources.files("iop_metrics.report").joinpath(TEMPLATES, "report.css").read_text()


def environment(*packages: str) -> Any:
    """A Jinja2 environment over the report's templates and those of ``packages`` (first wins)."""
    return _environment(tuple(packages))


@cache
def _environment(packages: tuple[str, ...]) -> Any:
    import jinja2

    loaders = [jinja2.PackageLoader(p, TEMPLATES) for p in (*packages, "iop_metrics.report")]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.tests["missing"] = missing
    env.tests["hidden"] = hidden
    return env


class Hidden(str):
    """A figure hidden under suppression, standing for it on a page: its text is the mark a
    reader sees ("<11" for a small count, "suppressed" for one hidden to protect another)."""

    __slots__ = ()


def missing(v: Any) -> bool:
    """No figure: None, NaN or pandas' NA (undefined), or a ``Hidden`` one."""
    if v is None or isinstance(v, Hidden) or (isinstance(v, float) and math.isnan(v)):
        return True
    return type(v).__name__ == "NAType"


def hidden(v: Any) -> bool:
    """A figure hidden under suppression that carries its own mark (``Hidden``)."""
    return isinstance(v, Hidden)


def render(name: str, macro: str | None = None, /, *args: Any, **context: Any) -> str:
    """Template ``name`` filled with ``context``, or its ``macro`` called with ``args``."""
    template = environment().get_template(name)
    if macro is None:
        return template.render(**context)
    return str(getattr(template.make_module(context), macro)(*args))


def svg(text: str) -> Markup:
    """Chart SVG from vl-convert: trusted markup, inserted as is."""
    return Markup(text)


def trend_point(r: dict[Any, Any], label: str, rate: str, num: str, den: str) -> dict[str, Any]:
    """One month's point of a 12-month trend of rates as a long row (month, measure, rate,
    numerator, denominator), the counts left out where the rate is missing (hidden or over
    none): what the outcome and the recovery trend charts draw."""
    shown = not missing(r[rate])
    return {
        "month": r["month"],
        "measure": label,
        "rate": r[rate] if shown else None,
        "numerator": r[num] if shown else None,
        "denominator": r[den] if shown else None,
    }
