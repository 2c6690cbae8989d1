"""The precision an external copy prints a rate to, and what a rounded rate still tells.

A rate printed to 12 digits pins its fraction (0.947368421052674 is 18 of 19, whatever is
hidden around it). An external copy prints rates as a reader uses them: to 0.1 percentage
point in text and tables (``{:.1%}``), and ``DIGITS`` = 3 decimals in its metrics.json and in
its charts' data (their tooltips, labels and the positions drawn from them). A rounded rate
still tells something: given its denominator, the numerators it allows (``numerator_interval``),
which the suppression model can take as a reader's bounds on a hidden numerator. A
Kaplan–Meier estimate is rounded coarser (``KM_DIGITS``: to the whole percent), and printed
to the same precision (``KM_PLACES``: "71%"). The retention cohort, the group those estimates
describe, is printed to the nearest ten (``COARSE``): "about 250 admissions".
"""

from __future__ import annotations

import math
import re
from typing import Any

DIGITS = 3  # decimals of a rate (0.1 percentage point) in an external copy's data


def rounded(value: Any, digits: int = DIGITS) -> Any:
    """``value`` with every float in it (nested in dicts and lists) rounded to ``digits``
    decimals; integers, strings, None and NaN as they are.

    >>> rounded({"rate": 0.947368421052674, "n": 19, "parts": [0.5, None, "x"]})
    {'rate': 0.947, 'n': 19, 'parts': [0.5, None, 'x']}
    """
    if isinstance(value, float):
        return value if math.isnan(value) or math.isinf(value) else round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(rounded(v, digits) for v in value)
    return value


