"""What a dictionary entry holds (``Entry``) and the rules every figure shares (``COMMON``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    key: str
    name: str
    definition: str
    numerator: str = ""
    denominator: str = ""
    exclusions: str = ""
    standard: str = ""

    def details(self) -> list[tuple[str, str]]:
        """(label, text) of the numerator, denominator, exclusions and standard that are set."""
        pairs = [
            ("Numerator", self.numerator),
            ("Denominator", self.denominator),
            ("Left out", self.exclusions),
            ("Standard", self.standard),
        ]
        return [(label, value) for label, value in pairs if value]


COMMON = (
    "Period P is inclusive [start, end]. Figures are computed as of `as_of` (default P.end): an "
    "admission, discharge or session after `as_of` is treated as not having happened yet, so a "
    "past period's figures never change when later data is loaded. Scope: levels of care "
    "(default 2.1, intensive outpatient), optionally one site and one track. LOS = discharge - "
    "admit + 1 days. Disengaged reasons: dropped_out, terminated. Rates are null when their "
    "denominator is 0; medians interpolate."
)
