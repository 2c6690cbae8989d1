"""iop-metrics: outcomes analytics for addiction-treatment intensive outpatient programs.

The public API, re-exported. Everything takes a DuckDB connection (open the
loaded database read-only with ``connect``) and a ``Query``: period, as-of date,
scope and transitions window.
"""

__version__ = "0.1.0"

from .compute.formats import compare  # noqa: E402
from .compute.metrics import (  # noqa: E402
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
from .db import connect  # noqa: E402
from .errors import InputError, Violation  # noqa: E402
from .ingest.load import load, load_memory  # noqa: E402
from .ingest.sample import generate  # noqa: E402
from .periods import Period, parse_period  # noqa: E402
from .privacy import suppress_frame  # noqa: E402
from .report.data import monthly_series  # noqa: E402

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
