"""The sample's PHQ-9/GAD-7 story lands in the research note's ranges
(shared/research/outcomes.md: NHS Talking Therapies reliable improvement 66-69% a year,
recovery about 50%, a few percent not at caseness at the start): every quarter of the sample's
span (2024-Q4 to 2026-Q4, which holds October only: the report's month) has a reliable
improvement rate over paired courses of 40-75%, 2026-Q3 of 60-70%, with recovery and the share
at caseness plausible beside it. Read from the package's metrics document over the loaded
sample.
"""

from __future__ import annotations

import pytest

from iop_metrics.compute.metrics import document
from iop_metrics.compute.query import Query

QUARTERS = (
    "2024-Q4",
    "2025-Q1",
    "2025-Q2",
    "2025-Q3",
    "2025-Q4",
    "2026-Q1",
    "2026-Q2",
    "2026-Q3",
    "2026-Q4",
)


@pytest.mark.parametrize("quarter", QUARTERS)
def test_every_quarter_tells_a_plausible_outcome_story(sample_con, quarter) -> None:
    o = document(sample_con, Query.of(quarter))["outcomes"]
    assert o["paired"] >= 10, o["paired"]
    assert 0.40 <= o["reliable_improvement_rate"] <= 0.75, o["reliable_improvement_rate"]
    assert 0.25 <= o["recovery_rate"] <= 0.60, o["recovery_rate"]
    assert o["recovery_rate"] < o["reliable_improvement_rate"]
    assert o["reliable_deterioration_rate"] <= 0.10
    assert 0.85 <= o["at_caseness"] / o["paired"] <= 1.0


def test_2026_q3_reliable_improvement_sits_inside_the_range_with_margin(sample_con) -> None:
    o = document(sample_con, Query.of("2026-Q3"))["outcomes"]
    assert (o["paired"], o["reliable_improvement"]) == (41, 27)
    assert 0.60 <= o["reliable_improvement_rate"] <= 0.70
