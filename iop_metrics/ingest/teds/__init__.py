"""SAMHSA TEDS-D public-use files -> an intensive outpatient benchmark (``reader.read_teds_d``).

``reader`` streams the CSV or zip by header names, ``codes`` knows each year's
layout and labels, ``cells`` builds the year x place x age cells and withholds small ones.
"""

from .reader import describe, read_teds_d, write_benchmark

__all__ = ["describe", "read_teds_d", "write_benchmark"]
