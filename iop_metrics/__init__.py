"""iop-metrics: outcomes analytics for addiction-treatment intensive outpatient programs.

The public API, re-exported. Everything takes a DuckDB connection (open the
loaded database read-only with ``connect``) and a ``Query``: period, as-of date,
scope and transitions window.

Names are imported on first use (module ``__getattr__``), so ``import iop_metrics``
and the command line stay fast and do not load pandas or altair until a name that
needs them is used.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    "compare": ".compute.formats",
    **dict.fromkeys(
        (
            "Query",
            "Scope",
            "attendance",
            "census",
            "continuity",
            "continuity_detail",
            "discharges",
            "document",
            "dosage",
            "dosage_weeks",
            "example_connection",
            "inflow",
            "inflow_detail",
            "latest_complete_month",
            "outcomes",
            "outcomes_detail",
            "rates",
            "resolve_period",
            "retention",
            "retention_cohort",
            "retention_curve",
            "slices",
            "transition_matrix",
            "transitions",
            "transitions_detail",
            "wilson",
        ),
        ".compute.metrics",
    ),
    "connect": ".db",
    "InputError": ".errors",
    "Violation": ".errors",
    "load": ".ingest.load",
    "load_memory": ".ingest.load",
    "generate": ".ingest.sample",
    "Period": ".periods",
    "parse_period": ".periods",
    "suppress_frame": ".privacy",
    "monthly_series": ".report.data",
}

if TYPE_CHECKING:  # what the names are, for type checkers and editors
    from .compute.formats import compare
    from .compute.metrics import (
        Query,
        Scope,
        attendance,
        census,
        continuity,
        continuity_detail,
        discharges,
        document,
        dosage,
        dosage_weeks,
        example_connection,
        inflow,
        inflow_detail,
        latest_complete_month,
        outcomes,
        outcomes_detail,
        rates,
        resolve_period,
        retention,
        retention_cohort,
        retention_curve,
        slices,
        transition_matrix,
        transitions,
        transitions_detail,
        wilson,
    )
    from .db import connect
    from .errors import InputError, Violation
    from .ingest.load import load, load_memory
    from .ingest.sample import generate
    from .periods import Period, parse_period
    from .privacy import suppress_frame
    from .report.data import monthly_series


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and cache the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "InputError",
    "Period",
    "Query",
    "Scope",
    "Violation",
    "attendance",
    "census",
    "compare",
    "connect",
    "continuity",
    "continuity_detail",
    "discharges",
    "document",
    "dosage",
    "dosage_weeks",
    "example_connection",
    "generate",
    "inflow",
    "inflow_detail",
    "latest_complete_month",
    "load",
    "load_memory",
    "monthly_series",
    "outcomes",
    "outcomes_detail",
    "parse_period",
    "rates",
    "resolve_period",
    "retention",
    "retention_cohort",
    "retention_curve",
    "slices",
    "suppress_frame",
    "transition_matrix",
    "transitions",
    "transitions_detail",
    "wilson",
]
