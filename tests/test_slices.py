"""Slices answer "which payer group drops out most?": disengaged discharges and 90-day retention
with intervals, by a client attribute; suppressed cells told apart from undefined ones (issue 20).

A hand-made month, March 2026 (as of 2026-03-31), level 2.1:
- medicaid: e1 (2025-11-01 .. 03-10, dropped_out, LOS 130), e2 (2026-01-01 .. 03-05, terminated,
  LOS 64), e3 (2025-12-01 .. 03-20, completed): 3 discharges, 1 completed, 2 disengaged; all three
  are retention trials (admitted 2025-04-01 .. 2026-03-31 and admit + 89 <= 03-31), e2 left
  disengaged within 90 days: 2 of 3 retained.
- commercial: e4 (2026-01-15, open: admit + 89 = 04-14, not yet a trial), e5 (2025-10-01 .. 03-15,
  completed): 1 discharge, completed, 0 disengaged; 1 trial, retained.
- self_pay: e6 (2026-03-02, open): one admission, no discharge, so every discharge rate is
  undefined (NaN), not hidden.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import client, episode, memory_db
from statsmodels.stats.proportion import proportion_confint

import iop_metrics as im

PAYERS = {"c1": "medicaid", "c2": "medicaid", "c3": "medicaid", "c4": "commercial"}
PAYERS |= {"c5": "commercial", "c6": "self_pay"}
EPISODES = [
    episode("e1", "c1", "2.1", "2025-11-01", "2026-03-10", "dropped_out"),
    episode("e2", "c2", "2.1", "2026-01-01", "2026-03-05", "terminated"),
    episode("e3", "c3", "2.1", "2025-12-01", "2026-03-20", "completed"),
    episode("e4", "c4", "2.1", "2026-01-15"),
    episode("e5", "c5", "2.1", "2025-10-01", "2026-03-15", "completed"),
    episode("e6", "c6", "2.1", "2026-03-02"),
]


@pytest.fixture()
def con():
    clients = [client(c, payer=p) for c, p in PAYERS.items()]
    episodes = [{k: v or None for k, v in e.items()} for e in EPISODES]  # "" is no date
    return memory_db({"clients": clients, "episodes": episodes, "sessions": []})


def _q():
    return im.Query.of(im.parse_period("2026-03"))


def test_slices_count_disengaged_discharges_and_90_day_retention_with_intervals(con):
    df = im.slices(con, _q(), by="payer").set_index("slice")
    med, com = df.loc["medicaid"], df.loc["commercial"]
    assert (med.discharges, med.completed, med.disengaged) == (3, 1, 2)
    assert (med.retention_trials, med.retained_90d) == (3, 2)
    assert med.disengaged_rate == pytest.approx(2 / 3) and med.retention_90d == pytest.approx(2 / 3)
    assert (com.discharges, com.disengaged, com.retention_trials, com.retained_90d) == (1, 0, 1, 1)
    assert (com.disengaged_rate, com.retention_90d) == (0.0, 1.0)
    low, high = proportion_confint(2, 3, alpha=0.05, method="wilson")  # an independent Wilson
    assert (med.disengaged_rate_ci_low, med.disengaged_rate_ci_high) == pytest.approx((low, high))
    assert (med.retention_90d_ci_low, med.retention_90d_ci_high) == pytest.approx((low, high))
    low, high = proportion_confint(0, 1, alpha=0.05, method="wilson")
    assert (com.disengaged_rate_ci_low, com.disengaged_rate_ci_high) == pytest.approx((low, high))
    self_pay = df.loc["self_pay"]
    assert (self_pay.admissions, self_pay.discharges, self_pay.retention_trials) == (1, 0, 0)
    assert pd.isna(self_pay.disengaged_rate) and pd.isna(self_pay.disengaged_rate_ci_low)


def test_discharges_by_payer_answers_which_group_drops_out_most(con):
    df = im.discharges(con, _q(), by="payer")
    assert list(df.columns[:4]) == ["slice", "discharges", "completed", "completion_rate"]
    worst = df.sort_values("disengaged_rate", ascending=False).iloc[0]
    assert (worst.slice, worst.disengaged, worst.discharges) == ("medicaid", 2, 3)
    whole = im.discharges(con, _q())  # without `by`: the program's discharges, as before
    assert int(whole.loc[0, "total"]) == 4


def test_suppressed_cells_are_named_and_told_from_undefined_ones(con):
    df = im.slices(con, _q(), by="payer", suppress=3).set_index("slice")  # hides 1 and 2
    assert str(df["admissions"].dtype) == "Int64" and str(df["disengaged"].dtype) == "Int64"
    med, com, self_pay = df.loc["medicaid"], df.loc["commercial"], df.loc["self_pay"]
    # one model (disclosure.tables.protect_frame): medicaid's 1 completed and 2 disengaged and
    # commercial's 1 discharge are hidden; the 4 discharges a reader may know from the report
    # would give commercial's back from medicaid's 3, and 3 + 1 = 4 pins both once hidden, so
    # the discharges column goes whole (its zero stays shown), and its rates with it
    assert pd.isna(med.completed) and pd.isna(med.disengaged) and pd.isna(med.discharges)
    assert pd.isna(com.discharges) and com.disengaged == 0  # a count of 0 is shown
    hidden = set(med.suppressed.split(", "))
    for c in ("discharges", "completed", "disengaged", "disengaged_rate", "disengaged_rate_ci_low"):
        assert c in hidden and pd.isna(med[c]), c
    assert "attendance_rate" not in hidden and pd.isna(med.attendance_rate)  # no session: undefined
    # self_pay had no discharge: its rates are undefined (NaN) and not named as hidden
    assert self_pay.suppressed == "admissions" and pd.isna(self_pay.admissions)
    assert self_pay.discharges == 0 and pd.isna(self_pay.completion_rate)
    assert im.slices(con, _q(), by="payer").columns[-1] != "suppressed"  # only when suppressing
