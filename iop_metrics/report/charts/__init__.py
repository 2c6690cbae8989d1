"""DataFrame -> altair Chart. No queries here; hidden (suppressed) values are missing and not drawn.

Charts are rendered to static SVG by vl-convert inside the kernel, so a report
needs no JavaScript and no network to show them. ``base`` holds what every chart shares
(width, colours, ``to_svg``, the marks of hidden slots); one module per report section draws
its charts (``attendance``, ``flow``, ``retention``,
``outcomes``, ``recovery``). Every name is re-exported
here, so ``from iop_metrics.report import charts; charts.pchart(...)`` reads as before.
"""

from __future__ import annotations

from .attendance import TOP_HOURS, bar_rate, hours_histogram, pchart
from .base import (
    BLUE,
    COUNT_TITLES,
    GREEN,
    GREY,
    NO_DATA,
    RED,
    SUPPRESSED,
    WIDTH,
    alt,
    hidden_marks,
    missing_label,
    pd,
    sparkline,
    to_svg,
    too_little,
    vlc,
)
from .flow import CENSUS_LINE, census_trend, flow_matrix
from .outcomes import (
    CHANGE_COLOURS,
    OUTCOME_TREND_COLOURS,
    band_shift,
    change_bars,
    outcome_trend,
)
from .recovery import (
    RECOVERY_TREND_COLOURS,
    WINDOW_COLOURS,
    domain_moves,
    follow_up_windows,
    recovery_trend,
)
from .retention import rate_bars, reasons_vs_reference, retention_curve

__all__ = [
    "BLUE",
    "CENSUS_LINE",
    "CHANGE_COLOURS",
    "COUNT_TITLES",
    "GREEN",
    "GREY",
    "NO_DATA",
    "OUTCOME_TREND_COLOURS",
    "RECOVERY_TREND_COLOURS",
    "RED",
    "SUPPRESSED",
    "TOP_HOURS",
    "WIDTH",
    "WINDOW_COLOURS",
    "alt",
    "band_shift",
    "bar_rate",
    "census_trend",
    "change_bars",
    "domain_moves",
    "flow_matrix",
    "follow_up_windows",
    "hidden_marks",
    "too_little",
    "hours_histogram",
    "missing_label",
    "outcome_trend",
    "pchart",
    "pd",
    "rate_bars",
    "reasons_vs_reference",
    "recovery_trend",
    "retention_curve",
    "sparkline",
    "to_svg",
    "vlc",
]
