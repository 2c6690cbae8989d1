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
    "Query": ".compute.query",
    "Scope": ".compute.query",
    "attendance": ".compute.attendance",
    "census": ".compute.census",
    "continuity": ".compute.transitions",
    "continuity_detail": ".compute.transitions",
    "check_period": ".compute.coverage",
    "data_end": ".compute.coverage",
    "discharges": ".disclosure.tables",
    "document": ".compute.metrics",
    "dosage": ".compute.attendance",
    "dosage_weeks": ".compute.attendance",
    "example_connection": ".ingest.sample",
    "inflow": ".compute.transitions",
    "inflow_detail": ".compute.transitions",
    "latest_complete_month": ".compute.query",
    "outcome_courses": ".compute.outcomes",
    "outcomes": ".compute.outcomes",
    "outcomes_detail": ".compute.outcomes",
    "noms": ".compute.recovery",
    "noms_detail": ".compute.recovery",
    "follow_up": ".compute.recovery",
    "follow_up_detail": ".compute.recovery",
    "rates": ".compute.metrics",
    "resolve_period": ".compute.query",
    "retention": ".compute.retention",
    "retention_cohort": ".compute.retention",
    "retention_curve": ".compute.retention",
    "slices": ".disclosure.tables",
    "transition_matrix": ".compute.transitions",
    "transitions": ".compute.transitions",
    "transitions_detail": ".compute.transitions",
    "wilson": ".compute.intervals",
    "connect": ".db",
    "InputError": ".errors",
    "Violation": ".errors",
    "load": ".ingest.load",
    "load_memory": ".ingest.load",
    "generate": ".ingest.sample",
    "Period": ".periods",
    "parse_period": ".periods",
    "run_date": ".periods",
    "suppress_frame": ".disclosure.tables",
    "monthly_series": ".disclosure.tables",
}

if TYPE_CHECKING:
    from .compute.attendance import attendance, dosage, dosage_weeks
    from .compute.census import census
    from .compute.comparison import case_mix_model, site_comparison
    from .compute.coverage import check_period, data_end
    from .compute.formats import compare
    from .compute.intervals import wilson
    from .compute.metrics import document, rates
    from .compute.outcomes import outcome_courses, outcomes, outcomes_detail
    from .compute.query import (
        Query,
        Scope,
        latest_complete_month,
        resolve_period,
    )
    from .compute.recovery import follow_up, follow_up_detail, noms, noms_detail
    from .compute.retention import retention, retention_cohort, retention_curve
    from .compute.transitions import (
        continuity,
        continuity_detail,
        inflow,
        inflow_detail,
        transition_matrix,
        transitions,
        transitions_detail,
    )
    from .db import connect
    from .disclosure.tables import discharges, monthly_series, slices, suppress_frame
    from .errors import InputError, Violation
    from .ingest.load import load, load_memory
    from .ingest.sample import example_connection, generate
    from .periods import Period, parse_period, run_date


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
    "check_period",
    "compare",
    "connect",
    "continuity",
    "continuity_detail",
    "data_end",
    "discharges",
    "document",
    "dosage",
    "dosage_weeks",
    "example_connection",
    "follow_up",
    "follow_up_detail",
    "generate",
    "inflow",
    "inflow_detail",
    "latest_complete_month",
    "load",
    "load_memory",
    "monthly_series",
    "noms",
    "noms_detail",
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