def drawn(value: Any, digits: int = DIGITS) -> Any:
    """``rounded`` for a chart's data, which its labels may print coarser (a curve's "65%"):
    a float that would round to a last digit of 5 (a half-way point of every coarser
    rounding) takes the neighbour on its own side instead (0.6545 gives 0.654, not 0.655,
    whose "66%" would be wrong), so any coarser print of the drawn value is the exact value's.
    A drawn value ending in 4 or 6 may so stand for one more unit towards the 5
    (``numerator_interval(..., drawn=True)``).

    >>> drawn({"r": [0.654515, 0.6556, 0.655, 0.5, 12]})
    {'r': [0.654, 0.656, 0.655, 0.5, 12]}
    """
    if isinstance(value, float) and not (math.isnan(value) or math.isinf(value)):
        out = round(value, digits)
        unit = 10.0**-digits
        if round(out / unit) % 10 == 5 and out != value:
            out = round(out + (unit if value > out else -unit), digits)
        return out
    if isinstance(value, dict):
        return {k: drawn(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(drawn(v, digits) for v in value)
    return value


def numerator_interval(
    rate: float, den: int, *, digits: int = DIGITS, drawn: bool = False
) -> tuple[int, int] | None:
    """The whole numerators ``n`` (0..den) whose ``n / den`` rounds to ``rate`` at ``digits``
    decimals (half a unit either side, ends included): what a reader who knows the
    denominator learns of a hidden numerator from a printed rate; None when no numerator
    does (the rate was not built on that denominator). A numerator is pinned when the two
    ends meet. ``drawn``: the value is a chart's (``drawn``), one more unit wide towards 5.

    >>> numerator_interval(0.925, 40)  # 37 of 40, printed 0.925: pinned
    (37, 37)
    >>> numerator_interval(0.925, 4000)  # 3,698..3,702 of 4,000 (0.9245..0.9255)
    (3698, 3702)
    >>> numerator_interval(0.9, 40, digits=1)  # 90%: 34..38 of 40 (0.85..0.95)
    (34, 38)
    >>> numerator_interval(0.654, 1000, drawn=True)  # drawn 0.654: 0.6535..0.6555
    (654, 655)
    """
    unit = 10.0**-digits
    below = above = 0.5 * unit
    last = round(rate / unit) % 10
    if drawn and last in (4, 6):  # a chart's value steps off a 5 (``drawn``)
        below, above = (below, above + unit) if last == 4 else (below + unit, above)
    lo = max(0, math.ceil((rate - below) * den - 1e-9))
    hi = min(den, math.floor((rate + above) * den + 1e-9))
    return (lo, hi) if lo <= hi else None


KM_DIGITS = 2  # a Kaplan–Meier estimate in an external copy: to the whole percent


def percent_places(digits: int) -> int:
    """The decimals of a percent that prints a rate rounded to ``digits`` decimals with every
    digit it has and none it has not (``"{:.{}%}".format(rate, places)``): a rate to the whole
    percent (2) prints "71%", not "71.0%", which would claim a tenth of a point it does not
    have; a rate to 0.1 point (3) prints "71.4%".

    >>> percent_places(KM_DIGITS), "{:.{}%}".format(0.71, percent_places(2)), percent_places(3)
    (0, '71%', 1)
    """
    return max(digits - 2, 0)


KM_PLACES = percent_places(KM_DIGITS)  # how an external copy prints its Kaplan–Meier figures


def km_events_pinned(
    before: float, after: float, rows: list[tuple[int, int]], *, digits: int = KM_DIGITS
) -> bool:
    """Whether two Kaplan–Meier estimates printed to ``digits`` decimals (``before``, then
    ``after``, exact) pin the disengagements between them, for a reader who knows everything
    else, even how many were at risk each day (``rows``: (at risk, events) of the days
    between): each event multiplies the estimate by (1 - 1/at risk), so one more (where the
    most were at risk: the least change) or one fewer (where the most were at risk of the
    days that had one) is allowed when its ratio stays within what the two printed values
    allow. None between is no count to protect (False).

    >>> rows = [(150, 0)] * 22 + [(148, 1)] * 8  # 8 disengagements among ~150, 30 days
    >>> after = 0.71 * (1 - 1 / 148) ** 8
    >>> km_events_pinned(0.71, after, rows), km_events_pinned(0.71, after, rows, digits=6)
    (False, True)
    """
    events = sum(e for _, e in rows)
    if not events:
        return False
    half = 0.5 * 10.0**-digits
    a, b = round(before, digits), round(after, digits)
    low, high = (b - half) / (a + half), (b + half) / max(a - half, half)
    ratio = after / before
    most = max(n for n, _ in rows)
    hit = max(n for n, e in rows if e)
    more = ratio * (1 - 1 / most) >= low
    fewer = hit > 1 and ratio / (1 - 1 / hit) <= high
    return not (more or fewer)


# The retention cohort, the group the 30/60/90-day estimates describe (and the trends' 90-day
# n of each month), as an external copy prints it: to the nearest ``COARSE_BASE`` (halves up),
# "about 250 admissions". Two consecutive monthly reports' 12-month cohorts differ by one
# month's admissions coming in and one going out, so printing both exactly gives away a month
# hidden in either; printed to the nearest ten, their difference leaves a reader some ten
# values. The suppression model takes such a cell as known only within its interval
# (``coarse_interval``), never exactly, and may still hide it; a reader is told which cells
# are so printed (the ``rounded`` of an external metrics.json's ``suppression`` block).
COARSE = re.compile(r"(.+:)?(retention\.cohort_admissions|monthly\[[^\]]+\]\.cohort)")
COARSE_BASE = 10


def coarse(cell: str) -> bool:
    """True for a count an external copy prints to the nearest ``COARSE_BASE`` (``COARSE``),
    by its name in a document, a published frame or a run's joint model.

    >>> coarse("retention.cohort_admissions"), coarse("2026-09/north:monthly[2026-09].cohort")
    (True, True)
    >>> coarse("census.admissions"), coarse("retention.cohort_admissions_x")
    (False, False)
    """
    return COARSE.fullmatch(cell) is not None


def coarsened(n: int, base: int = COARSE_BASE) -> int:
    """A count as an external copy prints a ``coarse`` one: to the nearest ``base``, halves up,
    and a count above 0 never below ``base`` (a K of 2 to 4 shows counts under 5: "about 0"
    would tell a reader there were none).

    >>> [coarsened(n) for n in (0, 1, 4, 5, 11, 14, 15, 245, 252, 254, 255)]
    [0, 10, 10, 10, 10, 10, 20, 250, 250, 250, 260]
    """
    return max(base * ((n + base // 2) // base), base if n > 0 else 0)


def coarse_interval(printed: int, k: int, base: int = COARSE_BASE) -> tuple[int, int]:
    """The counts a reader allows for a ``coarse`` cell printed ``printed`` under threshold
    ``k``: those ``coarsened`` to it, and none of 1..k-1 (a small count is never printed).

    >>> coarse_interval(250, 11), coarse_interval(10, 11), coarse_interval(20, 11)
    ((245, 254), (11, 14), (15, 24))
    >>> coarse_interval(10, 3), coarse_interval(10, 5), coarse_interval(20, 3)
    ((3, 14), (5, 14), (15, 24))
    >>> all(coarse_interval(coarsened(n), k)[0] <= n <= coarse_interval(coarsened(n), k)[1]
    ...     for k in range(2, 12) for n in range(k, 400))
    True
    >>> lo, hi = coarse_interval(10, 3)  # exactly the counts of 3 or more printed "about 10"
    >>> [n for n in range(3, 40) if lo <= n <= hi] == [n for n in range(3, 40) if coarsened(n) < 20]
    True
    """
    least = 1 if printed == base else printed - base // 2  # ``base`` stands for 1 to 14 too
    return max(least, k), printed + (base - 1) - base // 2
