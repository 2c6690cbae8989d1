"""iop-metrics: outcomes analytics for addiction-treatment intensive outpatient programs.

The public API, re-exported. Everything takes a DuckDB connection (open the
loaded database read-only with ``connect``) or an engine (``compute.engine``; Spark
in ``compute.spark``) and a ``Query``: period, as-of date, scope and transitions window.
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so `import iop_metrics` stays light: computing the
# metrics document needs neither pandas nor the report stack.
_WHERE = {
    "compare": ".compute.formats",
    "case_mix_model": ".compute.comparison",
    "site_comparison": ".compute.comparison",
    "Query": ".compute.metrics",
    "Scope": ".compute.metrics",
    "attendance": ".compute.metrics",
    "census": ".compute.metrics",
    "continuity": ".compute.metrics",
    "continuity_detail": ".compute.metrics",
    "discharges": ".compute.metrics",
    "document": ".compute.metrics",
    "dosage": ".compute.metrics",
    "dosage_weeks": ".compute.metrics",
    "example_connection": ".compute.metrics",
    "inflow": ".compute.metrics",
    "inflow_detail": ".compute.metrics",
    "latest_complete_month": ".compute.metrics",
    "outcome_courses": ".compute.outcomes",
    "outcomes": ".compute.outcomes",
    "outcomes_detail": ".compute.outcomes",
    "rates": ".compute.metrics",
    "resolve_period": ".compute.metrics",
    "retention": ".compute.metrics",
    "retention_cohort": ".compute.metrics",
    "retention_curve": ".compute.metrics",
    "slices": ".compute.metrics",
    "transition_matrix": ".compute.metrics",
    "transitions": ".compute.metrics",
    "transitions_detail": ".compute.metrics",
    "wilson": ".compute.metrics",
    "connect": ".db",
    "InputError": ".errors",
    "Violation": ".errors",
    "load": ".ingest.load",
    "load_memory": ".ingest.load",
    "generate": ".ingest.sample",
    "Period": ".periods",
    "parse_period": ".periods",
    "run_date": ".periods",
    "suppress_frame": ".privacy",
    "monthly_series": ".report.data",
}

if TYPE_CHECKING:
    from .compute.comparison import case_mix_model, site_comparison
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
    from .compute.outcomes import outcome_courses, outcomes, outcomes_detail
    from .db import connect
    from .errors import InputError, Violation
    from .ingest.load import load, load_memory
    from .ingest.sample import generate
    from .periods import Period, parse_period, run_date
    from .privacy import suppress_frame
    from .report.data import monthly_series


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'iop_metrics' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__all__ = [
    "InputError",
    "Period",
    "Query",
    "Scope",
    "Violation",
    "attendance",
    "case_mix_model",
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
    "outcome_courses",
    "outcomes",
    "outcomes_detail",
    "parse_period",
    "rates",
    "resolve_period",
    "retention",
    "retention_cohort",
    "retention_curve",
    "run_date",
    "site_comparison",
    "slices",
    "suppress_frame",
    "transition_matrix",
    "transitions",
    "transitions_detail",
    "wilson",
]
