"""The Wilson score interval for a proportion (every headline rate and slice rate)."""

from __future__ import annotations

Z95 = 1.959963984540054


def wilson(x: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval for x successes out of n (``(None, None)`` when n is 0).

    >>> [round(v, 4) for v in wilson(8, 16)]
    [0.28, 0.72]
    """
    if not n:
        return None, None
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
